"""The layer-graph contract shared by the zoo, the importers and the cost model.

A model is a :class:`networkx.DiGraph` with one node per layer, named by its place in the network
(``layer1.0.conv2``, ``Mixed_5b.branch3x3dbl_2``, ``features.0``), and one edge per real data
dependency. The network input is not a node: the first layers have no predecessors. Every node
carries the attributes of :data:`NODE_ATTRIBUTES`; the graph carries ``name`` and ``input_shape``.

Units: MACs are multiply-accumulates of one inference (batch 1); data is 8-bit, so every byte count
is one byte per tensor element or per parameter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import networkx as nx

from mas_sim.core.errors import ModelError

Shape = tuple[int, int, int]
"""A feature map as (channels, height, width); an FC vector of n features is (n, 1, 1)."""

OPS: tuple[str, ...] = ("conv", "fc", "pool", "add", "concat", "reorg")
"""Layer kinds. ``reorg`` is YOLOv2's space-to-depth passthrough (memory-bound, no MACs)."""

POOL_TYPES: tuple[str, ...] = ("max", "avg")

NODE_ATTRIBUTES: Mapping[str, type] = {
    "op": str,
    "macs": int,
    "params": int,
    "weights": int,
    "input_shape": tuple,
    "output_shape": tuple,
    "kernel": tuple,
    "stride": tuple,
    "padding": tuple,
    "groups": int,
    "in_channels": int,
    "out_channels": int,
    "bytes_in": int,
    "bytes_out": int,
    "weight_bytes": int,
}
"""Attributes every node must carry, with their type. Pool nodes also carry ``pool_type``.

- ``op``: one of :data:`OPS`.
- ``macs``: multiply-accumulates (0 for pool, add, concat, reorg).
- ``params``: weights + biases + BN scale/shift (2 per channel, where BN is fused into the layer).
- ``weights``: weight count only.
- ``input_shape``: (C, H, W) read by the layer; for ``concat`` C is the sum over its inputs, for
  ``add`` the common shape of its inputs.
- ``output_shape``: (C, H, W) written.
- ``kernel``, ``stride``, ``padding``: (h, w) pairs; ``padding`` is the leading (top, left) padding
  (TF "SAME" padding may add one more row/column at the bottom/right). (1, 1), (1, 1), (0, 0) for
  FC, add and concat.
- ``groups``: convolution groups (``in_channels`` for depthwise); 1 for every other op.
- ``in_channels``, ``out_channels``: C of input and output.
- ``bytes_in``: bytes read from feature maps (all inputs of an ``add``), ``bytes_out``: bytes
  written, ``weight_bytes``: bytes of parameters (= ``params`` at 8 bits).
"""

_PAIRS = ("kernel", "stride", "padding")


def check_node(model: str, node: str, attrs: Mapping[str, Any]) -> None:
    """Raise :class:`ModelError` unless ``attrs`` follow :data:`NODE_ATTRIBUTES`."""
    where = f"model {model!r}, layer {node!r}"
    missing = [key for key in NODE_ATTRIBUTES if key not in attrs]
    if missing:
        raise ModelError(f"{where}: missing attribute(s) {', '.join(missing)} "
                         f"(every layer needs {', '.join(NODE_ATTRIBUTES)})")
    for key, kind in NODE_ATTRIBUTES.items():
        value = attrs[key]
        # bool is an int subclass, but True MACs is surely a mistake.
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ModelError(f"{where}: attribute {key}={value!r} should be of type "
                             f"{kind.__name__}")
        if isinstance(value, int) and value < 0:
            raise ModelError(f"{where}: attribute {key}={value} should be >= 0")
    if attrs["op"] not in OPS:
        raise ModelError(f"{where}: op {attrs['op']!r} is not one of {', '.join(OPS)}")
    for key in ("input_shape", "output_shape"):
        if not _is_int_tuple(attrs[key], 3, minimum=1):
            raise ModelError(f"{where}: {key}={attrs[key]!r} should be (C, H, W), ints >= 1")
    for key in _PAIRS:
        if not _is_int_tuple(attrs[key], 2, minimum=0):
            raise ModelError(f"{where}: {key}={attrs[key]!r} should be a pair of ints >= 0")
    if attrs["groups"] < 1:
        raise ModelError(f"{where}: groups={attrs['groups']} should be >= 1")
    if attrs["op"] == "pool" and attrs.get("pool_type") not in POOL_TYPES:
        raise ModelError(f"{where}: pool_type={attrs.get('pool_type')!r} should be one of "
                         f"{', '.join(POOL_TYPES)}")


def check_graph(model: str, graph: object) -> None:
    """Raise :class:`ModelError` unless ``graph`` is a valid layer graph.

    Valid: a non-empty :class:`networkx.DiGraph`, acyclic, weakly connected, every node following
    :func:`check_node`, and ``graph.graph["input_shape"]`` a (C, H, W) tuple.
    """
    if not isinstance(graph, nx.DiGraph) or graph.is_multigraph():
        raise ModelError(f"model {model!r}: expected a networkx.DiGraph, got "
                         f"{type(graph).__name__}")
    if graph.number_of_nodes() == 0:
        raise ModelError(f"model {model!r}: layer graph has no layers")
    if not nx.is_directed_acyclic_graph(graph):
        cycle = " -> ".join(str(u) for u, _ in nx.find_cycle(graph))
        raise ModelError(f"model {model!r}: layer graph has a cycle through {cycle}")
    if not nx.is_weakly_connected(graph):
        sizes = sorted((len(c) for c in nx.weakly_connected_components(graph)), reverse=True)
        raise ModelError(f"model {model!r}: layer graph is disconnected "
                         f"({len(sizes)} parts of {sizes} layers)")
    shape = graph.graph.get("input_shape")
    if not _is_int_tuple(shape, 3, minimum=1):
        raise ModelError(f"model {model!r}: graph attribute input_shape={shape!r} should be "
                         f"(C, H, W), ints >= 1")
    for node, attrs in graph.nodes(data=True):
        check_node(model, str(node), attrs)


def _is_int_tuple(value: object, length: int, *, minimum: int) -> bool:
    return (isinstance(value, tuple) and len(value) == length
            and all(isinstance(v, int) and not isinstance(v, bool) and v >= minimum
                    for v in value))
