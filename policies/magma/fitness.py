"""MAGMA's fitness: a forward simulation of the ready queue, vectorised over the population.

Every individual is a schedule: an SA and a priority per SJ. The simulation mirrors the engine's
execution model for one tick's RQ, run to completion (no period boundary, no new arrivals):

- each SA, whenever it is idle, starts among its SJs whose RQ predecessors have finished and whose
  ``release`` time has come the one with the highest priority (ties: lower RQ index);
- SJ ``i`` on SA ``m`` has stall-free work ``latency[i, m]`` cycles and bandwidth demand
  ``bandwidth[i, m]`` bytes/cycle; all running SJs progress at ``min(1, B / sum of demands)``
  (proportional DRAM sharing), re-evaluated whenever an SJ starts or finishes;
- an SA busy at ``now`` runs, first, the SJ it is running: its remaining stall-free work is
  ``sa_busy_for[m] x r0`` with ``r0`` the current rate ``min(1, B / sum(running_bandwidth))``,
  and it keeps its demand ``running_bandwidth[m]``;
- predecessors outside the RQ are running SJs: an SJ whose ``release`` equals ``now +
  sa_busy_for[m]`` of a busy SA ``m`` (the highest such ``m`` on ties) waits for the SJ running
  on ``m`` to finish, whatever the rates do meanwhile; any other future ``release`` is a fixed
  time (cycles). An SJ that is not ``ready`` although it has no RQ predecessor and its release is
  ``now`` waits for a busy SA whose SJ ends exactly now. This is
  :func:`mas_sim.sim.forecast.forecast`'s model (``link_releases=False`` there and here: every
  release a fixed time).

Vectorisation: all P individuals advance together, one event (the earliest SJ finish or release
time of each individual) per step, so one evaluation costs about R + (number of distinct release
times) numpy steps on ``[P, R]`` arrays. Each individual works in its own "sorted space": its SJs
ordered by (SA, priority desc, RQ index), so each SA's candidates form one contiguous segment and
"highest-priority eligible SJ of every SA" is a single ``np.maximum.reduceat``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mas_sim.sim.view import SchedulerView

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Relative tolerance when deciding which running SJs finish at an event.
_FINISH_RTOL = 1e-12
#: Absolute tolerance (cycles) for the same decision.
_FINISH_ATOL = 1e-9
#: Relative tolerance when matching a release time to a running SJ's projected finish.
_MATCH_EPSILON = 1e-12


@dataclass(frozen=True, eq=False)
class FitnessProblem:
    """The tick's RQ, flattened into the arrays the vectorised simulation needs."""

    now: float
    """Current time, cycles."""
    latency: FloatArray
    """``[R, M]`` stall-free latency, cycles."""
    bandwidth: FloatArray
    """``[R, M]`` bandwidth demand, bytes/cycle."""
    release: FloatArray
    """``[R]`` earliest start allowed by predecessors outside the RQ (>= now), cycles."""
    release_events: FloatArray
    """Sorted distinct release times after ``now``, then ``inf`` (cycles)."""
    pending: IntArray
    """``[R]`` number of RQ predecessors of each SJ."""
    successors: IntArray
    """``[R, S]`` RQ successors of each SJ, padded with -1."""
    linked: IntArray
    """``[M, K]`` SJs waiting for the SJ running on each SA at ``now`` (padded with -1)."""
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
        release = np.maximum(view.release, now)
        pending = np.array([len(p) for p in view.predecessors], dtype=np.int64)
        busy = (view.sa_busy_for > 0) | (view.running_bandwidth > 0)
        waiters = _link_releases(view, busy) if link_releases else [[] for _ in range(m)]
        linked = np.full((m, max(1, max(len(w) for w in waiters))), -1, dtype=np.int64)
        for sa, w in enumerate(waiters):
            linked[sa, :len(w)] = w
            pending[w] += 1
        is_linked = np.zeros(r, dtype=bool)
        is_linked[linked[linked >= 0]] = True
        # Linked SJs never wait on a time: their release is the running SJ's finish.
        release = np.where(is_linked, now, release)
        events = np.unique(release[release > now])
        width = max((len(s) for s in view.successors), default=0)
        succ = np.full((r, max(width, 1)), -1, dtype=np.int64)
        for i, s in enumerate(view.successors):
            succ[i, :len(s)] = s
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
            latency=np.asarray(view.latency, dtype=np.float64),
            bandwidth=np.asarray(view.bandwidth, dtype=np.float64),
            release=release,
            release_events=np.r_[events, np.inf],
            pending=pending,
            successors=succ,
            linked=linked,
            init_work=np.where(busy, np.maximum(view.sa_busy_for, 0.0) * r0, np.inf),
            init_demand=np.where(busy, view.running_bandwidth, 0.0),
            dram_bandwidth=float(view.dram_bandwidth),
            job_order=job_order.astype(np.int64),
            job_starts=job_starts.astype(np.int64),
            job_deadline=np.asarray(view.deadline[job_order][job_starts], dtype=np.float64),
            horizon=max(horizon, now + 1.0),
        )


def simulate(problem: FitnessProblem, sa: IntArray, priority: FloatArray) -> FloatArray:
    """``[P, R]`` predicted finish time (cycles) of every SJ under each of P schedules.

    ``sa[p, i]`` is the SA of SJ ``i`` in individual ``p``, ``priority[p, i]`` its priority
    (higher first). See the module docstring for the execution model.
    """
    sa = np.asarray(sa, dtype=np.int64)
    priority = np.asarray(priority, dtype=np.float64)
    n_pop, r = sa.shape
    m = problem.num_sas
    width = r + 1  # one sentinel column per row keeps reduceat indices in range
    rows = np.arange(n_pop)

    # Sorted space: per individual, SJs by (SA, priority desc, RQ index); lexsort is stable.
    perm = np.lexsort((-priority, sa), axis=-1)
    inv = np.empty_like(perm)
    np.put_along_axis(inv, perm, np.broadcast_to(np.arange(r), (n_pop, r)), axis=1)
    counts = np.bincount((sa + m * rows[:, None]).ravel(), minlength=n_pop * m).reshape(n_pop, m)
    ends = np.cumsum(counts, axis=1)
    starts = ends - counts
    # An empty segment's reduceat value belongs to the next segment: never let it start.
    has_sjs = counts > 0
    flat_starts = (starts + (rows * width)[:, None]).ravel()
    sa_sorted = np.take_along_axis(sa, perm, axis=1)
    # Per-SJ arrays in sorted space use a [P, width] layout, flattened: index q = p * width + k.
    lat_w = _padded(problem.latency[perm, sa_sorted], width, np.inf)
    bw_w = _padded(problem.bandwidth[perm, sa_sorted], width, 0.0)
    perm_w = _padded(perm, width, 0)
    rel_s = problem.release[perm]
    # A release time still ahead counts as one more unfinished predecessor.
    pending_w = _padded(problem.pending[perm] + (rel_s > problem.now), width, 1)
    finish_w = np.full(n_pop * width, np.inf)

    # vals[q] = -k while sorted SJ k of individual p may start (all predecessors done, not
    # started), else -width: the maximum over an SA's segment is its best startable SJ.
    vals_flat = np.where(pending_w == 0, -(np.arange(n_pop * width) % width), -width)

    # run[p*m + j]: q of the SJ running on SA j, -1 idle, -2 an SJ started before this tick.
    # work: remaining stall-free work of the running SJ (inf when idle).
    busy0 = np.isfinite(problem.init_work)
    run = np.tile(np.where(busy0, -2, -1), n_pop)
    work = np.repeat(np.where(busy0, problem.init_work, np.inf)[None, :], n_pop, axis=0)
    demand = np.repeat(problem.init_demand[None, :], n_pop, axis=0)
    work_f, demand_f = work.reshape(-1), demand.reshape(-1)
    has_sjs = (counts > 0).reshape(-1)
    ends_f = ends.reshape(-1)
    idle = (run == -1) & has_sjs
    t = np.full(n_pop, problem.now)
    bandwidth = problem.dram_bandwidth
    events = problem.release_events
    has_events = bool(np.isfinite(events[0]))
    next_event = np.zeros(n_pop, dtype=np.int64)
    succ = problem.successors
    n_succ = succ.shape[1]
    release_at = events[next_event]

    while True:
        pos = -np.maximum.reduceat(vals_flat, flat_starts)
        take = idle & (pos < ends_f)
        if take.any():
            sel = np.flatnonzero(take)
            q = sel // m * width + pos[sel]
            run[sel] = q
            idle[sel] = False
            vals_flat[q] = -width
            work_f[sel] = lat_w[q]
            demand_f[sel] = bw_w[q]
        rate = (bandwidth / np.maximum(demand.sum(axis=1), bandwidth))[:, None]
        to_finish = work / rate
        dt = to_finish.min(axis=1)
        if has_events:
            release_at = events[next_event]
            dt = np.minimum(dt, release_at - t)
        active = np.isfinite(dt)
        if not active.any():
            break
        dt[~active] = 0.0
        t += dt
        work -= dt[:, None] * rate
        done = to_finish <= (dt * (1 + _FINISH_RTOL) + _FINISH_ATOL)[:, None]
        freed: list[IntArray] = []
        if done.any():
            sel = np.flatnonzero(done)
            q = run[sel]
            ext = sel[q == -2]
            if ext.size:
                waiting_sjs = problem.linked[ext % m]
                ok = waiting_sjs >= 0
                erow = np.repeat(ext // m, waiting_sjs.shape[1])[ok.ravel()]
                freed.append(erow * width + inv[erow, waiting_sjs[ok]])
            run[sel] = -1
            idle[sel] = has_sjs[sel]
            work_f[sel] = np.inf
            demand_f[sel] = 0.0
            q = q[q >= 0]
            p = q // width
            finish_w[q] = t[p]
            nxt = succ[perm_w[q]]
            valid = nxt >= 0
            prow = np.repeat(p, n_succ)[valid.ravel()]
            freed.append(prow * width + inv[prow, nxt[valid]])
        if has_events:
            reached = t >= release_at
            if reached.any():
                hit = np.flatnonzero((reached[:, None] & (rel_s == release_at[:, None])).ravel())
                freed.append(hit // r * width + hit % r)
                next_event += reached
        if freed:
            target = np.concatenate(freed)
            np.subtract.at(pending_w, target, 1)
            now_free = target[pending_w[target] == 0]
            vals_flat[now_free] = -(now_free % width)
    finish_s = finish_w.reshape(n_pop, width)[:, :r]
    return np.take_along_axis(finish_s, inv, axis=1)


def _link_releases(view: SchedulerView, busy: np.ndarray) -> list[list[int]]:
    """For each SA, the RQ SJs that wait for the SJ running on it at ``now`` (see module doc)."""
    now = float(view.now)
    ends = [now + b for b in view.sa_busy_for.tolist()]
    running = [m for m in range(view.num_sas) if busy[m]]
    waiters: list[list[int]] = [[] for _ in range(view.num_sas)]
    ready = view.ready.tolist()
    for i, rel in enumerate(view.release.tolist()):
        waits_for = -1
        if rel > now:
            for m in running:
                if abs(rel - ends[m]) <= _MATCH_EPSILON * max(abs(rel), abs(ends[m]), 1.0):
                    waits_for = m
        elif not ready[i] and not view.predecessors[i]:
            for m in running:
                if view.sa_busy_for[m] <= 0.0:
                    waits_for = m
        if waits_for >= 0:
            waiters[waits_for].append(i)
    return waiters


def _padded(values: np.ndarray, width: int, fill: float) -> np.ndarray:
    """``[P, R]`` values with a sentinel column filled with ``fill``, flattened to ``[P*width]``."""
    out = np.full((values.shape[0], width), fill, dtype=values.dtype)
    out[:, :values.shape[1]] = values
    return out.reshape(-1)


def evaluate(problem: FitnessProblem, sa: IntArray, priority: FloatArray,
             ) -> tuple[FloatArray, IntArray, FloatArray]:
    """Fitness of P schedules: ``(fitness[P], hits[P], makespan[P])``.

    ``hits`` = requests of the RQ whose last SJ finishes by their deadline; ``makespan`` = the
    last finish, cycles. ``fitness = hits + tie`` with ``tie`` in [0, 1) decreasing with the
    makespan, so more hits always win and a shorter makespan breaks ties.
    """
    finish = simulate(problem, sa, priority)
    per_job = np.maximum.reduceat(finish[:, problem.job_order], problem.job_starts, axis=1)
    hits = (per_job <= problem.job_deadline[None, :]).sum(axis=1).astype(np.int64)
    makespan = finish.max(axis=1)
    span = problem.horizon - problem.now
    tie = 0.999 * (1.0 - np.clip((makespan - problem.now) / span, 0.0, 1.0))
    return hits + tie, hits, makespan
