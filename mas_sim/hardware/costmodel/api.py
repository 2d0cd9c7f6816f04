"""Public entry points of the cost model, with their caches.

Everything is cached by value: a model name (zoo graphs are fixed) or a graph's content hash, the
:class:`SubAcceleratorSpec` (frozen, hashable), the NoP energy and the backend. Repeated calls
return the cached objects; a changed PE count, buffer or clock is a new key and is derived again.
Caches are bounded (least recently used entries go first) and :func:`clear_cache` empties them.
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Generic, TypeVar

import networkx as nx
import numpy as np
import pandas as pd

from mas_sim.core.errors import ConfigError, ModelError, unknown_name
from mas_sim.hardware.costmodel import BACKENDS, tiling
from mas_sim.hardware.costmodel.analytical import LayerCosts, analyze
from mas_sim.hardware.costmodel.batch import BatchCosts, analyze_batch, check_batch, scale_batch
from mas_sim.hardware.costmodel.energy import NOP_PJ_PER_BIT
from mas_sim.hardware.costmodel.layers import LayerTable, graph_key, layer_table
from mas_sim.hardware.profile import ModelProfile
from mas_sim.hardware.spec import SubAcceleratorSpec, SystemSpec

#: The zoo (docs/modelling.md section 2), used when ``models`` offers no ``available()``.
ZOO = ("squeezenet", "yolo_lite", "kws", "alexnet", "inception_v3", "resnet50", "yolov2")
#: Columns of :func:`evaluate`'s table.
COLUMNS = ("layer", "op", "macs", "latency_cycles", "dram_bytes", "bandwidth_bytes_per_cycle",
           "energy_pj", "utilization")

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _LRU(Generic[K, V]):
    """A small least-recently-used map."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self.data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self.data.get(key)
        if value is not None:
            self.data.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> V:
        self.data[key] = value
        self.data.move_to_end(key)
        while len(self.data) > self.maxsize:
            self.data.popitem(last=False)
        return value


_Prepared = tuple[LayerTable, tiling.TilingCandidates]
_Key = tuple[object, ...]
_prepared: _LRU[_Key, _Prepared] = _LRU(256)
_costs: _LRU[tuple[object, ...], LayerCosts] = _LRU(4096)
_profiles: _LRU[tuple[object, ...], ModelProfile] = _LRU(1024)
_batch_tilings: _LRU[tuple[object, ...], tiling.BatchTilings] = _LRU(64)


def clear_cache() -> None:
    """Forget every cached layer table, cost table and profile."""
    for cache in (_prepared, _costs, _profiles, _batch_tilings):
        cache.data.clear()
    zigzag = sys.modules.get("mas_sim.hardware.costmodel.zigzag_backend")
    if zigzag is not None:
        zigzag.clear_memo()


def _prepare(model_or_graph: str | nx.DiGraph) -> tuple[_Key, _Prepared]:
    """The layer table and tiling candidates of a model (by name) or a layer graph. A name is
    keyed with its registry revision: a model registered again under the same name is a new
    key, never costed with the old graph's tables."""
    key: _Key
    if isinstance(model_or_graph, str):
        import models  # lazily: the zoo is heavier than the cost model
        from models.registry import revision

        key = ("model", model_or_graph, revision(model_or_graph))
        hit = _prepared.get(key)
        if hit is not None:
            return key, hit
        graph = models.get(model_or_graph)
    elif isinstance(model_or_graph, nx.DiGraph):
        graph = model_or_graph
        key = ("graph", graph_key(graph))
        hit = _prepared.get(key)
        if hit is not None:
            return key, hit
    else:
        raise ModelError(f"expected a zoo model name or a networkx.DiGraph, "
                         f"got {type(model_or_graph).__name__}")
    table = layer_table(graph)
    return key, _prepared.put(key, (table, tiling.candidates(table)))


def _check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise ConfigError(unknown_name("cost-model backend", backend, BACKENDS))


def _layer_costs(key: _Key, prepared: _Prepared, sa: SubAcceleratorSpec,
                 backend: str, nop_pj_per_bit: float, batch: int = 1) -> LayerCosts:
    ckey = (key, sa, backend, nop_pj_per_bit) if batch == 1 else (
        key, sa, backend, nop_pj_per_bit, batch)
    hit = _costs.get(ckey)
    if hit is not None:
        return hit
    table, candidates = prepared
    if batch > 1:
        one = _layer_costs(key, prepared, sa, "analytical", nop_pj_per_bit)
        tkey = (key, sa)
        bt = _batch_tilings.get(tkey)
        if bt is None:
            bt = _batch_tilings.put(tkey, tiling.batch_tilings(table, candidates, sa))
        costs: LayerCosts = analyze_batch(table, bt, sa, one, batch, nop_pj_per_bit)
        if backend != "analytical":
            assert isinstance(costs, BatchCosts)
            costs = scale_batch(_layer_costs(key, prepared, sa, backend, nop_pj_per_bit), one,
                                costs)
        return _costs.put(ckey, costs)
    if backend == "analytical":
        costs = analyze(table, candidates, sa, nop_pj_per_bit)
    else:
        from mas_sim.hardware.costmodel import zigzag_backend

        costs = zigzag_backend.layer_costs(table, sa, nop_pj_per_bit)
    return _costs.put(ckey, costs)


def layer_costs(model_or_graph: str | nx.DiGraph, sa_spec: SubAcceleratorSpec, *,
                backend: str = "analytical",
                nop_energy_pj_per_bit: float = NOP_PJ_PER_BIT, batch: int = 1) -> LayerCosts:
    """The cached per-layer cost arrays behind :func:`evaluate` (topological order), for one
    image or, with ``batch`` in 2..32, a :class:`BatchCosts` of a batch (:mod:`.batch`)."""
    _check_backend(backend)
    batch = check_batch(batch)
    if not isinstance(sa_spec, SubAcceleratorSpec):
        raise ConfigError(f"expected a SubAcceleratorSpec, got {sa_spec!r}")
    key, prepared = _prepare(model_or_graph)
    return _layer_costs(key, prepared, sa_spec, backend, float(nop_energy_pj_per_bit), batch)


def evaluate(model_or_graph: str | nx.DiGraph, sa_spec: SubAcceleratorSpec, *,
             backend: str = "analytical",
             nop_energy_pj_per_bit: float = NOP_PJ_PER_BIT, batch: int = 1) -> pd.DataFrame:
    """Cost of every layer of a model on one SA class, one row per layer in topological order.

    Columns: ``layer, op, macs`` and ``latency_cycles`` (stall-free, 1 GHz system clock),
    ``dram_bytes``, ``bandwidth_bytes_per_cycle`` (DRAM bytes / latency), ``energy_pj``
    (including DRAM and the NoP at ``nop_energy_pj_per_bit``) and ``utilization`` (MACs /
    (SA cycles x peak MACs per SA cycle); 0 for pool, add, concat, reorg). With ``batch`` > 1
    every row is the cost of the layer for that many images at once (``macs`` stays one
    image's). The frame is new on every call; the numbers behind it are cached
    (:func:`layer_costs`).
    """
    costs = layer_costs(model_or_graph, sa_spec, backend=backend,
                        nop_energy_pj_per_bit=nop_energy_pj_per_bit, batch=batch)
    table = _prepare(model_or_graph)[1][0]
    return pd.DataFrame({
        "layer": list(table.layers), "op": list(table.op), "macs": table.macs.astype(np.int64),
        "latency_cycles": costs.latency_cycles.copy(), "dram_bytes": costs.dram_bytes.copy(),
        "bandwidth_bytes_per_cycle": costs.bandwidth.copy(), "energy_pj": costs.energy_pj.copy(),
        "utilization": costs.utilization.copy(),
    }, columns=list(COLUMNS))


def profile(model_or_graph: str | nx.DiGraph, system: SystemSpec, *,
            backend: str = "analytical", batch: int = 1) -> ModelProfile:
    """The :class:`ModelProfile` of a model on ``system``: column ``m`` = SA ``m``.

    Costs are computed once per distinct SA class and repeated for its instances. The result is
    cached by (model, the system's SAs, NoP energy, backend, batch), so a DRAM-bandwidth sweep
    reuses it. ``batch`` in 2..32 gives the costs of a batch of that many images (:mod:`.batch`);
    ``batch=1`` is the one-image profile itself.
    """
    _check_backend(backend)
    batch = check_batch(batch)
    if not isinstance(system, SystemSpec):
        raise ConfigError(f"expected a SystemSpec, got {system!r}")
    key, prepared = _prepare(model_or_graph)
    nop = float(system.nop_energy_pj_per_bit)
    pkey = (key, system.sub_accelerators, nop, backend) if batch == 1 else (
        key, system.sub_accelerators, nop, backend, batch)
    hit = _profiles.get(pkey)
    if hit is not None:
        return hit
    per_class = {sa: _layer_costs(key, prepared, sa, backend, nop, batch)
                 for sa in system.sa_classes}
    columns = [per_class[sa] for sa in system.sub_accelerators]
    table = prepared[0]
    result = ModelProfile(
        name=table.name if isinstance(model_or_graph, nx.DiGraph) else model_or_graph,
        layers=table.layers, predecessors=table.predecessors,
        latency=np.stack([c.latency_cycles for c in columns], axis=1),
        bandwidth=np.stack([c.bandwidth for c in columns], axis=1),
        energy=np.stack([c.energy_pj for c in columns], axis=1),
    )
    return _profiles.put(pkey, result)


def batch_profiles(system: SystemSpec, *,
                   backend: str = "analytical") -> Callable[[str, int], ModelProfile]:
    """``fn(model, b)``: :func:`profile` of a zoo model on ``system`` for a batch of ``b``, the
    form the batching engine takes (``mas_sim.sim.batching.BatchProfiles``)."""
    _check_backend(backend)

    def batch_profile(model: str, b: int) -> ModelProfile:
        return profile(model, system, backend=backend, batch=b)

    return batch_profile


def zoo_names() -> tuple[str, ...]:
    """Names of the zoo's models (``models.available()`` if the zoo offers it)."""
    import models

    available = getattr(models, "available", None)
    return tuple(available()) if callable(available) else ZOO


def system_tables(system: SystemSpec, models: Iterable[str] | None = None, *,
                  backend: str = "analytical") -> dict[str, ModelProfile]:
    """Profiles of several models (default: the whole zoo) on ``system``, keyed by model name."""
    names = zoo_names() if models is None else tuple(models)
    return {name: profile(name, system, backend=backend) for name in names}
