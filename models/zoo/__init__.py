"""The built-in zoo: one builder function per model, in the order of docs/modelling.md's table.

Each builder is pure Python (no torch) and returns a fresh, validated layer graph.
"""

from __future__ import annotations

from collections.abc import Callable

import networkx as nx

from models.zoo.alexnet import alexnet
from models.zoo.inception import inception_v3
from models.zoo.kws import kws
from models.zoo.resnet import resnet50
from models.zoo.squeezenet import squeezenet
from models.zoo.yolo import yolo_lite, yolov2

ZOO: dict[str, Callable[[], nx.DiGraph]] = {
    "squeezenet": squeezenet,
    "yolo_lite": yolo_lite,
    "kws": kws,
    "alexnet": alexnet,
    "inception_v3": inception_v3,
    "resnet50": resnet50,
    "yolov2": yolov2,
}
"""Zoo model name -> builder of its layer graph."""
