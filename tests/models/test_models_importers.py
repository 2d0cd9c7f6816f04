"""from_torch (torch.fx) and from_onnx: same graph from both, hand-computed figures, refusals."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import networkx as nx
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import models
from mas_sim.core.errors import MissingExtraError, ModelError

onnx = pytest.importorskip("onnx")  # the optional extra "onnx"


class Block(nn.Module):
    """conv + BN + ReLU with a residual add inside a submodule (scoped names: blk.add)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.bn(self.conv(x))) + x


class BranchNet(nn.Module):
    """Stem, two parallel branches concatenated, a residual add, a block, pool, FC."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.a = nn.Conv2d(8, 4, 1)
        self.b = nn.Conv2d(8, 4, 3, padding=1, groups=2)
        self.blk = Block()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn1(self.conv1(x)))
        y = torch.cat([self.a(x), self.b(x)], 1)
        y = self.blk(y + x)
        return self.fc(torch.flatten(self.pool(y), 1))


# Hand-computed on a 3x8x8 input: (op, input_shape, output_shape, MACs, params).
C, HW = 8, 64
EXPECTED = {
    "conv1": ("conv", (3, 8, 8), (8, 8, 8), 8 * 3 * 9 * HW, 8 * 3 * 9 + 2 * 8),
    "a": ("conv", (8, 8, 8), (4, 8, 8), 4 * 8 * HW, 4 * 8 + 4),
    "b": ("conv", (8, 8, 8), (4, 8, 8), 4 * 4 * 9 * HW, 4 * 4 * 9 + 4),  # groups=2: 4 in each
    "concat": ("concat", (8, 8, 8), (8, 8, 8), 0, 0),
    "add": ("add", (8, 8, 8), (8, 8, 8), 0, 0),
    "blk.conv": ("conv", (8, 8, 8), (8, 8, 8), 8 * 8 * 9 * HW, 8 * 8 * 9 + 2 * 8),
    "blk.add": ("add", (8, 8, 8), (8, 8, 8), 0, 0),
    "pool": ("pool", (8, 8, 8), (8, 1, 1), 0, 0),
    "fc": ("fc", (8, 1, 1), (4, 1, 1), 32, 32 + 4),
}
EDGES = {("conv1", "a"), ("conv1", "b"), ("a", "concat"), ("b", "concat"), ("concat", "add"),
         ("conv1", "add"), ("add", "blk.conv"), ("blk.conv", "blk.add"), ("add", "blk.add"),
         ("blk.add", "pool"), ("pool", "fc")}


class ZooOps(nn.Module):
    """The other supported operators: functional pools, SiLU/ReLU6/LeakyReLU/Dropout,
    depthwise conv, ceil-mode pool, view(x.size(0), -1), Linear without bias."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 6, 3, stride=2), nn.BatchNorm2d(6), nn.SiLU())
        self.pool = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.dw = nn.Conv2d(6, 6, 3, padding=1, groups=6)
        self.act = nn.ReLU6()
        self.pw = nn.Conv2d(6, 12, 1)
        self.leaky = nn.LeakyReLU(0.1)
        self.drop = nn.Dropout(0.2)
        self.head = nn.Linear(12 * 2 * 2, 5, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.stem(x))
        x = self.leaky(self.pw(self.act(self.dw(x))))
        x = F.avg_pool2d(x, 2) + F.max_pool2d(x, 2)
        return self.head(self.drop(x.view(x.size(0), -1)))


def export(module: nn.Module, example: torch.Tensor, path: Path) -> Path:
    """TorchScript exporter without constant folding: keeps BatchNormalization nodes."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module.eval(), (example,), str(path), dynamo=False,
                          do_constant_folding=False)
    return path


@pytest.fixture(scope="module")
def branch_net() -> tuple[nn.Module, torch.Tensor]:
    torch.manual_seed(0)
    return BranchNet(), torch.randn(1, 3, 8, 8)


def same_graph(g1: nx.DiGraph, g2: nx.DiGraph) -> None:
    assert list(g1.nodes) == list(g2.nodes)
    assert dict(g1.nodes(data=True)) == dict(g2.nodes(data=True))
    assert set(g1.edges) == set(g2.edges)


def test_from_torch_hand_computed(branch_net: tuple[nn.Module, torch.Tensor]) -> None:
    module, example = branch_net
    graph = models.from_torch(module, example, name="branchnet")
    assert graph.graph == {"name": "branchnet", "input_shape": (3, 8, 8)}
    assert list(graph.nodes) == list(EXPECTED)
    for node, (op, shape_in, shape_out, macs, params) in EXPECTED.items():
        attrs = graph.nodes[node]
        assert (attrs["op"], attrs["input_shape"], attrs["output_shape"], attrs["macs"],
                attrs["params"]) == (op, shape_in, shape_out, macs, params), node
    assert graph.nodes["b"]["groups"] == 2
    assert graph.nodes["add"]["bytes_in"] == 2 * C * HW
    assert set(graph.edges) == EDGES
    # BN counted as 2 per channel: the same count as torch's own parameters.
    assert sum(a["params"] for _, a in graph.nodes(data=True)) == sum(
        p.numel() for p in module.parameters())


def test_from_onnx_equals_from_torch(branch_net: tuple[nn.Module, torch.Tensor],
                                     tmp_path: Path) -> None:
    module, example = branch_net
    via_fx = models.from_torch(module, example, name="branchnet")
    via_onnx = models.from_onnx(export(module, example, tmp_path / "branchnet.onnx"))
    assert via_onnx.graph == {"name": "branchnet", "input_shape": (3, 8, 8)}
    same_graph(via_fx, via_onnx)


def test_other_operators_import_alike(tmp_path: Path) -> None:
    torch.manual_seed(0)
    module, example = ZooOps(), torch.randn(1, 3, 17, 17)
    via_fx = models.from_torch(module, example)
    via_onnx = models.from_onnx(export(module, example, tmp_path / "zooops.onnx"), "ZooOps")
    # stem conv 3x3/2 on 17 -> 8 (+BN, SiLU); max pool 3/2 ceil mode 8 -> 4 (floor would be 3);
    # dw 3x3 pad 1 and pw keep 4x4; avg and max pool 2 -> 2x2, added; 12*2*2 = 48 features.
    assert via_fx.nodes["stem.0"]["output_shape"] == (6, 8, 8)
    assert via_fx.nodes["stem.0"]["params"] == 6 * 27 + 6 + 12
    assert via_fx.nodes["stem.0"]["macs"] == 6 * 27 * 64
    assert via_fx.nodes["pool"]["output_shape"] == (6, 4, 4)
    assert (via_fx.nodes["dw"]["groups"], via_fx.nodes["dw"]["macs"]) == (6, 6 * 9 * 16)
    assert via_fx.nodes["avg_pool"]["pool_type"] == "avg"
    assert via_fx.nodes["max_pool"]["output_shape"] == (12, 2, 2)
    assert set(via_fx.predecessors("add")) == {"avg_pool", "max_pool"}
    assert via_fx.nodes["head"]["input_shape"] == (48, 1, 1)
    assert via_fx.nodes["head"]["params"] == 48 * 5
    same_graph(via_fx, via_onnx)


def test_imported_graph_can_be_registered(branch_net: tuple[nn.Module, torch.Tensor]) -> None:
    module, example = branch_net
    models.register("branchnet", models.from_torch(module, example))
    try:
        assert models.summary("branchnet").attrs["total_macs"] == sum(
            e[3] for e in EXPECTED.values())
    finally:
        models.unregister("branchnet")


def test_from_torch_restores_training_flags(branch_net: tuple[nn.Module, torch.Tensor]) -> None:
    module, example = branch_net
    module.train()
    block = module.get_submodule("blk")
    block.eval()
    models.from_torch(module, example)
    assert module.training and module.get_submodule("bn1").training
    assert not block.training and not module.get_submodule("blk.bn").training
    block.train()


class Unsupported(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)
        self.act = nn.GELU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self.conv(x))
        return torch.matmul(x, x)


def test_from_torch_names_every_unsupported_operator() -> None:
    with pytest.raises(ModelError, match=r"unsupported operator\(s\): GELU \(module 'act'\), "
                                         r"matmul \(supported: Conv2d"):
        models.from_torch(Unsupported(), torch.zeros(1, 3, 4, 4))


class Lambda(nn.Module):
    def __init__(self, fn: object) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.fn = fn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(self, x)  # type: ignore[operator]


@pytest.mark.parametrize(("fn", "message"), [
    (lambda m, x: m.conv(x) + 1, r"add \(of a tensor and a constant\)"),
    (lambda m, x: torch.cat([m.conv(x), x], 2), "torch.cat on dim 2 of a rank-4 tensor"),
    (lambda m, x: nn.functional.batch_norm(x, None, None, training=True),
     "unsupported operator.*batch_norm"),
    (lambda m, x: m.conv(x) if x.sum() > 0 else x, "torch.fx cannot trace"),
    (lambda m, x: x.mean(1), r"unsupported operator\(s\): Tensor.mean"),
])
def test_from_torch_refusals(fn: object, message: str) -> None:
    with pytest.raises(ModelError, match=message):
        models.from_torch(Lambda(fn), torch.zeros(1, 4, 4, 4))


def test_from_torch_refuses_bn_not_after_conv_and_dilation() -> None:
    bn_after_pool = nn.Sequential(nn.Conv2d(3, 4, 1), nn.MaxPool2d(2), nn.BatchNorm2d(4))
    with pytest.raises(ModelError, match=r"BatchNorm2d '2' can only follow a conv layer, but "
                                         r"follows 1 \(pool\)"):
        models.from_torch(bn_after_pool, torch.zeros(1, 3, 4, 4))
    with pytest.raises(ModelError, match=r"layer '0': dilation \(2, 2\) is not supported"):
        models.from_torch(nn.Sequential(nn.Conv2d(3, 4, 3, dilation=2)), torch.zeros(1, 3, 8, 8))
    with pytest.raises(ModelError, match="no layers"):
        models.from_torch(nn.Sequential(nn.ReLU()), torch.zeros(1, 3, 4, 4))


def test_from_torch_of_a_bare_layer() -> None:
    graph = models.from_torch(nn.Conv2d(3, 4, 3, bias=False), torch.zeros(1, 3, 5, 5))
    assert list(graph.nodes) == ["0"]
    assert graph.graph["name"] == "Conv2d"
    assert (graph.nodes["0"]["macs"], graph.nodes["0"]["params"]) == (4 * 27 * 9, 108)


def test_from_torch_refuses_bad_arguments() -> None:
    with pytest.raises(ModelError, match=r"expected a torch\.nn\.Module, got int"):
        models.from_torch(3, torch.zeros(1, 3))  # type: ignore[arg-type]
    with pytest.raises(ModelError, match=r"one batched tensor .* got Tensor of shape \(3,\)"):
        models.from_torch(nn.Linear(3, 2), torch.zeros(3))
    with pytest.raises(ModelError, match=r"running the module on an input of shape \(1, 5\) "
                                         r"failed: mat1 and mat2 shapes cannot be multiplied"):
        models.from_torch(nn.Linear(3, 2), torch.zeros(1, 5))

    class TwoInputs(nn.Module):
        def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return x + y

    with pytest.raises(ModelError, match=r"takes 2 inputs \(x, y\); only single-input"):
        models.from_torch(TwoInputs(), torch.zeros(1, 3))


def test_from_onnx_refuses_a_malformed_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"this is not a protobuf \x00\xff\x12")
    with pytest.raises(ModelError, match=r"model 'bad': .*bad.onnx' is not a valid ONNX model"):
        models.from_onnx(bad)
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    with pytest.raises(ModelError, match="not a valid ONNX model"):
        models.from_onnx(empty)
    with pytest.raises(ModelError, match="does not exist"):
        models.from_onnx(tmp_path / "missing.onnx")


def onnx_model(nodes: list[object], initializers: list[object], in_shape: list[int],
               out_name: str, out_shape: list[int]) -> object:
    helper = onnx.helper
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, in_shape)],
        [helper.make_tensor_value_info(out_name, onnx.TensorProto.FLOAT, out_shape)],
        initializer=initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def weight(name: str, dims: list[int]) -> object:
    import numpy as np

    return onnx.numpy_helper.from_array(np.zeros(dims, dtype=np.float32), name)


def test_from_onnx_names_unsupported_operators(tmp_path: Path) -> None:
    helper = onnx.helper
    model = onnx_model(
        [helper.make_node("Conv", ["x", "w"], ["c"], name="/conv/Conv"),
         helper.make_node("Tanh", ["c"], ["t"], name="/Tanh"),
         helper.make_node("Softmax", ["t"], ["y"], name="/Softmax")],
        [weight("w", [4, 3, 1, 1])], [1, 3, 4, 4], "y", [1, 4, 4, 4])
    path = tmp_path / "tanh.onnx"
    onnx.save(model, str(path))
    with pytest.raises(ModelError, match=r"unsupported ONNX operator\(s\): Softmax \(/Softmax\), "
                                         r"Tanh \(/Tanh\)"):
        models.from_onnx(path)


def test_from_onnx_matmul_with_bias_add_is_one_fc(tmp_path: Path) -> None:
    helper = onnx.helper
    model = onnx_model(
        [helper.make_node("Flatten", ["x"], ["f"], name="/Flatten"),
         helper.make_node("MatMul", ["f", "w"], ["m"], name="/fc/MatMul"),
         helper.make_node("Add", ["m", "b"], ["y"], name="/fc/Add")],
        [weight("w", [12, 5]), weight("b", [5])], [1, 3, 2, 2], "y", [1, 5])
    path = tmp_path / "mlp.onnx"
    onnx.save(model, str(path))
    graph = models.from_onnx(path)
    assert list(graph.nodes) == ["fc"]
    attrs = graph.nodes["fc"]
    assert (attrs["macs"], attrs["weights"], attrs["params"]) == (60, 60, 65)
    assert (attrs["input_shape"], attrs["output_shape"]) == ((12, 1, 1), (5, 1, 1))


def test_from_onnx_same_padding_and_shape_check(tmp_path: Path) -> None:
    helper = onnx.helper
    model = onnx_model(
        [helper.make_node("Conv", ["x", "w"], ["y"], name="/c/Conv", auto_pad="SAME_UPPER",
                          strides=[2, 1])],
        [weight("w", [2, 1, 10, 4])], [1, 1, 49, 10], "y", [1, 2, 25, 10])
    path = tmp_path / "same.onnx"
    onnx.save(model, str(path))
    attrs = models.from_onnx(path).nodes["c"]
    assert attrs["output_shape"] == (2, 25, 10) and attrs["padding"] == (4, 1)


def test_from_onnx_without_onnx_says_which_extra(monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)  # makes "import onnx" raise ImportError
    with pytest.raises(MissingExtraError, match=r"ONNX import needs the optional package 'onnx'"
                                                r".*mas-sim\[onnx\]"):
        models.from_onnx(tmp_path / "any.onnx")


def test_import_models_does_not_import_torch_or_onnx() -> None:
    root = Path(models.__file__).resolve().parent.parent
    code = ("import sys, models; models.available(); models.get('resnet50'); "
            "models.summary('kws'); "
            "assert 'torch' not in sys.modules and 'onnx' not in sys.modules, 'imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root,
                   env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})
