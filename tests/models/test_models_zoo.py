"""The seven zoo graphs: exact totals, schema, shape chaining, structure."""

from __future__ import annotations

import math

import networkx as nx
import pytest

import models
from models.schema import NODE_ATTRIBUTES, check_node

# docs/modelling.md section 2: (MACs of conv + FC, params = weights + biases + BN scale/shift).
TOTALS = {
    "squeezenet": (349_151_936, 1_235_496),
    "yolo_lite": (240_004_352, 572_317),
    "kws": (28_327_812, 416_772),
    "alexnet": (714_188_480, 61_100_840),
    "inception_v3": (5_713_216_096, 23_834_568),
    "resnet50": (4_089_184_256, 25_557_032),
    "yolov2": (14_732_084_224, 50_962_889),
}
# Layer counts by op, derived by hand from each architecture (see the zoo modules' docstrings):
# e.g. ResNet-50 = conv1 + maxpool + 16 blocks x (3 convs + add) + 4 downsamples + avgpool + fc.
OP_COUNTS = {
    "squeezenet": {"conv": 26, "pool": 4, "concat": 8},
    "yolo_lite": {"conv": 7, "pool": 5},
    "kws": {"conv": 11, "pool": 1, "fc": 1},
    "alexnet": {"conv": 5, "pool": 4, "fc": 3},
    "inception_v3": {"conv": 94, "pool": 14, "concat": 15, "fc": 1},
    "resnet50": {"conv": 53, "pool": 2, "add": 16, "fc": 1},
    "yolov2": {"conv": 23, "pool": 5, "reorg": 1, "concat": 1},
}
INPUTS = {"squeezenet": (3, 224, 224), "yolo_lite": (3, 224, 224), "kws": (1, 49, 10),
          "alexnet": (3, 224, 224), "inception_v3": (3, 299, 299), "resnet50": (3, 224, 224),
          "yolov2": (3, 416, 416)}


def test_available_lists_the_zoo_in_spec_order() -> None:
    assert models.available()[:7] == list(TOTALS)


@pytest.mark.parametrize("name", list(TOTALS))
def test_totals_match_spec_exactly(name: str) -> None:
    graph = models.get(name)
    macs = sum(a["macs"] for _, a in graph.nodes(data=True))
    params = sum(a["params"] for _, a in graph.nodes(data=True))
    assert (macs, params) == TOTALS[name]
    assert models.summary(name).attrs["total_macs"] == TOTALS[name][0]
    assert models.summary(name).attrs["total_params"] == TOTALS[name][1]


@pytest.mark.parametrize("name", list(TOTALS))
def test_graph_is_a_connected_dag_in_topological_order(name: str) -> None:
    graph = models.get(name)
    assert graph.graph["name"] == name
    assert graph.graph["input_shape"] == INPUTS[name]
    assert nx.is_directed_acyclic_graph(graph)
    assert nx.is_weakly_connected(graph)
    position = {node: i for i, node in enumerate(graph.nodes)}
    assert all(position[u] < position[v] for u, v in graph.edges)
    # One network output: every layer's result is used (no dangling branch).
    assert len([n for n in graph if graph.out_degree(n) == 0]) == 1


@pytest.mark.parametrize("name", list(TOTALS))
def test_op_counts(name: str) -> None:
    graph = models.get(name)
    counts: dict[str, int] = {}
    for _, attrs in graph.nodes(data=True):
        counts[attrs["op"]] = counts.get(attrs["op"], 0) + 1
    assert counts == OP_COUNTS[name]


@pytest.mark.parametrize("name", list(TOTALS))
def test_every_node_follows_the_schema(name: str) -> None:
    graph = models.get(name)
    for node, attrs in graph.nodes(data=True):
        check_node(name, node, attrs)
        assert set(NODE_ATTRIBUTES) <= set(attrs)
        assert attrs["bytes_out"] == math.prod(attrs["output_shape"])
        assert attrs["weight_bytes"] == attrs["params"]
        assert attrs["in_channels"] == attrs["input_shape"][0]
        assert attrs["out_channels"] == attrs["output_shape"][0]
        if attrs["op"] in ("conv", "fc"):
            assert attrs["params"] >= attrs["weights"] > 0
            assert attrs["macs"] == attrs["weights"] * math.prod(attrs["output_shape"][1:])
        else:
            assert attrs["macs"] == attrs["params"] == attrs["weights"] == 0
            assert attrs["groups"] == 1
        if attrs["op"] == "pool":
            assert attrs["pool_type"] in ("max", "avg")


@pytest.mark.parametrize("name", list(TOTALS))
def test_shapes_chain_from_producers(name: str) -> None:
    graph = models.get(name)
    for node, attrs in graph.nodes(data=True):
        shapes = [graph.nodes[p]["output_shape"] for p in graph.predecessors(node)]
        if not shapes:
            shapes = [graph.graph["input_shape"]]
        op = attrs["op"]
        if op == "concat":
            assert len(shapes) >= 2
            assert len({s[1:] for s in shapes}) == 1
            assert attrs["input_shape"] == (sum(s[0] for s in shapes), *shapes[0][1:])
            assert attrs["bytes_in"] == sum(math.prod(s) for s in shapes)
        elif op == "add":
            assert len(shapes) == 2 and shapes[0] == shapes[1] == attrs["input_shape"]
            assert attrs["bytes_in"] == 2 * math.prod(attrs["input_shape"])
        elif op == "fc":
            assert len(shapes) == 1 and attrs["input_shape"] == (math.prod(shapes[0]), 1, 1)
        else:
            assert shapes == [attrs["input_shape"]]
            assert attrs["bytes_in"] == math.prod(attrs["input_shape"])


def test_resnet50_shortcuts() -> None:
    graph = models.get("resnet50")
    assert set(graph.predecessors("layer1.0.add")) == {"layer1.0.conv3", "layer1.0.downsample.0"}
    assert set(graph.predecessors("layer1.1.add")) == {"layer1.1.conv3", "layer1.0.add"}
    assert set(graph.successors("layer1.0.add")) == {"layer1.1.conv1", "layer1.1.add"}
    assert set(graph.predecessors("layer2.0.downsample.0")) == {"layer1.2.add"}
    # v1.5: the stride sits on the 3x3 conv.
    assert graph.nodes["layer2.0.conv1"]["stride"] == (1, 1)
    assert graph.nodes["layer2.0.conv2"]["stride"] == (2, 2)


def test_inception_v3_branches() -> None:
    graph = models.get("inception_v3")
    assert set(graph.predecessors("Mixed_5b.concat")) == {
        "Mixed_5b.branch1x1", "Mixed_5b.branch5x5_2", "Mixed_5b.branch3x3dbl_3",
        "Mixed_5b.branch_pool"}
    assert set(graph.successors("maxpool2")) == {
        "Mixed_5b.branch1x1", "Mixed_5b.branch5x5_1", "Mixed_5b.branch3x3dbl_1",
        "Mixed_5b.avg_pool"}
    assert graph.nodes["Mixed_7c.concat"]["output_shape"] == (2048, 8, 8)
    assert set(graph.predecessors("Mixed_7b.branch3x3")) == {
        "Mixed_7b.branch3x3_2a", "Mixed_7b.branch3x3_2b"}
    assert graph.nodes["Mixed_6b.branch7x7_2"]["kernel"] == (1, 7)
    assert graph.nodes["Mixed_6b.branch7x7_2"]["padding"] == (0, 3)


def test_squeezenet_fire_module() -> None:
    graph = models.get("squeezenet")
    assert set(graph.successors("features.3.squeeze")) == {"features.3.expand1x1",
                                                           "features.3.expand3x3"}
    assert graph.nodes["features.3.concat"]["output_shape"] == (128, 55, 55)
    assert graph.nodes["features.2"]["output_shape"] == (64, 55, 55)  # ceil mode: 111 -> 55


def test_yolov2_passthrough_route() -> None:
    graph = models.get("yolov2")
    assert list(graph.predecessors("conv26")) == ["conv16"]
    assert graph.nodes["reorg27"]["output_shape"] == (256, 13, 13)
    assert set(graph.predecessors("concat28")) == {"reorg27", "conv24"}
    assert graph.nodes["concat28"]["output_shape"] == (1280, 13, 13)
    assert graph.nodes["conv30"]["params"] == 1024 * 425 + 425  # linear, with bias
    assert graph.nodes["conv29"]["params"] == 1280 * 9 * 1024 + 2 * 1024  # BN, no bias


def test_kws_depthwise_and_same_padding() -> None:
    graph = models.get("kws")
    first = graph.nodes["conv_1"]
    assert first["output_shape"] == (276, 25, 10)  # TF SAME, stride (2, 1)
    dw = graph.nodes["conv_ds_1.dw_conv"]
    assert dw["groups"] == 276 and dw["weights"] == 276 * 9
    assert dw["output_shape"] == (276, 13, 5)
    assert dw["params"] == 276 * 9 + 3 * 276  # bias + BN


def test_get_returns_an_independent_copy() -> None:
    graph = models.get("alexnet")
    graph.nodes["features.0"]["macs"] = 0
    graph.remove_node("classifier.6")
    fresh = models.get("alexnet")
    assert fresh.nodes["features.0"]["macs"] == 64 * 3 * 11 * 11 * 55 * 55
    assert "classifier.6" in fresh
