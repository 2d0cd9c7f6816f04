"""models.get / available / register / unregister / summary, and their error paths."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import networkx as nx
import pytest

import models
from mas_sim.core.errors import ModelError
from models.builder import GraphBuilder


def tiny() -> nx.DiGraph:
    """conv (2->4, 3x3, pad 1, on 2x4x4) -> pool 2x2 -> fc 4*2*2 -> 3."""
    b = GraphBuilder("tiny", (2, 4, 4))
    x = b.conv("c", b.input, 4, 3, padding=1)
    x = b.pool("p", x, "max", 2)
    b.fc("f", x, 3)
    return b.build()


@pytest.fixture
def registered() -> Iterator[list[str]]:
    names: list[str] = []
    yield names
    for name in names:
        with contextlib.suppress(ModelError):  # already removed by the test
            models.unregister(name)


def test_get_unknown_lists_known_names() -> None:
    with pytest.raises(ModelError, match=r"unknown model 'vgg16' \(known: alexnet, "):
        models.get("vgg16")
    with pytest.raises(ModelError, match="unknown model"):
        models.get(3)  # type: ignore[arg-type]


def test_register_and_get(registered: list[str]) -> None:
    registered.append("tiny")
    graph = tiny()
    models.register("tiny", graph)
    assert models.available()[-1] == "tiny"
    got = models.get("tiny")
    assert got.graph["name"] == "tiny"
    assert list(got.nodes) == ["c", "p", "f"]
    assert dict(got.nodes(data=True)) == dict(graph.nodes(data=True))
    # The registry keeps its own copy.
    graph.nodes["c"]["macs"] = 0
    assert models.get("tiny").nodes["c"]["macs"] == 4 * 2 * 9 * 16


def test_summary_of_a_registered_model(registered: list[str]) -> None:
    registered.append("tiny")
    models.register("tiny", tiny())
    frame = models.summary("tiny")
    assert list(frame.columns) == ["layer", "op", "input_shape", "output_shape", "kernel",
                                   "stride", "groups", "macs", "params"]
    assert frame["layer"].tolist() == ["c", "p", "f"]
    assert frame["macs"].tolist() == [4 * 2 * 9 * 16, 0, 16 * 3]
    assert frame["params"].tolist() == [72 + 4, 0, 48 + 3]
    assert frame.loc[1, "output_shape"] == (4, 2, 2)
    assert frame.attrs == {"model": "tiny", "total_macs": 1152 + 48, "total_params": 76 + 51}


def test_summary_accepts_a_graph_and_validates_it() -> None:
    assert models.summary(tiny()).attrs["total_macs"] == 1200
    broken = tiny()
    del broken.nodes["p"]["op"]
    with pytest.raises(ModelError, match="missing attribute"):
        models.summary(broken)


def test_duplicate_names_are_refused(registered: list[str]) -> None:
    registered.append("tiny")
    models.register("tiny", tiny())
    with pytest.raises(ModelError, match=r"'tiny' already exists \(known: .*tiny"):
        models.register("tiny", tiny())
    with pytest.raises(ModelError, match="'resnet50' already exists"):
        models.register("resnet50", tiny())
    other = tiny()
    other.remove_node("f")
    models.register("tiny", other, overwrite=True)
    assert list(models.get("tiny").nodes) == ["c", "p"]


def test_overwriting_a_zoo_model_shadows_it_until_unregistered(registered: list[str]) -> None:
    models.register("alexnet", tiny(), overwrite=True)
    try:
        assert models.get("alexnet").number_of_nodes() == 3
        assert models.available().count("alexnet") == 1
    finally:
        models.unregister("alexnet")
    assert models.get("alexnet").number_of_nodes() == 12


def test_unregister_unknown() -> None:
    with pytest.raises(ModelError, match="unknown registered model 'nope'"):
        models.unregister("nope")


def test_register_reorders_nodes_topologically(registered: list[str]) -> None:
    registered.append("shuffled")
    source = tiny()
    graph = nx.DiGraph(**source.graph)
    for node in ("f", "c", "p"):
        graph.add_node(node, **source.nodes[node])
    graph.add_edges_from(source.edges)
    models.register("shuffled", graph)
    assert list(models.get("shuffled").nodes) == ["c", "p", "f"]


def test_register_refuses_a_cycle() -> None:
    graph = tiny()
    graph.add_edge("f", "c")
    with pytest.raises(ModelError, match="cycle"):
        models.register("cyclic", graph)
    assert "cyclic" not in models.available()


def test_register_refuses_a_disconnected_graph() -> None:
    graph = tiny()
    graph.remove_edge("p", "f")
    with pytest.raises(ModelError, match=r"disconnected \(2 parts of \[2, 1\] layers\)"):
        models.register("split", graph)


@pytest.mark.parametrize("attribute", ["op", "macs", "input_shape", "bytes_out"])
def test_register_refuses_a_missing_attribute(attribute: str) -> None:
    graph = tiny()
    del graph.nodes["p"][attribute]
    with pytest.raises(ModelError, match=f"layer 'p': missing attribute.*{attribute}"):
        models.register("bad", graph)


@pytest.mark.parametrize(("attribute", "value", "message"), [
    ("op", "lstm", "op 'lstm' is not one of"),
    ("macs", 1.5, "macs=1.5 should be of type int"),
    ("macs", -1, "macs=-1 should be >= 0"),
    ("params", True, "params=True should be of type int"),
    ("output_shape", (4, 2), r"output_shape=\(4, 2\) should be \(C, H, W\)"),
    ("kernel", (2, 2, 2), "kernel=.* should be a pair"),
    ("groups", 0, "groups=0 should be >= 1"),
    ("pool_type", "min", "pool_type='min' should be one of max, avg"),
])
def test_register_refuses_bad_attribute_values(attribute: str, value: object,
                                               message: str) -> None:
    graph = tiny()
    graph.nodes["p"][attribute] = value
    with pytest.raises(ModelError, match=message):
        models.register("bad", graph)


def test_register_refuses_other_inputs() -> None:
    with pytest.raises(ModelError, match=r"expected a networkx\.DiGraph, got Graph"):
        models.register("undirected", nx.Graph())
    with pytest.raises(ModelError, match="no layers"):
        models.register("empty", nx.DiGraph(input_shape=(1, 1, 1)))
    with pytest.raises(ModelError, match="model name '' should be a non-empty string"):
        models.register("", tiny())
    graph = tiny()
    graph.graph["input_shape"] = (2, 4)
    with pytest.raises(ModelError, match=r"input_shape=.* should be"):
        models.register("bad", graph)
