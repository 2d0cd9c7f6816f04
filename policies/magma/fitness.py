"""MAGMA's fitness: a forward simulation of the ready queue under every schedule of a population.

Every individual is a schedule: an SA and a priority per SJ. The simulation mirrors the engine's
execution model for one tick's RQ, run to completion (no period boundary, no new arrivals):

- each SA, whenever it is idle, starts among its SJs whose RQ predecessors have finished and whose
  ``release`` time has come the one with the highest priority (ties: lower RQ index);
- SJ ``i`` on SA ``m`` has stall-free work ``latency[i, m]`` cycles and bandwidth demand
  ``bandwidth[i, m]`` bytes/cycle; all running SJs progress at the proportional rate
  (:func:`mas_sim.sim.dram.proportional_rate` of the summed demands), re-evaluated whenever an SJ
  starts or finishes;
- an SA busy at ``now`` runs, first, the SJ it is running: its remaining stall-free work is
  ``sa_busy_for[m] x r0`` with ``r0`` the current rate ``min(1, B / sum(running_bandwidth))``,
  and it keeps its demand ``running_bandwidth[m]``;
- predecessors outside the RQ are running SJs: an SJ waits for the SJ running on the busy SA
  that :func:`mas_sim.sim.forecast.waits_for` names (the forecast's rule), whatever the rates do
  meanwhile; any other future ``release`` is a fixed time (cycles); ``link_releases=False``
  makes every release a fixed time.

The forecast (:func:`mas_sim.sim.forecast.forecast`) replays the same model event by event, the
engine's way; this simulation steps each individual from event to event (the earliest finish or
release time) and completes at once every SJ whose projected finish is within a relative 1e-12
(absolute 1e-9 cycles) of the step, so the two agree to rounding (a test checks it).

One compiled kernel (:mod:`mas_sim.sim.jit`) simulates the whole population: per individual, a
heap of startable SJs per SA and O(M) work per event. The demands are summed in SA order the
way numpy sums a row (pairwise), as the vectorised numpy version this kernel replaced did, so
fitness values are bit-identical to it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mas_sim.sim import dram, forecast, heaps
from mas_sim.sim.dram import proportional_rate
from mas_sim.sim.heaps import heap_pop, heap_push
from mas_sim.sim.jit import njit
from mas_sim.sim.view import SchedulerView

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Relative tolerance when deciding which running SJs finish at an event.
_FINISH_RTOL = 1e-12
#: Absolute tolerance (cycles) for the same decision.
_FINISH_ATOL = 1e-9


@dataclass(frozen=True, eq=False)
class FitnessProblem:
    """The tick's RQ, flattened into the arrays the simulation needs."""

    now: float
    """Current time, cycles."""
    latency: FloatArray
    """``[R, M]`` stall-free latency, cycles."""
    bandwidth: FloatArray
    """``[R, M]`` bandwidth demand, bytes/cycle."""
    release_events: FloatArray
    """Sorted distinct fixed release times after ``now``, then ``inf`` (cycles)."""
    event_ptr: IntArray
    """``[E + 1]`` CSR pointers: the SJs released at each of :attr:`release_events`."""
    event_sj: IntArray
    """CSR column indices of :attr:`event_ptr` (RQ indices)."""
    pending: IntArray
    """``[R]`` what each SJ waits for at ``now``: its RQ predecessors, plus one for a running
    predecessor (linked) or a fixed release time ahead."""
    succ_ptr: IntArray
    """``[R + 1]`` CSR pointers of the RQ successors of each SJ."""
    succ_idx: IntArray
    """CSR column indices of :attr:`succ_ptr`."""
    linked_ptr: IntArray
    """``[M + 1]`` CSR pointers: the SJs waiting for the SJ running on each SA at ``now``."""
    linked_idx: IntArray
    """CSR column indices of :attr:`linked_ptr`."""
    init_work: FloatArray
    """``[M]`` remaining stall-free work of the SJ running on each SA at ``now``, cycles
    (``inf`` where the SA is idle)."""
    init_demand: FloatArray
    """``[M]`` bandwidth demand of that SJ, bytes/cycle (0 if the SA is idle)."""
    dram_bandwidth: float
    """Shared DRAM bandwidth B, bytes/cycle."""
    job_order: IntArray
    """``[R]`` RQ indices grouped by request (for per-request reductions)."""
    job_starts: IntArray
    """``[J]`` start of each request's group in :attr:`job_order`."""
    job_deadline: FloatArray
    """``[J]`` absolute deadline of each request, cycles."""
    horizon: float
    """A time (cycles) no sensible schedule's makespan exceeds; normalises the tie-break."""

    @property
    def size(self) -> int:
        """R, the number of SJs."""
        return int(self.latency.shape[0])

    @property
    def num_sas(self) -> int:
        """M, the number of SAs."""
        return int(self.latency.shape[1])

    @classmethod
    def from_view(cls, view: SchedulerView, *, link_releases: bool = True) -> FitnessProblem:
        """Extract the simulation inputs from a scheduler view.

        ``link_releases=False``: every release after ``now`` is a fixed time.
        """
        now = float(view.now)
        r, m = view.latency.shape
        busy = (view.sa_busy_for > 0) | (view.running_bandwidth > 0)
        wait = (forecast.waits_for(now, view.release, view.ready, view.pred_indptr,
                                   view.sa_busy_for, view.running_bandwidth)
                if link_releases else np.full(r, -1, dtype=np.int64))
        linked = wait >= 0
        # Linked SJs never wait on a time: their release is the running SJ's finish.
        release = np.where(linked, now, np.maximum(view.release, now))
        timed = release > now
        pending = np.diff(view.pred_indptr) + linked + timed
        events, event_of = np.unique(release[timed], return_inverse=True)
        timed_sjs = np.flatnonzero(timed)
        by_event = np.argsort(event_of, kind="stable")
        linked_sjs = np.flatnonzero(linked)
        by_sa = np.argsort(wait[linked_sjs], kind="stable")
        succ_of = np.repeat(np.arange(r), np.diff(view.pred_indptr))  # successor of each edge
        by_pred = np.argsort(view.pred_indices, kind="stable")
        demand = float(view.running_bandwidth.sum())
        r0 = min(1.0, view.dram_bandwidth / demand) if demand > 0 else 1.0
        job_order = np.argsort(view.job_id, kind="stable")
        sorted_jobs = view.job_id[job_order]
        job_starts = np.flatnonzero(np.r_[True, sorted_jobs[1:] != sorted_jobs[:-1]])
        # Slowest conceivable run: everything serial on its slowest SA at the slowest DRAM rate.
        worst_rate = min(1.0, view.dram_bandwidth / max(float(view.bandwidth.max(initial=0.0))
                                                         * m + demand, 1e-300))
        horizon = (float(release.max(initial=now)) + float(view.sa_busy_for.max(initial=0.0))
                   + float(view.latency.max(axis=1).sum()) / worst_rate)
        return cls(
            now=now,
            latency=np.ascontiguousarray(view.latency, dtype=np.float64),
            bandwidth=np.ascontiguousarray(view.bandwidth, dtype=np.float64),
            release_events=np.r_[events, np.inf],
            event_ptr=_pointers(event_of, events.shape[0]),
            event_sj=timed_sjs[by_event].astype(np.int64),
            pending=pending.astype(np.int64),
            succ_ptr=_pointers(view.pred_indices, r),
            succ_idx=succ_of[by_pred].astype(np.int64),
            linked_ptr=_pointers(wait[linked_sjs], m),
            linked_idx=linked_sjs[by_sa].astype(np.int64),
            init_work=np.where(busy, np.maximum(view.sa_busy_for, 0.0) * r0, np.inf),
            init_demand=np.where(busy, view.running_bandwidth, 0.0),
            dram_bandwidth=float(view.dram_bandwidth),
            job_order=job_order.astype(np.int64),
            job_starts=job_starts.astype(np.int64),
            job_deadline=np.asarray(view.deadline[job_order][job_starts], dtype=np.float64),
            horizon=max(horizon, now + 1.0),
        )


def _pointers(keys: npt.ArrayLike, n: int) -> IntArray:
    """CSR pointers of ``n`` rows given each entry's row."""
    return np.concatenate([[0], np.cumsum(np.bincount(np.asarray(keys, dtype=np.int64),
                                                      minlength=n))]).astype(np.int64)


def simulate(problem: FitnessProblem, sa: IntArray, priority: FloatArray) -> FloatArray:
    """``[P, R]`` predicted finish time (cycles) of every SJ under each of P schedules.

    ``sa[p, i]`` is the SA of SJ ``i`` in individual ``p``, ``priority[p, i]`` its priority
    (higher first). See the module docstring for the execution model. SJs that never start get
    ``inf``.
    """
    sa = np.ascontiguousarray(sa, dtype=np.int64)
    priority = np.ascontiguousarray(priority, dtype=np.float64)
    if sa.shape != priority.shape or sa.ndim != 2 or sa.shape[1] != problem.size:
        raise ValueError(f"sa {sa.shape} and priority {priority.shape}: expected "
                         f"(P, {problem.size})")
    if sa.size and (sa.min() < 0 or sa.max() >= problem.num_sas):
        raise ValueError(f"sa values must be in 0..{problem.num_sas - 1}")
    p = problem
    return _population(sa, priority, p.now, p.latency, p.bandwidth, p.release_events,
                       p.event_ptr, p.event_sj, p.pending, p.succ_ptr, p.succ_idx, p.linked_ptr,
                       p.linked_idx, p.init_work, p.init_demand, p.dram_bandwidth)


@njit
def _row_sum(a: FloatArray) -> float:
    """``a.sum()`` exactly as numpy sums a contiguous row: pairwise, over blocks of at most 128
    values split in halves (a multiple of 8 first), each block with 8 accumulators."""
    n = a.shape[0]
    if n <= 128:
        return _block_sum(a, 0, n)
    # numpy's recursion, evaluated with explicit stacks (post-order).
    lo_s = np.empty(64, dtype=np.int64)
    hi_s = np.empty(64, dtype=np.int64)
    state = np.zeros(64, dtype=np.int64)
    values = np.empty(64)
    top, n_values = 0, 0
    lo_s[0], hi_s[0] = 0, n
    while top >= 0:
        lo, hi = lo_s[top], hi_s[top]
        half = (hi - lo) // 2
        half -= half % 8
        if hi - lo <= 128:
            values[n_values] = _block_sum(a, lo, hi)
            n_values += 1
            top -= 1
        elif state[top] < 2:  # descend into the left half, then the right half
            state[top] += 1
            lo_s[top + 1] = lo if state[top] == 1 else lo + half
            hi_s[top + 1] = lo + half if state[top] == 1 else hi
            state[top + 1] = 0
            top += 1
        else:
            n_values -= 1
            values[n_values - 1] += values[n_values]
            top -= 1
    return values[0]


@njit
def _block_sum(a: FloatArray, lo: int, hi: int) -> float:
    n = hi - lo
    res = 0.0
    if n < 8:
        for k in range(lo, hi):
            res += a[k]
        return res
    acc = a[lo:lo + 8].copy()
    k = lo + 8
    stop = hi - n % 8
    while k < stop:
        for j in range(8):
            acc[j] += a[k + j]
        k += 8
    res = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]))
    while k < hi:
        res += a[k]
        k += 1
    return res


@njit(depends=(dram, heaps))
def _individual(sa: IntArray, priority: FloatArray, now: float, latency: FloatArray,
                bandwidth: FloatArray, events: FloatArray, event_ptr: IntArray,
                event_sj: IntArray, pending0: IntArray, succ_ptr: IntArray, succ_idx: IntArray,
                linked_ptr: IntArray, linked_idx: IntArray, init_work: FloatArray,
                init_demand: FloatArray, dram_bandwidth: float, finish: FloatArray) -> None:
    """Simulate one schedule; write each SJ's finish (cycles, ``inf`` if never) into ``finish``."""
    r, m = latency.shape
    # Per SA, a min-heap of startable SJs keyed by (-priority, RQ index).
    heap_start = np.zeros(m + 1, dtype=np.int64)
    for i in range(r):
        heap_start[sa[i] + 1] += 1
    for j in range(m):
        heap_start[j + 1] += heap_start[j]
    heap_size = np.zeros(m, dtype=np.int64)
    heap_key = np.empty(r)
    heap_sj = np.empty(r, dtype=np.int64)
    pending = pending0.copy()
    for i in range(r):
        finish[i] = np.inf
        if pending[i] == 0:
            heap_push(heap_start, heap_size, heap_key, heap_sj, sa[i], -priority[i], i)
    # run[j]: the SJ running on SA j, -1 idle, -2 the SJ it was running at ``now``.
    run = np.empty(m, dtype=np.int64)
    work = np.empty(m)
    demand = np.empty(m)
    for j in range(m):
        busy = np.isfinite(init_work[j])
        run[j] = -2 if busy else -1
        work[j] = init_work[j] if busy else np.inf
        demand[j] = init_demand[j]
    to_finish = np.empty(m)
    has_events = np.isfinite(events[0])
    next_event = 0
    t = now
    while True:
        for j in range(m):
            if run[j] == -1 and heap_size[j]:
                i = heap_pop(heap_start, heap_size, heap_key, heap_sj, j)
                run[j] = i
                work[j] = latency[i, j]
                demand[j] = bandwidth[i, j]
        if m < 8:  # numpy's row sum of fewer than 8 values: left to right (no call, faster)
            total = 0.0
            for j in range(m):
                total += demand[j]
        else:
            total = _row_sum(demand)
        rate = proportional_rate(total, dram_bandwidth)
        dt = np.inf
        for j in range(m):
            to_finish[j] = work[j] / rate
            dt = min(dt, to_finish[j])
        release_at = np.inf
        if has_events:
            release_at = events[next_event]
            dt = min(dt, release_at - t)
        if dt == np.inf:  # nothing running, nothing released: done (or deadlocked)
            return
        t += dt
        ends = dt * (1.0 + _FINISH_RTOL) + _FINISH_ATOL
        for j in range(m):
            work[j] -= dt * rate
            if to_finish[j] <= ends:
                done = run[j]
                run[j] = -1
                work[j] = np.inf
                demand[j] = 0.0
                if done == -2:
                    lo, hi = linked_ptr[j], linked_ptr[j + 1]
                    waiting = linked_idx
                else:
                    finish[done] = t
                    lo, hi = succ_ptr[done], succ_ptr[done + 1]
                    waiting = succ_idx
                for k in range(lo, hi):
                    i = waiting[k]
                    pending[i] -= 1
                    if pending[i] == 0:
                        heap_push(heap_start, heap_size, heap_key, heap_sj, sa[i], -priority[i],
                                   i)
        if has_events and t >= release_at:
            for k in range(event_ptr[next_event], event_ptr[next_event + 1]):
                i = event_sj[k]
                pending[i] -= 1
                if pending[i] == 0:
                    heap_push(heap_start, heap_size, heap_key, heap_sj, sa[i], -priority[i], i)
            next_event += 1


@njit(depends=(dram, heaps))
def _population(sa: IntArray, priority: FloatArray, now: float, latency: FloatArray,
                bandwidth: FloatArray, events: FloatArray, event_ptr: IntArray,
                event_sj: IntArray, pending: IntArray, succ_ptr: IntArray, succ_idx: IntArray,
                linked_ptr: IntArray, linked_idx: IntArray, init_work: FloatArray,
                init_demand: FloatArray, dram_bandwidth: float) -> FloatArray:
    n_pop, r = sa.shape
    finish = np.empty((n_pop, r))
    for p in range(n_pop):  # prange over individuals lost on the shared 2-core machine
        _individual(sa[p], priority[p], now, latency, bandwidth, events, event_ptr, event_sj,
                    pending, succ_ptr, succ_idx, linked_ptr, linked_idx, init_work, init_demand,
                    dram_bandwidth, finish[p])
    return finish


def evaluate(problem: FitnessProblem, sa: IntArray, priority: FloatArray,
             ) -> tuple[FloatArray, IntArray, FloatArray]:
    """Fitness of P schedules: ``(fitness[P], hits[P], makespan[P])``.

    ``hits`` = requests of the RQ whose last SJ finishes by their deadline; ``makespan`` = the
    last finish, cycles. ``fitness = hits + tie`` with ``tie`` in [0, 1) decreasing with the
    makespan, so more hits always win and a shorter makespan breaks ties.
    """
    finish = simulate(problem, sa, priority)
    hits, makespan = _scores(finish, problem.job_order, problem.job_starts, problem.job_deadline)
    span = problem.horizon - problem.now
    tie = 0.999 * (1.0 - np.clip((makespan - problem.now) / span, 0.0, 1.0))
    return hits + tie, hits, makespan


@njit
def _scores(finish: FloatArray, job_order: IntArray, job_starts: IntArray,
            job_deadline: FloatArray) -> tuple[IntArray, FloatArray]:
    """Per individual: requests whose last SJ finishes by their deadline, and the last finish."""
    n_pop, r = finish.shape
    hits = np.zeros(n_pop, dtype=np.int64)
    makespan = np.full(n_pop, -np.inf)
    n_jobs = job_starts.shape[0]
    for p in range(n_pop):
        for g in range(n_jobs):
            stop = job_starts[g + 1] if g + 1 < n_jobs else r
            last = -np.inf
            for k in range(job_starts[g], stop):
                last = max(last, finish[p, job_order[k]])
            if last <= job_deadline[g]:
                hits[p] += 1
            makespan[p] = max(makespan[p], last)
    return hits, makespan
