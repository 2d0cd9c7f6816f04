"""GraphBuilder: hand-computed layers, shape inference against PyTorch, error paths."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from mas_sim.core.errors import ModelError
from models.builder import GraphBuilder, Tensor, chw


def test_conv_with_bn_hand_computed() -> None:
    b = GraphBuilder("t", (3, 10, 10))
    y = b.conv("c", b.input, 8, 3, stride=2, padding=1, bias=False, bn=True)
    attrs = b.graph.nodes["c"]
    assert y == Tensor(("c",), (8, 5, 5))
    assert attrs["weights"] == 8 * 3 * 9 == 216
    assert attrs["params"] == 216 + 16
    assert attrs["macs"] == 216 * 25
    assert attrs["bytes_in"] == 300 and attrs["bytes_out"] == 200
    assert attrs["weight_bytes"] == 232
    assert (attrs["kernel"], attrs["stride"], attrs["padding"]) == ((3, 3), (2, 2), (1, 1))


def test_depthwise_conv_and_fc() -> None:
    b = GraphBuilder("t", (6, 4, 4))
    y = b.conv("dw", b.input, 6, 3, padding=1, groups=6)
    b.fc("fc", y, 5, bias=False)
    dw, fc = b.graph.nodes["dw"], b.graph.nodes["fc"]
    assert (dw["weights"], dw["params"], dw["macs"], dw["groups"]) == (54, 60, 54 * 16, 6)
    assert fc["input_shape"] == (96, 1, 1) and fc["output_shape"] == (5, 1, 1)
    assert (fc["macs"], fc["params"], fc["kernel"]) == (480, 480, (1, 1))


def test_same_padding_as_tensorflow() -> None:
    b = GraphBuilder("t", (1, 49, 10))
    y = b.conv("c", b.input, 4, (10, 4), stride=(2, 1), padding="same")
    assert y.shape == (4, 25, 10)
    # TF pads (9 rows, 3 columns): (4, 1) before, (5, 2) after; the leading side is recorded.
    assert b.graph.nodes["c"]["padding"] == (4, 1)


def test_ceil_mode_pool_and_reorg() -> None:
    b = GraphBuilder("t", (4, 111, 111))
    y = b.pool("p", b.input, "max", 3, 2, ceil_mode=True)
    assert y.shape == (4, 55, 55)
    assert b.graph.nodes["p"]["pool_type"] == "max"
    b2 = GraphBuilder("t", (64, 26, 26))
    assert b2.reorg("r", b2.input, 2).shape == (256, 13, 13)


def test_add_and_concat_edges() -> None:
    b = GraphBuilder("t", (4, 8, 8))
    a = b.conv("a", b.input, 4, 1)
    c = b.conv("c", b.input, 2, 1)
    s = b.add("s", a, b.input.reshape((4, 8, 8)))
    cat = b.concat("cat", s, c)
    assert cat.shape == (6, 8, 8)
    assert set(b.graph.edges) == {("a", "s"), ("s", "cat"), ("c", "cat")}
    assert b.graph.nodes["s"]["bytes_in"] == 2 * 256
    assert b.graph.nodes["cat"]["input_shape"] == (6, 8, 8)


def test_chw() -> None:
    assert chw((5,), "x") == (5, 1, 1)
    assert chw((3, 7), "x") == (3, 7, 1)
    with pytest.raises(ModelError, match="not \\(C, H, W\\)"):
        chw((1, 2, 3, 4), "x")
    with pytest.raises(ModelError, match="x: shape"):
        chw((3, None), "x")


@pytest.mark.parametrize(("build", "message"), [
    (lambda b: b.conv("c", b.input, 5, 1, groups=2), "groups=2 must divide"),
    (lambda b: b.conv("c", b.input, 4, 9), "window 9 larger than padded input 8"),
    (lambda b: b.conv("c", b.input, 4, 1, padding=-1), "negative padding"),
    (lambda b: b.conv("c", b.input, 4, 1, padding="full"), "padding 'full' not understood"),
    (lambda b: b.pool("p", b.input, "min", 2), "pool_type 'min'"),
    (lambda b: b.reorg("r", b.input, 3), "reorg stride 3 must divide 8x8"),
    (lambda b: b.add("s", b.input), "add needs >= 2 inputs of one shape"),
    (lambda b: b.add("s", b.input, b.conv("c", b.input, 2, 1)), "add needs"),
    (lambda b: b.concat("s", b.input, b.pool("p", b.input, "max", 2)), "concat needs"),
    (lambda b: [b.conv("c", b.input, 4, 1), b.conv("c", b.input, 4, 1)],
     "duplicate layer name 'c'"),
    (lambda b: b.fuse_bn(b.input), "batch-norm can only follow a conv layer, but follows input"),
    (lambda b: b.fuse_bn(b.pool("p", b.input, "max", 2)), r"follows p \(pool\)"),
    (lambda b: b.fuse_bn(b.conv("c", b.input, 4, 1, bn=True)), "already has a batch-norm"),
    (lambda b: b.input.reshape((3, 3, 3)), "cannot reshape"),
    (lambda b: b.build(), "no layers"),
])
def test_builder_errors(build: object, message: str) -> None:
    b = GraphBuilder("t", (4, 8, 8))
    with pytest.raises(ModelError, match=message):
        build(b)  # type: ignore[operator]


def test_fuse_bias_counts_in_params() -> None:
    b = GraphBuilder("t", (4, 1, 1))
    y = b.fc("f", b.input, 3, bias=False)
    b.fuse_bias(y, 3)
    assert b.graph.nodes["f"]["params"] == 15 == b.graph.nodes["f"]["weight_bytes"]


@settings(max_examples=40, deadline=None)
@given(c=st.integers(1, 4), h=st.integers(1, 12), w=st.integers(1, 12),
       groups=st.sampled_from([1, 2]), out=st.sampled_from([2, 4]),
       kh=st.integers(1, 4), kw=st.integers(1, 4), sh=st.integers(1, 3), sw=st.integers(1, 3),
       ph=st.integers(0, 2), pw=st.integers(0, 2))
def test_conv_shape_and_macs_match_torch(c: int, h: int, w: int, groups: int, out: int,
                                         kh: int, kw: int, sh: int, sw: int, ph: int,
                                         pw: int) -> None:
    c *= groups
    if h + 2 * ph < kh or w + 2 * pw < kw:
        return
    b = GraphBuilder("t", (c, h, w))
    y = b.conv("c", b.input, out, (kh, kw), (sh, sw), (ph, pw), groups)
    real = F.conv2d(torch.empty(1, c, h, w, device="meta"),
                    torch.empty(out, c // groups, kh, kw, device="meta"),
                    stride=(sh, sw), padding=(ph, pw), groups=groups)
    assert y.shape == tuple(real.shape[1:])
    assert b.graph.nodes["c"]["macs"] == real.numel() * (c // groups) * kh * kw


@settings(max_examples=40, deadline=None)
@given(h=st.integers(1, 12), w=st.integers(1, 12), k=st.integers(1, 4), s=st.integers(1, 3),
       p=st.integers(0, 2), ceil=st.booleans(), kind=st.sampled_from(["max", "avg"]))
def test_pool_shape_matches_torch(h: int, w: int, k: int, s: int, p: int, ceil: bool,
                                  kind: str) -> None:
    if 2 * p > k or h + 2 * p < k or w + 2 * p < k:
        return  # PyTorch refuses these
    b = GraphBuilder("t", (2, h, w))
    y = b.pool("p", b.input, kind, k, s, p, ceil_mode=ceil)
    fn = F.max_pool2d if kind == "max" else F.avg_pool2d
    real = fn(torch.zeros(1, 2, h, w), k, s, p, ceil_mode=ceil)
    assert y.shape == tuple(real.shape[1:])
