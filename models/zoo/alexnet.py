"""AlexNet, as torchvision's ``alexnet`` (3x224x224, 1000 classes).

The single-tower variant of "One weird trick" (64-192-384-256-256 channels), biases everywhere,
no batch-norm; ``avgpool`` is torchvision's AdaptiveAvgPool2d to 6x6, an identity window at 224.
"""

from __future__ import annotations

import networkx as nx

from models.builder import GraphBuilder


def alexnet() -> nx.DiGraph:
    """AlexNet: 714,188,480 MACs, 61,100,840 params."""
    b = GraphBuilder("alexnet", (3, 224, 224))
    x = b.conv("features.0", b.input, 64, 11, stride=4, padding=2)
    x = b.pool("features.2", x, "max", 3, 2)
    x = b.conv("features.3", x, 192, 5, padding=2)
    x = b.pool("features.5", x, "max", 3, 2)
    x = b.conv("features.6", x, 384, 3, padding=1)
    x = b.conv("features.8", x, 256, 3, padding=1)
    x = b.conv("features.10", x, 256, 3, padding=1)
    x = b.pool("features.12", x, "max", 3, 2)
    x = b.adaptive_pool("avgpool", x, "avg", 6)
    x = b.fc("classifier.1", x, 4096)
    x = b.fc("classifier.4", x, 4096)
    b.fc("classifier.6", x, 1000)
    return b.build()
