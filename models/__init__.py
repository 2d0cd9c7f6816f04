"""The DNN zoo: layer graphs as networkx DAGs, and importers from PyTorch (torch.fx) and ONNX.

>>> import models
>>> models.available()[:3]
['squeezenet', 'yolo_lite', 'kws']
>>> graph = models.get("resnet50")           # a copy: change it freely
>>> models.summary("resnet50").attrs["total_macs"]
4089184256

Each node is one layer (conv, fc, pool, add, concat, reorg) with the attributes listed in
:data:`models.schema.NODE_ATTRIBUTES`; edges are data dependencies. The zoo is pure Python:
importing this package does not import torch (only :func:`from_torch` does, when called) nor
onnx (only :func:`from_onnx`).
"""

from __future__ import annotations

from models.builder import GraphBuilder, Tensor
from models.onnx_import import from_onnx
from models.registry import available, get, register, summary, unregister
from models.schema import NODE_ATTRIBUTES, OPS, check_graph
from models.torch_import import from_torch

__all__ = [
    "NODE_ATTRIBUTES",
    "OPS",
    "GraphBuilder",
    "Tensor",
    "available",
    "check_graph",
    "from_onnx",
    "from_torch",
    "get",
    "register",
    "summary",
    "unregister",
]
