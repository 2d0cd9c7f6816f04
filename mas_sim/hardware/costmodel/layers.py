"""A layer graph flattened into numpy arrays, one entry per layer in topological order.

The cost model works on whole models at once (vectorised over layers), so the first step turns the
zoo's ``networkx.DiGraph`` into a :class:`LayerTable`. The node schema it reads is the zoo's
contract (``models/``): ``op`` in ``conv, fc, pool, add, concat, reorg``, ``macs``,
``input_shape`` / ``output_shape`` as ``(C, H, W)``, ``kernel``, ``stride``, ``groups``,
``bytes_in``, ``bytes_out``, ``weight_bytes`` (8-bit data: one byte per element). An FC layer is a
1x1 convolution on a 1x1 map: input ``(in_features, 1, 1)``, output ``(out_features, 1, 1)``.

Notation (Eyeriss/Timeloop): ``C`` input channels, ``M`` output channels, ``G`` groups,
``H x W`` input map, ``E x F`` output map, ``R x S`` kernel (rows x columns). Counts are float64
arrays so the vectorised formulas never overflow (all values are exact below 2**53).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt

from mas_sim.core.errors import ModelError
from mas_sim.hardware.profile import topological_order

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Layer kinds the cost model knows; conv and fc do MACs, the others only move data.
OPS: tuple[str, ...] = ("conv", "fc", "pool", "add", "concat", "reorg")
MAC_OPS = frozenset({"conv", "fc"})

_COMMON = ("op", "macs", "bytes_in", "bytes_out")
_CONV = ("input_shape", "output_shape", "kernel", "stride", "groups", "weight_bytes")
_FC = ("input_shape", "output_shape", "weight_bytes")


@dataclass(frozen=True, eq=False)
class LayerTable:
    """Every layer of one model as parallel arrays (index = position in topological order)."""

    name: str
    """Model name (``graph.graph["name"]``, or ``"graph"`` if the graph has none)."""
    layers: tuple[str, ...]
    """Layer names in topological order."""
    predecessors: tuple[tuple[int, ...], ...]
    """Indices of the layers each layer consumes (all lower indices)."""
    op: tuple[str, ...]
    """Layer kind, one of :data:`OPS`."""
    is_mac: BoolArray
    """True for conv and fc layers."""
    macs: FloatArray
    """Multiply-accumulates (the zoo's ``macs``; 0 for data-movement layers)."""
    groups: FloatArray
    """Convolution groups ``G`` (1 for dense conv and fc)."""
    C: FloatArray
    """Input channels (all groups)."""
    M: FloatArray
    """Output channels (all groups)."""
    H: FloatArray
    """Input map height."""
    W: FloatArray
    """Input map width."""
    E: FloatArray
    """Output map height."""
    F: FloatArray
    """Output map width."""
    R: FloatArray
    """Kernel rows (height)."""
    S: FloatArray
    """Kernel columns (width)."""
    stride: FloatArray
    """Vertical stride (rows), used for the input rows a tile of output rows needs."""
    stride_w: FloatArray
    """Horizontal stride (columns); the ZigZag backend's input-column relation."""
    input_bytes: FloatArray
    """Bytes read as input (all input tensors), the zoo's ``bytes_in``."""
    output_bytes: FloatArray
    """Bytes written as output, the zoo's ``bytes_out``."""
    weight_bytes: FloatArray
    """Weight bytes (0 for data-movement layers)."""
    vector_ops: FloatArray
    """Element operations of data-movement layers (pool: outputs x window; add: inputs - outputs;
    concat, reorg: 0), executed on the PE array at its peak rate; 0 for MAC layers."""

    @property
    def num_layers(self) -> int:
        """L, the number of layers."""
        return len(self.layers)


def _shape3(node: str, attrs: Mapping[str, Any], key: str) -> tuple[int, int, int]:
    value = attrs[key]
    try:
        c, h, w = (int(v) for v in value)
    except (TypeError, ValueError):
        raise ModelError(f"layer {node!r}: {key} = {value!r}, expected (C, H, W)") from None
    if min(c, h, w) <= 0:
        raise ModelError(f"layer {node!r}: {key} = {value!r}, expected positive sizes")
    return c, h, w


def _pair(node: str, attrs: Mapping[str, Any], key: str) -> tuple[int, int]:
    value = attrs.get(key, (1, 1))
    try:
        a, b = (int(v) for v in value)
    except (TypeError, ValueError):
        raise ModelError(f"layer {node!r}: {key} = {value!r}, expected a pair of ints") from None
    if min(a, b) <= 0:
        raise ModelError(f"layer {node!r}: {key} = {value!r}, expected positive sizes")
    return a, b


def _number(node: str, attrs: Mapping[str, Any], key: str) -> float:
    value = attrs[key]
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ModelError(f"layer {node!r}: {key} = {value!r}, expected a number >= 0")
    number = float(value)
    if not np.isfinite(number) or number < 0:
        raise ModelError(f"layer {node!r}: {key} = {value!r}, expected a number >= 0")
    return number


def _require(node: str, attrs: Mapping[str, Any], keys: tuple[str, ...]) -> None:
    missing = [k for k in keys if k not in attrs]
    if missing:
        raise ModelError(f"layer {node!r} (op {attrs.get('op')!r}) lacks attribute(s) {missing}")


def _row(node: str, attrs: Mapping[str, Any]) -> dict[str, float]:
    """The numbers of one layer; raises :class:`ModelError` on a malformed node."""
    _require(node, attrs, _COMMON)
    op = attrs["op"]
    if op not in OPS:
        raise ModelError(f"layer {node!r}: op = {op!r}, expected one of {OPS}")
    row = {"macs": _number(node, attrs, "macs"), "bytes_in": _number(node, attrs, "bytes_in"),
           "bytes_out": _number(node, attrs, "bytes_out"), "groups": 1.0, "weight_bytes": 0.0,
           "C": 1.0, "H": 1.0, "W": 1.0, "M": 1.0, "E": 1.0, "F": 1.0, "R": 1.0, "S": 1.0,
           "stride": 1.0, "stride_w": 1.0, "vector_ops": 0.0}
    if op in MAC_OPS:
        _require(node, attrs, _CONV if op == "conv" else _FC)
        c, h, w = _shape3(node, attrs, "input_shape")
        m, e, f = _shape3(node, attrs, "output_shape")
        r, s = _pair(node, attrs, "kernel") if op == "conv" else (1, 1)
        sh, sw = _pair(node, attrs, "stride") if op == "conv" else (1, 1)
        g = int(attrs.get("groups", 1)) if op == "conv" else 1
        if op == "fc":  # an FC layer is a 1x1 conv on a 1x1 map whatever the zoo's H, W say
            c, m, h, w, e, f = c * h * w, m * e * f, 1, 1, 1, 1
        if g <= 0 or c % g or m % g:
            raise ModelError(f"layer {node!r}: groups = {attrs.get('groups')!r} must divide "
                             f"input channels {c} and output channels {m}")
        row.update(C=c, H=h, W=w, M=m, E=e, F=f, R=r, S=s, stride=sh, stride_w=sw, groups=g,
                   weight_bytes=_number(node, attrs, "weight_bytes"))
    elif op == "pool":
        _require(node, attrs, ("output_shape",))
        m, e, f = _shape3(node, attrs, "output_shape")
        r, s = _pair(node, attrs, "kernel")
        row["vector_ops"] = float(m * e * f * r * s)
    elif op == "add":
        row["vector_ops"] = max(0.0, row["bytes_in"] - row["bytes_out"])
    return row


def graph_key(graph: nx.DiGraph) -> str:
    """A content hash of a layer graph: equal graphs (names, attributes, edges) share a key.

    Used to cache cost tables for graphs handed in directly; building it costs about as much as
    reading the graph once.
    """
    digest = hashlib.sha1(usedforsecurity=False)
    digest.update(repr(graph.graph.get("name")).encode())
    for node, attrs in graph.nodes(data=True):
        digest.update(repr((node, sorted(attrs.items(), key=lambda kv: kv[0]))).encode())
    for u, v in graph.edges():
        digest.update(repr((u, v)).encode())
    return digest.hexdigest()


def layer_table(graph: nx.DiGraph) -> LayerTable:
    """Flatten a zoo layer graph into a :class:`LayerTable`.

    Raises :class:`ModelError` for a cyclic, disconnected or empty graph (via
    :func:`mas_sim.hardware.profile.topological_order`), an unknown ``op``, a missing attribute,
    or groups that do not divide the channels.
    """
    if not isinstance(graph, nx.DiGraph):
        raise ModelError(f"expected a networkx.DiGraph layer graph, got {type(graph).__name__}")
    name = str(graph.graph.get("name", "graph"))
    order = topological_order(graph, name)
    index = {node: i for i, node in enumerate(order)}
    rows = [_row(str(node), graph.nodes[node]) for node in order]
    ops = tuple(str(graph.nodes[node]["op"]) for node in order)

    def column(key: str) -> FloatArray:
        arr = np.array([r[key] for r in rows], dtype=np.float64)
        arr.setflags(write=False)
        return arr

    is_mac = np.array([op in MAC_OPS for op in ops], dtype=np.bool_)
    is_mac.setflags(write=False)
    preds = tuple(tuple(sorted(index[p] for p in graph.predecessors(node))) for node in order)
    return LayerTable(
        name=name, layers=tuple(str(node) for node in order), predecessors=preds, op=ops,
        is_mac=is_mac, macs=column("macs"), groups=column("groups"), C=column("C"),
        M=column("M"), H=column("H"), W=column("W"), E=column("E"), F=column("F"),
        R=column("R"), S=column("S"), stride=column("stride"), stride_w=column("stride_w"),
        input_bytes=column("bytes_in"),
        output_bytes=column("bytes_out"), weight_bytes=column("weight_bytes"),
        vector_ops=column("vector_ops"),
    )
