"""Inception-v3, as torchvision's ``inception_v3`` without the auxiliary head (3x299x299).

Every conv is torchvision's ``BasicConv2d``: no bias, a fused batch-norm (2 params per channel).
Blocks A-E concatenate their branches; InceptionE's split 1x3 / 3x1 pairs are concatenated first
(``Mixed_7b.branch3x3``, ``Mixed_7b.branch3x3dbl``), as torchvision's code does. The average
pool of a ``branch_pool`` is its own node (``Mixed_5b.avg_pool``), as is the max pool of the
grid-reduction blocks (``Mixed_6a.max_pool``). Node names follow torchvision's module names.
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx

from models.builder import GraphBuilder, Tensor


def _conv(b: GraphBuilder, name: str, x: Tensor, out: int, kernel: int | Sequence[int],
          stride: int = 1, padding: int | Sequence[int] = 0) -> Tensor:
    pad = padding if isinstance(padding, int) else (padding[0], padding[1])
    return b.conv(name, x, out, kernel, stride=stride, padding=pad, bias=False, bn=True)


def _branch_pool(b: GraphBuilder, name: str, x: Tensor, out: int) -> Tensor:
    pooled = b.pool(f"{name}.avg_pool", x, "avg", 3, 1, padding=1)
    return _conv(b, f"{name}.branch_pool", pooled, out, 1)


def _inception_a(b: GraphBuilder, name: str, x: Tensor, pool_features: int) -> Tensor:
    b1 = _conv(b, f"{name}.branch1x1", x, 64, 1)
    b5 = _conv(b, f"{name}.branch5x5_1", x, 48, 1)
    b5 = _conv(b, f"{name}.branch5x5_2", b5, 64, 5, padding=2)
    b3 = _conv(b, f"{name}.branch3x3dbl_1", x, 64, 1)
    b3 = _conv(b, f"{name}.branch3x3dbl_2", b3, 96, 3, padding=1)
    b3 = _conv(b, f"{name}.branch3x3dbl_3", b3, 96, 3, padding=1)
    bp = _branch_pool(b, name, x, pool_features)
    return b.concat(f"{name}.concat", b1, b5, b3, bp)


def _inception_b(b: GraphBuilder, name: str, x: Tensor) -> Tensor:
    b3 = _conv(b, f"{name}.branch3x3", x, 384, 3, stride=2)
    bd = _conv(b, f"{name}.branch3x3dbl_1", x, 64, 1)
    bd = _conv(b, f"{name}.branch3x3dbl_2", bd, 96, 3, padding=1)
    bd = _conv(b, f"{name}.branch3x3dbl_3", bd, 96, 3, stride=2)
    bp = b.pool(f"{name}.max_pool", x, "max", 3, 2)
    return b.concat(f"{name}.concat", b3, bd, bp)


def _inception_c(b: GraphBuilder, name: str, x: Tensor, c7: int) -> Tensor:
    b1 = _conv(b, f"{name}.branch1x1", x, 192, 1)
    b7 = _conv(b, f"{name}.branch7x7_1", x, c7, 1)
    b7 = _conv(b, f"{name}.branch7x7_2", b7, c7, (1, 7), padding=(0, 3))
    b7 = _conv(b, f"{name}.branch7x7_3", b7, 192, (7, 1), padding=(3, 0))
    bd = _conv(b, f"{name}.branch7x7dbl_1", x, c7, 1)
    bd = _conv(b, f"{name}.branch7x7dbl_2", bd, c7, (7, 1), padding=(3, 0))
    bd = _conv(b, f"{name}.branch7x7dbl_3", bd, c7, (1, 7), padding=(0, 3))
    bd = _conv(b, f"{name}.branch7x7dbl_4", bd, c7, (7, 1), padding=(3, 0))
    bd = _conv(b, f"{name}.branch7x7dbl_5", bd, 192, (1, 7), padding=(0, 3))
    bp = _branch_pool(b, name, x, 192)
    return b.concat(f"{name}.concat", b1, b7, bd, bp)


def _inception_d(b: GraphBuilder, name: str, x: Tensor) -> Tensor:
    b3 = _conv(b, f"{name}.branch3x3_1", x, 192, 1)
    b3 = _conv(b, f"{name}.branch3x3_2", b3, 320, 3, stride=2)
    b7 = _conv(b, f"{name}.branch7x7x3_1", x, 192, 1)
    b7 = _conv(b, f"{name}.branch7x7x3_2", b7, 192, (1, 7), padding=(0, 3))
    b7 = _conv(b, f"{name}.branch7x7x3_3", b7, 192, (7, 1), padding=(3, 0))
    b7 = _conv(b, f"{name}.branch7x7x3_4", b7, 192, 3, stride=2)
    bp = b.pool(f"{name}.max_pool", x, "max", 3, 2)
    return b.concat(f"{name}.concat", b3, b7, bp)


def _inception_e(b: GraphBuilder, name: str, x: Tensor) -> Tensor:
    b1 = _conv(b, f"{name}.branch1x1", x, 320, 1)
    b3 = _conv(b, f"{name}.branch3x3_1", x, 384, 1)
    b3a = _conv(b, f"{name}.branch3x3_2a", b3, 384, (1, 3), padding=(0, 1))
    b3b = _conv(b, f"{name}.branch3x3_2b", b3, 384, (3, 1), padding=(1, 0))
    b3 = b.concat(f"{name}.branch3x3", b3a, b3b)
    bd = _conv(b, f"{name}.branch3x3dbl_1", x, 448, 1)
    bd = _conv(b, f"{name}.branch3x3dbl_2", bd, 384, 3, padding=1)
    bda = _conv(b, f"{name}.branch3x3dbl_3a", bd, 384, (1, 3), padding=(0, 1))
    bdb = _conv(b, f"{name}.branch3x3dbl_3b", bd, 384, (3, 1), padding=(1, 0))
    bd = b.concat(f"{name}.branch3x3dbl", bda, bdb)
    bp = _branch_pool(b, name, x, 192)
    return b.concat(f"{name}.concat", b1, b3, bd, bp)


def inception_v3() -> nx.DiGraph:
    """Inception-v3 (no aux head): 5,713,216,096 MACs, 23,834,568 params."""
    b = GraphBuilder("inception_v3", (3, 299, 299))
    x = _conv(b, "Conv2d_1a_3x3", b.input, 32, 3, stride=2)
    x = _conv(b, "Conv2d_2a_3x3", x, 32, 3)
    x = _conv(b, "Conv2d_2b_3x3", x, 64, 3, padding=1)
    x = b.pool("maxpool1", x, "max", 3, 2)
    x = _conv(b, "Conv2d_3b_1x1", x, 80, 1)
    x = _conv(b, "Conv2d_4a_3x3", x, 192, 3)
    x = b.pool("maxpool2", x, "max", 3, 2)
    x = _inception_a(b, "Mixed_5b", x, 32)
    x = _inception_a(b, "Mixed_5c", x, 64)
    x = _inception_a(b, "Mixed_5d", x, 64)
    x = _inception_b(b, "Mixed_6a", x)
    for name, c7 in (("Mixed_6b", 128), ("Mixed_6c", 160), ("Mixed_6d", 160), ("Mixed_6e", 192)):
        x = _inception_c(b, name, x, c7)
    x = _inception_d(b, "Mixed_7a", x)
    x = _inception_e(b, "Mixed_7b", x)
    x = _inception_e(b, "Mixed_7c", x)
    x = b.adaptive_pool("avgpool", x, "avg", 1)
    b.fc("fc", x, 1000)
    return b.build()
