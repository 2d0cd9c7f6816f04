"""DS-CNN-L keyword spotting (Zhang et al., "Hello Edge", 2017; ARM ML-KWS-for-MCU).

Input: 49 frames x 10 MFCC features, as (1, 49, 10). A 10x4 conv (stride 2x1) then five
depthwise-separable blocks of 276 channels (3x3 depthwise, the first with stride 2x2, then 1x1
pointwise), a global average pool and a 12-class FC. TensorFlow "SAME" padding throughout. As in
the reference code, every conv has a bias followed by batch-norm, so each counts C bias + 2C BN
params.
"""

from __future__ import annotations

import networkx as nx

from models.builder import GraphBuilder

_CHANNELS = 276
_BLOCK_STRIDES = ((2, 2), (1, 1), (1, 1), (1, 1), (1, 1))
_CLASSES = 12  # silence, unknown and 10 keywords


def kws() -> nx.DiGraph:
    """DS-CNN-L: 28,327,812 MACs, 416,772 params."""
    b = GraphBuilder("kws", (1, 49, 10))
    x = b.conv("conv_1", b.input, _CHANNELS, (10, 4), stride=(2, 1), padding="same", bn=True)
    for i, stride in enumerate(_BLOCK_STRIDES, start=1):
        x = b.conv(f"conv_ds_{i}.dw_conv", x, _CHANNELS, 3, stride=stride, padding="same",
                   groups=_CHANNELS, bn=True)
        x = b.conv(f"conv_ds_{i}.pw_conv", x, _CHANNELS, 1, bn=True)
    x = b.pool("avg_pool", x, "avg", (x.shape[1], x.shape[2]))
    b.fc("fc1", x, _CLASSES)
    return b.build()
