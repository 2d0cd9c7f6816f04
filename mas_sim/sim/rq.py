"""Building the policy's view of the ready queue (RQ) at a tick, fast.

The RQ holds the unstarted sub-jobs (SJs) of the live requests. Sorted by absolute deadline
(then arrival, job id, layer), it is the requests in deadline order, each with its unstarted
layers in topological order. Each job keeps its layers' state in one small array
(:attr:`~mas_sim.sim.jobs.Job.left`: -1 once started or dropped, else the number of unfinished
predecessors), and each live job's fixed fields sit in a row of a :class:`JobTable`; a compiled
kernel (:mod:`.jit`) turns the jobs' state arrays into every array of the view in one pass, so
the per-tick cost is a few array operations, not Python work per SJ. Between two ticks the RQ is
often unchanged (no SJ started or finished); then the arrays are reused as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from mas_sim.core.errors import ConfigError
from mas_sim.hardware import SystemSpec
from mas_sim.hardware.profile import ModelProfile
from mas_sim.sim.jit import njit
from mas_sim.sim.jobs import Job, SubJob
from mas_sim.sim.requests import Request
from mas_sim.sim.subaccelerator import SubAccelerator
from mas_sim.sim.tenancy import TenantTracker
from mas_sim.sim.view import SchedulerView

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

# Columns of JobTable.floats and JobTable.ints.
_DEADLINE, _ARRIVAL, _ISOLATED, _REMAINING = range(4)
_JOB_ID, _MODEL_ID, _PRIORITY, _TENANT = range(4)


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
        self.size = np.asarray(sizes, dtype=np.int64)
        """Layers of each model."""
        self.offset = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        """First row of each model in the stacked tables (and the total, last)."""
        self.latency = np.concatenate([p.latency for p in self.profiles])
        """``[sum L, M]`` latencies of every model's layers, stacked by model, cycles."""
        self.bandwidth = np.concatenate([p.bandwidth for p in self.profiles])
        self.energy = np.concatenate([p.energy for p in self.profiles])
        preds = [p.predecessors[layer] for p in self.profiles for layer in range(p.num_layers)]
        self.pred_ptr = np.concatenate([[0], np.cumsum([len(u) for u in preds])]).astype(np.int64)
        """CSR row pointers over the stacked rows: the layer's predecessors (layer indices)."""
        self.pred_idx = np.asarray([u for us in preds for u in us], dtype=np.int64)
        self._num_preds = [np.asarray([len(u) for u in p.predecessors], dtype=np.int64)
                           for p in self.profiles]

    def new_job(self, request: Request) -> Job:
        """A fresh job for ``request``."""
        i = self.index[request.model]
        return Job(request, self.profiles[i], i, self.isolated[i], self.min_latency[i],
                   self._num_preds[i])

    def add_model(self, name: str, profile: ModelProfile, isolated: float) -> int:
        """Append a model (shown to policies as ``name``); return its index."""
        self.names = (*self.names, name)
        self.profiles.append(profile)
        self.isolated.append(float(isolated))
        self.min_latency.append(profile.latency.min(axis=1).tolist())
        self.size = np.append(self.size, profile.num_layers)
        self.offset = np.append(self.offset, self.offset[-1] + profile.num_layers)
        self.latency = np.concatenate([self.latency, profile.latency])
        self.bandwidth = np.concatenate([self.bandwidth, profile.bandwidth])
        self.energy = np.concatenate([self.energy, profile.energy])
        preds = profile.predecessors
        self.pred_ptr = np.append(self.pred_ptr, self.pred_ptr[-1] + np.cumsum(
            [len(u) for u in preds], dtype=np.int64))
        self.pred_idx = np.append(self.pred_idx, np.asarray([u for us in preds for u in us],
                                                            dtype=np.int64))
        self._num_preds.append(np.asarray([len(u) for u in preds], dtype=np.int64))
        return len(self.profiles) - 1


class JobTable:
    """The fixed fields of the live jobs (and their remaining work), one row per job.

    Rows of ended jobs are reused, so the table grows with the number of jobs alive at once,
    not with the number of requests.
    """

    def __init__(self, capacity: int = 64) -> None:
        self.floats = np.zeros((capacity, 4))
        """Per row: deadline, arrival, isolated latency, remaining work (cycles)."""
        self.ints = np.zeros((capacity, 4), dtype=np.int64)
        """Per row: job id, model id, priority class, tenant."""
        self._free: list[int] = []
        self._used = 0

    def add(self, job: Job) -> None:
        """Give ``job`` a row (``job.row``) holding its fields."""
        if self._free:
            row = self._free.pop()
        else:
            row = self._used
            self._used += 1
            if row == self.floats.shape[0]:
                self.floats = np.concatenate([self.floats, np.zeros_like(self.floats)])
                self.ints = np.concatenate([self.ints, np.zeros_like(self.ints)])
        job.row = row
        self.write(job)

    def write(self, job: Job) -> None:
        """(Re)write ``job``'s row from the job and its request (after its request changed)."""
        req = job.request
        self.floats[job.row] = (req.deadline, req.arrival, job.isolated_latency,
                                job.remaining_work)
        self.ints[job.row] = (req.job_id, job.model_id, req.priority, req.tenant)

    def set_remaining(self, job: Job) -> None:
        """Copy ``job.remaining_work`` into its row."""
        self.floats[job.row, _REMAINING] = job.remaining_work

    def remove(self, job: Job) -> None:
        """Free the row of an ended job."""
        self._free.append(job.row)
        job.row = -1


@dataclass(frozen=True, eq=False)
class ReadyQueue:
    """The RQ of one tick: its jobs in order and where each of their layers is in it."""

    key: tuple[int, int]
    """(:attr:`Job.changes <mas_sim.sim.jobs.Job.changes>`, number of jobs) when it was built:
    the same key later means the same RQ."""
    jobs: list[Job]
    slot_start: list[int]
    """Job ``j``'s layer ``l`` is slot ``slot_start[j] + l`` of :attr:`slot_rq`."""
    slot_rq: IntArray
    """RQ index of every slot (-1: the layer is not in the RQ)."""
    job_of: IntArray
    """``[R]`` position in :attr:`jobs` of each SJ's job."""
    job_pos: IntArray
    """Position in :attr:`jobs` of the job in each row of the job table (-1: not in the RQ)."""
    static: dict[str, np.ndarray]
    """View fields that depend only on the key (cost rows, request data, ready flags, CSR)."""
    _subjobs: dict[bool, list[SubJob]] = field(default_factory=dict)

    def subjobs(self, ready_only: bool) -> list[SubJob]:
        """The RQ's SJs in order (with ``ready_only``, those whose predecessors all finished)."""
        cached = self._subjobs.get(ready_only)
        if cached is None:
            rows = np.arange(self.job_of.shape[0])
            if ready_only:
                rows = rows[self.static["ready"]]
            layer = self.static["layer_index"][rows].tolist()
            jobs = self.jobs
            cached = [jobs[j].subjobs[lay] for j, lay in zip(self.job_of[rows].tolist(), layer,
                                                               strict=True)]
            self._subjobs[ready_only] = cached
        return cached

    def locate(self, job: Job) -> int:
        """Position of ``job`` in :attr:`jobs`, -1 if it is not in the RQ."""
        row = job.row
        return int(self.job_pos[row]) if 0 <= row < self.job_pos.shape[0] else -1


def collect(jobs: Sequence[Job], models: ModelTable, table: JobTable,
            previous: ReadyQueue | None, reuse: bool = True) -> ReadyQueue:
    """The RQ made of ``jobs`` (in deadline order).

    With ``reuse``, ``previous`` is returned as it is if no job was made or changed since it
    was built (:attr:`Job.changes <mas_sim.sim.jobs.Job.changes>`) and ``jobs`` is as long: the
    caller must pass every job that can hold unstarted SJs (the engine's live jobs), so that
    ``jobs`` is then the same list.
    """
    key = (Job.changes, len(jobs))
    if reuse and previous is not None and previous.key == key:
        return previous
    left = jobs[0].left if len(jobs) == 1 else np.concatenate([job.left for job in jobs])
    rows = np.fromiter([job.row for job in jobs], dtype=np.int64, count=len(jobs))
    (latency, bandwidth, energy, layer, job_of, ready, indptr, indices, slot_rq, slot_start,
     job_pos, floats, ints) = _assemble(left, rows, table.ints, table.floats, models.offset,
                                        models.size, models.pred_ptr, models.pred_idx,
                                        models.latency, models.bandwidth, models.energy)
    zeros = np.zeros(layer.shape[0])  # the tenant columns (zeros until a target is recorded)
    for a in (latency, bandwidth, energy, layer, ready, indptr, indices, floats, ints, zeros):
        a.setflags(write=False)  # rows taken from floats and ints below are read-only too
    static = {
        "latency": latency,
        "bandwidth": bandwidth,
        "energy": energy,
        "deadline": floats[_DEADLINE],
        "arrival": floats[_ARRIVAL],
        "job_id": ints[_JOB_ID],
        "model_id": ints[_MODEL_ID],
        "layer_index": layer,
        "ready": ready,
        "pred_indptr": indptr,
        "pred_indices": indices,
        "priority": ints[_PRIORITY],
        "tenant": ints[_TENANT],
        "isolated_latency": floats[_ISOLATED],
        "remaining_work": floats[_REMAINING],
        "tenant_deficit": zeros,
        "tenant_target": zeros,
    }
    return ReadyQueue(key, list(jobs), slot_start.tolist(), slot_rq, job_of, job_pos, static)


@njit
def _assemble(left: IntArray, rows: IntArray, int_table: IntArray, float_table: FloatArray,
              offset: IntArray, size: IntArray, pred_ptr: IntArray, pred_idx: IntArray,
              latency_table: FloatArray, bandwidth_table: FloatArray, energy_table: FloatArray,
              ) -> tuple:
    """The RQ of the jobs whose concatenated layer states are ``left`` (see :class:`ReadyQueue`).

    Returns the SJs' ``[R, M]`` latency, bandwidth and energy rows, ``layer``, ``job_of``,
    ``ready``, the in-RQ predecessor CSR (``indptr``, ``indices``, in the profile's predecessor
    order), ``slot_rq``, ``slot_start``, ``job_pos`` and the SJs' job fields (``[4, R]`` floats
    and ints).
    """
    n_jobs = rows.shape[0]
    m = latency_table.shape[1]
    r = 0
    for s in range(left.shape[0]):
        if left[s] >= 0:
            r += 1
    gidx = np.empty(r, dtype=np.int64)
    layer = np.empty(r, dtype=np.int64)
    job_of = np.empty(r, dtype=np.int64)
    ready = np.empty(r, dtype=np.bool_)
    slot_rq = np.empty(left.shape[0], dtype=np.int64)
    slot_start = np.empty(n_jobs, dtype=np.int64)
    job_pos = np.full(int_table.shape[0], -1, dtype=np.int64)
    floats = np.empty((4, r))
    ints = np.empty((4, r), dtype=np.int64)
    latency = np.empty((r, m))
    bandwidth = np.empty((r, m))
    energy = np.empty((r, m))
    pos = 0
    base = 0
    for j in range(n_jobs):
        row = rows[j]
        job_pos[row] = j
        model = int_table[row, _MODEL_ID]
        slot_start[j] = base
        for lay in range(size[model]):
            s = base + lay
            if left[s] >= 0:
                g = offset[model] + lay
                slot_rq[s] = pos
                gidx[pos] = g
                layer[pos] = lay
                job_of[pos] = j
                ready[pos] = left[s] == 0
                for c in range(4):
                    floats[c, pos] = float_table[row, c]
                    ints[c, pos] = int_table[row, c]
                for k in range(m):
                    latency[pos, k] = latency_table[g, k]
                    bandwidth[pos, k] = bandwidth_table[g, k]
                    energy[pos, k] = energy_table[g, k]
                pos += 1
            else:
                slot_rq[s] = -1
        base += size[model]
    indptr = np.empty(r + 1, dtype=np.int64)
    edges = 0
    for i in range(r):
        b = slot_start[job_of[i]]
        for q in range(pred_ptr[gidx[i]], pred_ptr[gidx[i] + 1]):
            if slot_rq[b + pred_idx[q]] >= 0:
                edges += 1
    indices = np.empty(edges, dtype=np.int64)
    indptr[0] = 0
    e = 0
    for i in range(r):
        b = slot_start[job_of[i]]
        for q in range(pred_ptr[gidx[i]], pred_ptr[gidx[i] + 1]):
            k = slot_rq[b + pred_idx[q]]
            if k >= 0:
                indices[e] = k
                e += 1
        indptr[i + 1] = e
    return (latency, bandwidth, energy, layer, job_of, ready, indptr, indices, slot_rq,
            slot_start, job_pos, floats, ints)


def build_view(now: float, period: float, rq: ReadyQueue, models: ModelTable,
               sas: Sequence[SubAccelerator], system: SystemSpec,
               tenants: TenantTracker | None = None) -> SchedulerView:
    """The policy's view of ``rq`` at ``now``.

    The DRAM arbiter must have been synced to ``now`` (``remaining`` is read from transfers).
    Only ``release``, ``sa_busy_for``, ``running_bandwidth`` and, when ``tenants`` has recorded
    targets, ``tenant_deficit`` and ``tenant_target`` are computed here; the rest comes from
    ``rq.static``.
    """
    r = rq.job_of.shape[0]
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
        j = rq.locate(sj.job)
        if j < 0:
            continue
        base = rq.slot_start[j]
        for succ in sj.job.profile.successors[sj.layer]:
            pos = rq.slot_rq[base + succ]
            if pos >= 0:
                release[pos] = max(release[pos], now + finish_in)
    static = rq.static
    if tenants is not None and tenants.active:
        ids = [job.request.tenant for job in rq.jobs]
        deficit = np.asarray([tenants.deficit(t) for t in ids])[rq.job_of]
        target = np.asarray([tenants.target(t) for t in ids])[rq.job_of]
        deficit.setflags(write=False)
        target.setflags(write=False)
        static = {**static, "tenant_deficit": deficit, "tenant_target": target}
    for a in (release, busy, running_bw):
        a.setflags(write=False)
    return SchedulerView.trusted(
        now=now, period=period, release=release, sa_busy_for=busy,
        dram_bandwidth=system.dram_bandwidth, running_bandwidth=running_bw,
        model_names=models.names, **static)
