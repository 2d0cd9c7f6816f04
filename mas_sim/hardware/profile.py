"""The cost profile of one DNN model on one system: the layer DAG with per-SA costs.

A :class:`ModelProfile` is what the engine and the workload consume. It is built by the cost model
(:func:`mas_sim.hardware.costmodel.profile`) from a zoo graph, or by hand with
:meth:`ModelProfile.build` for tests and toy studies.

Units: latency in stall-free cycles of the 1 GHz system clock, bandwidth in bytes/cycle (the DRAM
traffic of the layer divided by its stall-free latency), energy in pJ. Column ``m`` of every array
is SA ``m`` of the system, in :attr:`SystemSpec.sub_accelerators` order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import networkx as nx
import numpy as np
import numpy.typing as npt

from mas_sim.core.errors import ModelError

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class ModelProfile:
    """Layers of one model in topological order, their DAG, and their cost on every SA."""

    name: str
    """Model name, e.g. ``"resnet50"``."""
    layers: tuple[str, ...]
    """Layer names, in a topological order of the DAG (index = layer index everywhere)."""
    predecessors: tuple[tuple[int, ...], ...]
    """For each layer, the indices of the layers whose output it consumes (all lower indices)."""
    latency: FloatArray
    """Stall-free latency of layer ``l`` on SA ``m``, cycles, shape ``[L, M]``, all > 0."""
    bandwidth: FloatArray
    """DRAM bandwidth layer ``l`` needs on SA ``m`` without stalls, bytes/cycle, ``[L, M]``."""
    energy: FloatArray
    """Energy of layer ``l`` on SA ``m``, pJ, ``[L, M]``."""
    successors: tuple[tuple[int, ...], ...] = field(init=False)
    """For each layer, the indices of the layers that consume its output (derived)."""

    def __post_init__(self) -> None:
        n = len(self.layers)
        for attr in ("latency", "bandwidth", "energy"):
            arr = np.array(getattr(self, attr), dtype=np.float64)
            arr.setflags(write=False)
            object.__setattr__(self, attr, arr)
            if arr.ndim != 2 or arr.shape[0] != n or arr.shape[1] < 1:
                raise ModelError(f"model {self.name!r}: {attr} has shape {arr.shape}, "
                                 f"expected ({n}, M) with M >= 1")
            if not np.all(np.isfinite(arr)):
                raise ModelError(f"model {self.name!r}: {attr} has non-finite values")
        if self.latency.shape != self.bandwidth.shape or self.latency.shape != self.energy.shape:
            raise ModelError(f"model {self.name!r}: latency, bandwidth and energy shapes differ")
        if np.any(self.latency <= 0):
            raise ModelError(f"model {self.name!r}: every latency must be > 0 cycles")
        if np.any(self.bandwidth < 0) or np.any(self.energy < 0):
            raise ModelError(f"model {self.name!r}: bandwidth and energy must be >= 0")
        if len(self.predecessors) != n:
            raise ModelError(f"model {self.name!r}: {len(self.predecessors)} predecessor lists "
                             f"for {n} layers")
        succ: list[list[int]] = [[] for _ in range(n)]
        for v, preds in enumerate(self.predecessors):
            for u in preds:
                if not 0 <= u < v:
                    raise ModelError(f"model {self.name!r}: layer {self.layers[v]!r} depends on "
                                     f"index {u}, expected a layer before it in topological order")
                succ[u].append(v)
        object.__setattr__(self, "successors", tuple(tuple(s) for s in succ))

    @cached_property
    def cost_rows(self) -> tuple[list[list[float]], list[list[float]], list[list[float]]]:
        """(latency, bandwidth, energy) as nested Python lists: cheap scalar reads on the
        engine's per-sub-job paths, where indexing a numpy array costs more than the work."""
        return self.latency.tolist(), self.bandwidth.tolist(), self.energy.tolist()

    @property
    def num_layers(self) -> int:
        """L, the number of layers (sub-jobs per request)."""
        return len(self.layers)

    @property
    def num_sas(self) -> int:
        """M, the number of SAs the costs are given for."""
        return int(self.latency.shape[1])

    @classmethod
    def build(cls, name: str, layers: Sequence[str], edges: Sequence[tuple[str, str]],
              latency: npt.ArrayLike, bandwidth: npt.ArrayLike,
              energy: npt.ArrayLike | None = None) -> ModelProfile:
        """Build a profile from named layers, ``(producer, consumer)`` edges and cost arrays.

        Rows of the arrays follow ``layers``; the profile re-orders them topologically (stable:
        among ready layers, the one listed first comes first). Raises :class:`ModelError` on an
        unknown layer in an edge, a cycle, or a graph that is not weakly connected.
        """
        graph = nx.DiGraph()
        graph.add_nodes_from(layers)
        for u, v in edges:
            for x in (u, v):
                if x not in graph:
                    raise ModelError(f"model {name!r}: edge ({u!r}, {v!r}) names unknown "
                                     f"layer {x!r}")
            graph.add_edge(u, v)
        order = topological_order(graph, name)
        position = {layer: i for i, layer in enumerate(layers)}
        rows = [position[layer] for layer in order]
        index = {layer: i for i, layer in enumerate(order)}
        preds = tuple(tuple(sorted(index[p] for p in graph.predecessors(layer))) for layer in order)
        lat = np.asarray(latency, dtype=np.float64)
        bw = np.asarray(bandwidth, dtype=np.float64)
        en = np.zeros_like(lat) if energy is None else np.asarray(energy, dtype=np.float64)
        for attr, arr in (("latency", lat), ("bandwidth", bw), ("energy", en)):
            if arr.ndim != 2 or arr.shape[0] != len(layers):
                raise ModelError(f"model {name!r}: {attr} has shape {arr.shape}, "
                                 f"expected ({len(layers)}, M)")
        return cls(name, tuple(order), preds, lat[rows], bw[rows], en[rows])


def topological_order(graph: nx.DiGraph, name: str) -> list[str]:
    """A stable topological order of a layer graph; refuses cyclic or disconnected graphs."""
    if graph.number_of_nodes() == 0:
        raise ModelError(f"model {name!r} has no layers")
    if not nx.is_directed_acyclic_graph(graph):
        cycle = nx.find_cycle(graph)
        raise ModelError(f"model {name!r}: layer graph has a cycle through "
                         f"{' -> '.join(str(u) for u, _ in cycle)}")
    if not nx.is_weakly_connected(graph):
        parts = sorted(len(c) for c in nx.weakly_connected_components(graph))
        raise ModelError(f"model {name!r}: layer graph is disconnected "
                         f"({len(parts)} components of sizes {parts})")
    listed = {node: i for i, node in enumerate(graph.nodes)}
    return list(nx.lexicographical_topological_sort(graph, key=lambda node: listed[node]))
