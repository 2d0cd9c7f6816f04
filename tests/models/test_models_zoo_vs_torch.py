"""The pure-Python zoo graphs equal torch.fx imports of torchvision-style PyTorch definitions.

Modules are built on the ``meta`` device (no weights allocated), so this stays fast.
"""

from __future__ import annotations

import pytest
import torch

import models
from tests.models import zoo_torch_nets as torch_nets


@pytest.mark.parametrize(("name", "net"), [("alexnet", "AlexNet"),
                                           ("squeezenet", "SqueezeNet11"),
                                           ("resnet50", "ResNet50")])
def test_zoo_graph_equals_torch_import(name: str, net: str) -> None:
    zoo = models.get(name)
    with torch.device("meta"):
        module = getattr(torch_nets, net)()
        example = torch.empty((1, *zoo.graph["input_shape"]))
    imported = models.from_torch(module, example, name=name)
    assert list(imported.nodes) == list(zoo.nodes)
    assert dict(imported.nodes(data=True)) == dict(zoo.nodes(data=True))
    assert set(imported.edges) == set(zoo.edges)
    assert sum(p.numel() for p in module.parameters()) == models.summary(name).attrs[
        "total_params"]
