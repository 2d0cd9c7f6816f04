"""SqueezeNet 1.1, as torchvision's ``squeezenet1_1`` (3x224x224, 1000 classes).

Fire module: a 1x1 ``squeeze`` conv feeding two parallel ``expand1x1`` / ``expand3x3`` convs
whose outputs are concatenated. Convs have biases and no batch-norm. Max-pools use ceil mode.
Node names follow torchvision's module names (``features.3.expand3x3``, ``classifier.1``).
"""

from __future__ import annotations

import networkx as nx

from models.builder import GraphBuilder, Tensor

# (features index, squeeze, expand1x1, expand3x3); max-pools sit at features 2, 5 and 8.
_FIRES = ((3, 16, 64, 64), (4, 16, 64, 64), (6, 32, 128, 128), (7, 32, 128, 128),
          (9, 48, 192, 192), (10, 48, 192, 192), (11, 64, 256, 256), (12, 64, 256, 256))
_POOLS = (2, 5, 8)


def _fire(b: GraphBuilder, name: str, x: Tensor, squeeze: int, e1: int, e3: int) -> Tensor:
    s = b.conv(f"{name}.squeeze", x, squeeze, 1)
    left = b.conv(f"{name}.expand1x1", s, e1, 1)
    right = b.conv(f"{name}.expand3x3", s, e3, 3, padding=1)
    return b.concat(f"{name}.concat", left, right)


def squeezenet() -> nx.DiGraph:
    """SqueezeNet 1.1: 349,151,936 MACs, 1,235,496 params."""
    b = GraphBuilder("squeezenet", (3, 224, 224))
    x = b.conv("features.0", b.input, 64, 3, stride=2)
    fires = {index: spec for index, *spec in _FIRES}
    for index in range(2, 13):
        if index in _POOLS:
            x = b.pool(f"features.{index}", x, "max", 3, 2, ceil_mode=True)
        else:
            x = _fire(b, f"features.{index}", x, *fires[index])
    x = b.conv("classifier.1", x, 1000, 1)
    b.adaptive_pool("classifier.3", x, "avg", 1)
    return b.build()
