"""A small pure-Python layer-graph builder with shape inference (no torch needed).

The zoo models and both importers describe a network through :class:`GraphBuilder`: each call adds
one layer node, computes its output shape, MACs and parameter count, and returns a :class:`Tensor`
that later calls consume. Operations that only relabel or rescale a tensor (activations,
flatten, dropout) create no node: the caller keeps using the same :class:`Tensor`.

Units: MACs of one inference (batch 1); bytes at 8 bits per element and per parameter.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx

from mas_sim.core.errors import ModelError
from models.schema import POOL_TYPES, Shape, check_graph

Pair = tuple[int, int]
Padding = int | tuple[int, int] | tuple[int, int, int, int] | str
"""Padding: an int, (ph, pw), (top, left, bottom, right), or ``"same"`` (TensorFlow SAME: output
= ceil(input / stride), the odd extra row/column at the bottom/right)."""


@dataclass(frozen=True)
class Tensor:
    """A value flowing between layers: the layers that produce it and its (C, H, W) shape."""

    producers: tuple[str, ...]
    """Nodes whose output this is (empty for the network input, several only via no-node ops)."""
    shape: Shape
    """(channels, height, width) of one sample."""

    @property
    def size(self) -> int:
        """Number of elements (= bytes at 8 bits)."""
        return self.shape[0] * self.shape[1] * self.shape[2]

    def flatten(self) -> Tensor:
        """The same value seen as a vector (C*H*W, 1, 1), as before an FC layer; no node."""
        return Tensor(self.producers, (self.size, 1, 1))

    def reshape(self, shape: Shape) -> Tensor:
        """The same value with another shape of as many elements; no node."""
        if math.prod(shape) != self.size:
            raise ModelError(f"cannot reshape {self.shape} ({self.size} elements) to {shape}")
        return Tensor(self.producers, shape)


def pair(value: int | Sequence[int], what: str) -> Pair:
    """(h, w) from an int or a 2-sequence of ints; ModelError otherwise."""
    if isinstance(value, bool):
        raise ModelError(f"{what}={value!r}: expected an int or a pair of ints")
    if isinstance(value, int):
        return (value, value)
    items = tuple(value)
    if len(items) != 2 or not all(isinstance(v, int) for v in items):
        raise ModelError(f"{what}={value!r}: expected an int or a pair of ints")
    return (int(items[0]), int(items[1]))


def _window_out(size: int, kernel: int, stride: int, before: int, after: int,
                ceil_mode: bool) -> int:
    """Output length of a sliding window (PyTorch rule, including its ceil-mode correction)."""
    span = size + before + after - kernel
    if span < 0:
        raise ModelError(f"window {kernel} larger than padded input {size + before + after}")
    if not ceil_mode:
        return span // stride + 1
    out = -(-span // stride) + 1
    # PyTorch: the last window must start inside the input or the leading padding.
    if (out - 1) * stride >= size + before:
        out -= 1
    return out


class GraphBuilder:
    """Builds one layer graph; node insertion order is a topological order.

    Names must be unique; a repeated name raises :class:`ModelError`.
    """

    def __init__(self, name: str, input_shape: Shape) -> None:
        if len(input_shape) != 3 or min(input_shape) < 1:
            raise ModelError(f"model {name!r}: input shape {input_shape!r} should be (C, H, W)")
        self.name = name
        self.graph = nx.DiGraph(name=name, input_shape=tuple(input_shape))
        self.input = Tensor((), tuple(input_shape))  # type: ignore[arg-type]
        self._bn_fused: set[str] = set()

    # -- layers with MACs ------------------------------------------------------------------
    def conv(self, name: str, x: Tensor, out_channels: int, kernel: int | Sequence[int],
             stride: int | Sequence[int] = 1, padding: Padding = 0, groups: int = 1,
             bias: bool = True, bn: bool = False) -> Tensor:
        """2-D convolution (optionally with a fused batch-norm: +2 params per output channel)."""
        c_in, h, w = x.shape
        kh, kw = pair(kernel, f"{name}: kernel")
        sh, sw = pair(stride, f"{name}: stride")
        if groups < 1 or c_in % groups or out_channels % groups:
            raise ModelError(f"model {self.name!r}, layer {name!r}: groups={groups} must divide "
                             f"in_channels={c_in} and out_channels={out_channels}")
        top, left, bottom, right = self._padding(name, padding, (h, w), (kh, kw), (sh, sw))
        ho = _window_out(h, kh, sh, top, bottom, False)
        wo = _window_out(w, kw, sw, left, right, False)
        weights = out_channels * (c_in // groups) * kh * kw
        params = weights + (out_channels if bias else 0) + (2 * out_channels if bn else 0)
        out = self._node(name, "conv", [x], x.shape, (out_channels, ho, wo),
                         kernel=(kh, kw), stride=(sh, sw), padding=(top, left), groups=groups,
                         macs=weights * ho * wo, weights=weights, params=params)
        if bn:
            self._bn_fused.add(name)
        return out

    def fc(self, name: str, x: Tensor, out_features: int, bias: bool = True) -> Tensor:
        """Fully connected layer on the flattened input."""
        flat = x.flatten()
        weights = flat.shape[0] * out_features
        return self._node(name, "fc", [flat], flat.shape, (out_features, 1, 1),
                          macs=weights, weights=weights,
                          params=weights + (out_features if bias else 0))

    # -- memory-bound layers ---------------------------------------------------------------
    def pool(self, name: str, x: Tensor, pool_type: str, kernel: int | Sequence[int],
             stride: int | Sequence[int] | None = None, padding: Padding = 0,
             ceil_mode: bool = False) -> Tensor:
        """Max or average pooling; ``stride`` defaults to ``kernel`` (as in PyTorch)."""
        if pool_type not in POOL_TYPES:
            raise ModelError(f"layer {name!r}: pool_type {pool_type!r} not in {POOL_TYPES}")
        c, h, w = x.shape
        kh, kw = pair(kernel, f"{name}: kernel")
        sh, sw = pair(kernel if stride is None else stride, f"{name}: stride")
        top, left, bottom, right = self._padding(name, padding, (h, w), (kh, kw), (sh, sw))
        ho = _window_out(h, kh, sh, top, bottom, ceil_mode)
        wo = _window_out(w, kw, sw, left, right, ceil_mode)
        return self._node(name, "pool", [x], x.shape, (c, ho, wo), kernel=(kh, kw),
                          stride=(sh, sw), padding=(top, left), pool_type=pool_type)

    def adaptive_pool(self, name: str, x: Tensor, pool_type: str,
                      output_size: int | Sequence[int] = 1) -> Tensor:
        """PyTorch adaptive pooling, recorded as the equivalent fixed window where one exists.

        When the input is not a multiple of the output, PyTorch's windows vary in size; the node
        then records the largest window and the mean stride, which keeps the shapes exact.
        """
        c, h, w = x.shape
        oh, ow = pair(output_size, f"{name}: output_size")
        sh, sw = max(h // oh, 1), max(w // ow, 1)
        kh, kw = -(-h // oh), -(-w // ow)
        if h % oh == 0 and w % ow == 0:
            kh, kw = h - (oh - 1) * sh, w - (ow - 1) * sw
        return self._node(name, "pool", [x], x.shape, (c, oh, ow), kernel=(kh, kw),
                          stride=(sh, sw), padding=(0, 0), pool_type=pool_type)

    def add(self, name: str, *xs: Tensor) -> Tensor:
        """Element-wise sum of tensors of one shape."""
        shapes = {x.shape for x in xs}
        if len(xs) < 2 or len(shapes) != 1:
            raise ModelError(f"model {self.name!r}, layer {name!r}: add needs >= 2 inputs of one "
                             f"shape, got {[x.shape for x in xs]}")
        return self._node(name, "add", list(xs), xs[0].shape, xs[0].shape,
                          bytes_in=sum(x.size for x in xs))

    def concat(self, name: str, *xs: Tensor) -> Tensor:
        """Channel concatenation of tensors of one height and width."""
        if len(xs) < 2 or len({x.shape[1:] for x in xs}) != 1:
            raise ModelError(f"model {self.name!r}, layer {name!r}: concat needs >= 2 inputs of "
                             f"one height and width, got {[x.shape for x in xs]}")
        shape = (sum(x.shape[0] for x in xs), xs[0].shape[1], xs[0].shape[2])
        return self._node(name, "concat", list(xs), shape, shape)

    def reorg(self, name: str, x: Tensor, stride: int) -> Tensor:
        """Space-to-depth (darknet ``reorg``): (C, H, W) -> (C*s*s, H/s, W/s)."""
        c, h, w = x.shape
        if stride < 1 or h % stride or w % stride:
            raise ModelError(f"layer {name!r}: reorg stride {stride} must divide {h}x{w}")
        return self._node(name, "reorg", [x], x.shape, (c * stride * stride, h // stride,
                                                         w // stride),
                          kernel=(stride, stride), stride=(stride, stride))

    # -- fusions used by the importers -----------------------------------------------------
    def fuse_bn(self, x: Tensor, what: str = "batch-norm") -> Tensor:
        """Count a batch-norm applied to ``x`` in its producing conv (+2 params per channel)."""
        conv = self._sole_producer(x, what, ("conv",))
        if conv in self._bn_fused:
            raise ModelError(f"model {self.name!r}: {what} follows conv {conv!r}, which already "
                             f"has a batch-norm")
        self._bn_fused.add(conv)
        self._grow_params(conv, 2 * x.shape[0])
        return x

    def fuse_bias(self, x: Tensor, count: int, what: str = "bias add") -> Tensor:
        """Count a constant bias of ``count`` values added to ``x`` in its producing conv/FC."""
        self._grow_params(self._sole_producer(x, what, ("conv", "fc")), count)
        return x

    def unique_name(self, base: str) -> str:
        """``base`` if no node has it yet, else ``base_1``, ``base_2``, ... (importers' naming)."""
        if base not in self.graph:
            return base
        i = 1
        while f"{base}_{i}" in self.graph:
            i += 1
        return f"{base}_{i}"

    def build(self) -> nx.DiGraph:
        """The finished graph, validated (acyclic, weakly connected, full node schema)."""
        check_graph(self.name, self.graph)
        return self.graph

    # -- internals -------------------------------------------------------------------------
    def _sole_producer(self, x: Tensor, what: str, ops: tuple[str, ...]) -> str:
        if len(x.producers) != 1 or self.graph.nodes[x.producers[0]]["op"] not in ops:
            got = ", ".join(f"{p} ({self.graph.nodes[p]['op']})" for p in x.producers) or "input"
            raise ModelError(f"model {self.name!r}: {what} can only follow a "
                             f"{' or '.join(ops)} layer, but follows {got}")
        return x.producers[0]

    def _grow_params(self, node: str, count: int) -> None:
        attrs = self.graph.nodes[node]
        attrs["params"] += count
        attrs["weight_bytes"] += count

    def _padding(self, name: str, padding: Padding, size: Pair, kernel: Pair,
                 stride: Pair) -> tuple[int, int, int, int]:
        """(top, left, bottom, right) from any accepted padding form."""
        if padding == "same":
            totals = [max((-(-n // s) - 1) * s + k - n, 0)
                      for n, k, s in zip(size, kernel, stride, strict=True)]
            return (totals[0] // 2, totals[1] // 2, totals[0] - totals[0] // 2,
                    totals[1] - totals[1] // 2)
        if padding == "valid":
            return (0, 0, 0, 0)
        if isinstance(padding, tuple) and len(padding) == 4:
            top, left, bottom, right = padding
        elif isinstance(padding, int | tuple):
            top, left = pair(padding, f"{name}: padding")
            bottom, right = top, left
        else:
            raise ModelError(f"layer {name!r}: padding {padding!r} not understood")
        if min(top, left, bottom, right) < 0:
            raise ModelError(f"layer {name!r}: negative padding {padding!r}")
        return (top, left, bottom, right)

    def _node(self, name: str, op: str, inputs: list[Tensor], input_shape: Shape,
              output_shape: Shape, *, kernel: Pair = (1, 1), stride: Pair = (1, 1),
              padding: Pair = (0, 0), groups: int = 1, macs: int = 0, weights: int = 0,
              params: int = 0, bytes_in: int | None = None, **extra: Any) -> Tensor:
        if name in self.graph:
            raise ModelError(f"model {self.name!r}: duplicate layer name {name!r}")
        if min(output_shape) < 1:
            raise ModelError(f"model {self.name!r}, layer {name!r}: empty output "
                             f"{output_shape} from input {input_shape}")
        out_size = output_shape[0] * output_shape[1] * output_shape[2]
        self.graph.add_node(
            name, op=op, macs=macs, params=params, weights=weights,
            input_shape=input_shape, output_shape=output_shape, kernel=kernel, stride=stride,
            padding=padding, groups=groups, in_channels=input_shape[0],
            out_channels=output_shape[0],
            bytes_in=sum(x.size for x in inputs) if bytes_in is None else bytes_in,
            bytes_out=out_size, weight_bytes=params, **extra)
        for x in inputs:
            for producer in x.producers:
                self.graph.add_edge(producer, name)
        return Tensor((name,), output_shape)


def chw(dims: Sequence[int | None], what: str) -> Shape:
    """(C, H, W) of one sample from its dims without the batch: (F,) -> (F, 1, 1), (C, L) ->
    (C, L, 1); ModelError for unknown dims or more than three."""
    if not 1 <= len(dims) <= 3 or any(not isinstance(d, int) or d < 1 for d in dims):
        raise ModelError(f"{what}: shape {tuple(dims)} (without batch) is not (C, H, W), (C, L) "
                         f"or (F,) with known sizes")
    full = [int(d or 0) for d in dims] + [1] * (3 - len(dims))
    return (full[0], full[1], full[2])
