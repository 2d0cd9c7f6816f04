"""ResNet-50 v1.5, as torchvision's ``resnet50`` (3x224x224, 1000 classes).

v1.5 puts the stride of a downsampling bottleneck on its 3x3 conv (``conv2``), not on ``conv1``.
Convs have no bias and a fused batch-norm (2 params per channel). The shortcut of the first block
of every stage is a 1x1 conv (``downsample.0``); the residual sum is an ``add`` node
(``layer1.0.add``) feeding the next block.
"""

from __future__ import annotations

import networkx as nx

from models.builder import GraphBuilder, Tensor

# (stage name, blocks, bottleneck width, stride of the first block)
_STAGES = (("layer1", 3, 64, 1), ("layer2", 4, 128, 2), ("layer3", 6, 256, 2),
           ("layer4", 3, 512, 2))
_EXPANSION = 4


def _bottleneck(b: GraphBuilder, name: str, x: Tensor, width: int, stride: int) -> Tensor:
    out = b.conv(f"{name}.conv1", x, width, 1, bias=False, bn=True)
    out = b.conv(f"{name}.conv2", out, width, 3, stride=stride, padding=1, bias=False, bn=True)
    out = b.conv(f"{name}.conv3", out, width * _EXPANSION, 1, bias=False, bn=True)
    shortcut = x
    if stride != 1 or x.shape[0] != width * _EXPANSION:
        shortcut = b.conv(f"{name}.downsample.0", x, width * _EXPANSION, 1, stride=stride,
                          bias=False, bn=True)
    return b.add(f"{name}.add", out, shortcut)


def resnet50() -> nx.DiGraph:
    """ResNet-50 v1.5: 4,089,184,256 MACs, 25,557,032 params."""
    b = GraphBuilder("resnet50", (3, 224, 224))
    x = b.conv("conv1", b.input, 64, 7, stride=2, padding=3, bias=False, bn=True)
    x = b.pool("maxpool", x, "max", 3, 2, padding=1)
    for stage, blocks, width, stride in _STAGES:
        for i in range(blocks):
            x = _bottleneck(b, f"{stage}.{i}", x, width, stride if i == 0 else 1)
    x = b.adaptive_pool("avgpool", x, "avg", 1)
    b.fc("fc", x, 1000)
    return b.build()
