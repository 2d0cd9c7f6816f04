"""Building the policy's view of the ready queue (RQ) at a tick, fast.

The RQ holds the unstarted sub-jobs (SJs) of the live requests. Sorted by absolute deadline
(then arrival, job id, layer), it is the requests in deadline order, each with its unstarted
layers in topological order; so it is assembled from one *block* per request. A block (the
request's unstarted layers, their in-request predecessor lists and ready flags) changes only
when one of the request's SJs starts or finishes, so it is cached on the job under the job's
version; a request with nothing started yet shares one block per model. The per-tick cost is
then a few numpy operations per request, not Python work per SJ.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mas_sim.core.errors import ConfigError
from mas_sim.hardware import SystemSpec
from mas_sim.hardware.profile import ModelProfile
from mas_sim.sim.jobs import PENDING, Job, SubJob
from mas_sim.sim.requests import Request
from mas_sim.sim.subaccelerator import SubAccelerator
from mas_sim.sim.tenancy import TenantTracker
from mas_sim.sim.view import SchedulerView

IntArray = npt.NDArray[np.int64]


class ModelTable:
    """Per-model data the engine looks up on hot paths, with costs stacked across models."""

    def __init__(self, profiles: Mapping[str, ModelProfile], isolated: Mapping[str, float],
                 system: SystemSpec) -> None:
        self.names = tuple(sorted(profiles))
        self.index = {name: i for i, name in enumerate(self.names)}
        self.profiles = [profiles[n] for n in self.names]
        for p in self.profiles:
            if p.num_sas != system.num_sas:
                raise ConfigError(f"model {p.name!r} has costs for {p.num_sas} SAs, the system "
                                  f"has {system.num_sas}")
        missing = [n for n in self.names if n not in isolated]
        if missing:
            raise ConfigError(f"no isolated latency for model(s) {missing}")
        self.isolated = [float(isolated[n]) for n in self.names]
        self.min_latency = [p.latency.min(axis=1).tolist() for p in self.profiles]
        sizes = [p.num_layers for p in self.profiles]
        self.offset = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64).tolist()
        self.latency = np.concatenate([p.latency for p in self.profiles])
        """``[sum L, M]`` latencies of every model's layers, stacked by model, cycles."""
        self.bandwidth = np.concatenate([p.bandwidth for p in self.profiles])
        self.energy = np.concatenate([p.energy for p in self.profiles])
        self._full_blocks: list[_Block | None] = [None] * len(self.profiles)

    def new_job(self, request: Request) -> Job:
        """A fresh job for ``request``."""
        i = self.index[request.model]
        return Job(request, self.profiles[i], i, self.isolated[i], self.min_latency[i])

    def block(self, job: Job) -> _Block:
        """The RQ block of ``job``: its unstarted layers (cached under the job's version)."""
        if job.unstarted == len(job.subjobs):
            full = self._full_blocks[job.model_id]
            if full is None:
                full = self._full_blocks[job.model_id] = self._make_block(job)
            return _Block(job.version, full.layers, full.gidx, full.indptr, full.indices,
                          full.ready, full.position, job.subjobs)
        cached = job._block
        if isinstance(cached, _Block) and cached.version == job.version:
            return cached
        block = self._make_block(job)
        job._block = block
        return block

    def _make_block(self, job: Job) -> _Block:
        subjobs = job.subjobs
        layers = [sj.layer for sj in subjobs if sj.state == PENDING]
        position = {layer: i for i, layer in enumerate(layers)}
        preds = job.profile.predecessors
        indptr = [0]
        indices: list[int] = []
        for layer in layers:
            indices.extend(position[p] for p in preds[layer] if p in position)
            indptr.append(len(indices))
        offset = self.offset[job.model_id]
        return _Block(job.version, layers,
                      np.asarray(layers, dtype=np.int64) + offset,
                      np.asarray(indptr, dtype=np.int64),
                      np.asarray(indices, dtype=np.int64),
                      np.array([subjobs[layer].preds_left == 0 for layer in layers], dtype=bool),
                      position, [subjobs[layer] for layer in layers])


@dataclass(frozen=True, eq=False)
class _Block:
    """One job's slice of the RQ."""

    version: int
    layers: list[int]
    gidx: IntArray
    """Rows of the stacked cost tables."""
    indptr: IntArray
    indices: IntArray
    """Local (in-block) predecessor CSR."""
    ready: npt.NDArray[np.bool_]
    position: dict[int, int]
    """Layer index -> position in the block."""
    subjobs: list[SubJob]


@dataclass(frozen=True, eq=False)
class ReadyQueue:
    """The RQ of one tick: its SJs in order, and where each job's block starts."""

    key: tuple[tuple[int, int], ...]
    """(job id, job version) of every job in order: equal keys mean an identical RQ."""
    jobs: list[Job]
    blocks: list[_Block]
    starts: list[int]
    """Index of each job's first SJ in the RQ."""
    subjobs: list[SubJob]
    static: dict[str, object]
    """View fields that depend only on the key (cost rows, request data, ready flags, CSR)."""
    index: dict[int, int]
    """Job id -> position in :attr:`jobs`."""

    def locate(self, job: Job) -> tuple[int, _Block] | None:
        """(start index, block) of ``job`` in this RQ, or None."""
        i = self.index.get(job.job_id)
        return None if i is None else (self.starts[i], self.blocks[i])


def collect(jobs: Sequence[Job], models: ModelTable, previous: ReadyQueue | None) -> ReadyQueue:
    """The RQ made of ``jobs`` (in deadline order); reuses ``previous`` if nothing changed.

    Between two ticks most requests neither start nor finish a layer, so the RQ is often the
    same; then every array of the view but the time-dependent ones is reused as it is.
    """
    key = tuple((job.job_id, job.version) for job in jobs)
    if previous is not None and previous.key == key:
        return previous
    blocks = [models.block(job) for job in jobs]
    sizes = [len(b.layers) for b in blocks]
    starts = [0]
    for n in sizes:
        starts.append(starts[-1] + n)
    subjobs: list[SubJob] = []
    for b in blocks:
        subjobs.extend(b.subjobs)
    return ReadyQueue(key, list(jobs), blocks, starts[:-1], subjobs,
                      _static_fields(jobs, blocks, sizes, starts, models),
                      {job.job_id: i for i, job in enumerate(jobs)})


def _static_fields(jobs: Sequence[Job], blocks: list[_Block], sizes: list[int],
                   starts: list[int], models: ModelTable) -> dict[str, object]:
    r = starts[-1]
    if len(blocks) == 1:  # common when requests are planned on arrival: skip the gathers
        b = blocks[0]
        gidx, indices, indptr, ready = b.gidx, b.indices, b.indptr, b.ready
    elif r:
        counts = np.asarray(sizes, dtype=np.int64)
        starts_arr = np.asarray(starts[:-1], dtype=np.int64)
        gidx = np.concatenate([b.gidx for b in blocks])
        pred_counts = np.fromiter((len(b.indices) for b in blocks), dtype=np.int64,
                                  count=len(blocks))
        indices = np.concatenate([b.indices for b in blocks]) + np.repeat(starts_arr,
                                                                          pred_counts)
        pred_base = np.concatenate([[0], np.cumsum(pred_counts)])[:-1]
        indptr = np.concatenate([np.concatenate([b.indptr[:-1] for b in blocks])
                                 + np.repeat(pred_base, counts), [len(indices)]])
        ready = np.concatenate([b.ready for b in blocks])
    else:
        gidx = np.zeros(0, dtype=np.int64)
        indices = np.zeros(0, dtype=np.int64)
        indptr = np.zeros(1, dtype=np.int64)
        ready = np.zeros(0, dtype=bool)

    def per_job(values: list[float] | list[int], dtype: type) -> np.ndarray:
        if len(values) == 1:
            return _frozen(np.full(r, values[0], dtype=dtype))
        return _frozen(np.repeat(np.asarray(values, dtype=dtype), sizes))

    reqs = [job.request for job in jobs]
    return {
        "latency": _frozen(models.latency[gidx]),
        "bandwidth": _frozen(models.bandwidth[gidx]),
        "energy": _frozen(models.energy[gidx]),
        "deadline": per_job([q.deadline for q in reqs], np.float64),
        "arrival": per_job([q.arrival for q in reqs], np.float64),
        "job_id": per_job([q.job_id for q in reqs], np.int64),
        "model_id": per_job([job.model_id for job in jobs], np.int64),
        "layer_index": _frozen(gidx - per_job([models.offset[j.model_id] for j in jobs],
                                              np.int64)),
        "ready": _frozen(ready),
        "pred_indptr": _frozen(indptr),
        "pred_indices": _frozen(indices),
        "priority": per_job([q.priority for q in reqs], np.int64),
        "tenant": per_job([q.tenant for q in reqs], np.int64),
        "isolated_latency": per_job([job.isolated_latency for job in jobs], np.float64),
        "remaining_work": per_job([job.remaining_work for job in jobs], np.float64),
        "tenant_deficit": _frozen(np.zeros(r)),
    }


def build_view(now: float, period: float, rq: ReadyQueue, models: ModelTable,
               sas: Sequence[SubAccelerator], system: SystemSpec,
               tenants: TenantTracker | None = None) -> SchedulerView:
    """The policy's view of ``rq`` at ``now``.

    The DRAM arbiter must have been synced to ``now`` (``remaining`` is read from transfers).
    Only ``release``, ``sa_busy_for``, ``running_bandwidth`` and, when ``tenants`` has recorded
    targets, ``tenant_deficit`` are computed here; the rest comes from ``rq.static``.
    """
    r = len(rq.subjobs)
    m = system.num_sas
    release = np.full(r, now)
    busy = np.zeros(m)
    running_bw = np.zeros(m)
    for sa in sas:
        transfer, sj = sa.transfer, sa.running
        if transfer is None or sj is None:
            continue
        finish_in = transfer.time_left()
        busy[sa.index] = finish_in
        running_bw[sa.index] = transfer.demand
        located = rq.locate(sj.job)
        if located is None:
            continue
        base, block = located
        for succ in sj.job.profile.successors[sj.layer]:
            pos = block.position.get(succ)
            if pos is not None:
                release[base + pos] = max(release[base + pos], now + finish_in)
    static = rq.static
    if tenants is not None and tenants.active:
        deficit = [tenants.deficit(job.request.tenant) for job in rq.jobs]
        static = {**static, "tenant_deficit": _frozen(np.repeat(
            np.asarray(deficit, dtype=np.float64), [len(b.layers) for b in rq.blocks]))}
    return SchedulerView(
        now=now, period=period, release=_frozen(release), sa_busy_for=_frozen(busy),
        dram_bandwidth=system.dram_bandwidth, running_bandwidth=_frozen(running_bw),
        model_names=models.names, **static)  # type: ignore[arg-type]


def _frozen(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a
