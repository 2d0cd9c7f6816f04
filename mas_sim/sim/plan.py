"""Earliest-finish list scheduling: the contention-free plan every "-H" heuristic builds.

Given an order of the ready queue (first = highest priority), each sub-job (SJ) in turn goes to
the SA on which it would finish first, ``argmin_m max(free_m, est_start_i) + latency[i, m]``,
and that SA's free time moves to the SJ's planned finish. The plan is an estimate made without
DRAM contention: the engine then runs the returned schedule work-conserving, so actual start
times may differ.

Timing assumptions (all cycles): ``free_m`` starts at ``now + sa_busy_for[m]``; an SJ cannot
start before ``release[i]`` (predecessors outside the RQ) nor before the planned finish of its
predecessors inside the RQ. An order should list predecessors before successors; a predecessor
listed later has no planned finish yet and is ignored in the estimate.

Admission control (:func:`plan_admission`, EDF-AC-H): requests are visited in the order of their
first SJ in the given order, each request's SJs placed together; a request whose last planned
finish is after its deadline is withdrawn and placed after every admitted request.

It is a kernel tool, beside :mod:`.forecast`: the policies build on it
(:mod:`policies.earliest_finish`), and so does the isolated latency of a model
(:mod:`.isolated`). The loops are compiled (:mod:`.jit`); one placement is O(M + in-RQ
predecessors), M about 6.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from mas_sim.sim.jit import njit
from mas_sim.sim.view import SchedulerView

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_UNPLANNED = np.inf


def plan_order(view: SchedulerView, order: Sequence[int] | IntArray,
               ) -> tuple[FloatArray, IntArray]:
    """``(priority, sa)`` of every SJ: each SJ in ``order`` on its earliest-finish SA.

    ``order`` holds RQ indices, first = highest priority (priority ``-k`` for the k-th);
    SJs not in ``order`` get SA 0 and priority 0.
    """
    order = _indices(order)
    priority, sa, bad = _plan_order(order, float(view.now), view.latency, view.release,
                                    view.pred_indptr, view.pred_indices, view.sa_busy_for)
    _check_index(order, bad, view.size)
    return priority, sa


def plan_admission(view: SchedulerView, order: Sequence[int] | IntArray, *,
                   record: bool = False) -> tuple[IntArray, FloatArray, IntArray, FloatArray]:
    """Earliest-finish plan of ``order`` with admission control (module docstring).

    Returns the final order (the admitted requests' SJs, then the deferred ones', each in
    ``order``), the ``(priority, sa)`` it gives every SJ, and, with ``record``, ``[R, M]``
    candidates: the finish each SJ would have had on every SA when it was last placed (cycles;
    rows of SJs not in ``order`` are undefined); without ``record`` an empty array.
    """
    order = _indices(order)
    final, priority, sa, candidates, bad = _plan_admission(
        order, view.job_id, view.deadline, float(view.now), view.latency, view.release,
        view.pred_indptr, view.pred_indices, view.sa_busy_for, record)
    _check_index(order, bad, view.size)
    return final, priority, sa, candidates


class EarliestFinishPlan:
    """A list-scheduling plan built one SJ at a time (the same kernel as :func:`plan_order`)."""

    def __init__(self, view: SchedulerView) -> None:
        self.now = float(view.now)
        self._view = view
        self.free: FloatArray = self.now + np.asarray(view.sa_busy_for, dtype=np.float64)
        """Cycle at which each SA becomes free in the plan."""
        self.planned: FloatArray = np.full(view.size, _UNPLANNED)
        """Planned finish of each SJ (inf = not planned yet)."""
        self.chosen: IntArray = np.zeros(view.size, dtype=np.int64)
        """SA of each SJ (meaningful once planned)."""

    def place(self, i: int) -> float:
        """Put SJ ``i`` on its earliest-finish SA; return its planned finish (cycles)."""
        return self.place_all([i])

    def place_all(self, sjs: Sequence[int] | IntArray) -> float:
        """Place ``sjs`` in order; return the latest planned finish among them (cycles; ``now``
        if there are none)."""
        v = self._view
        sjs = _indices(sjs)
        _check_index(sjs, _first_out_of_range(sjs, v.size), v.size)
        return float(_place_all(sjs, self.now, v.latency, v.release, v.pred_indptr,
                                v.pred_indices, self.free, self.planned, self.chosen,
                                _NO_CANDIDATES, False))


_NO_CANDIDATES = np.empty((0, 0))


def _indices(sjs: Sequence[int] | IntArray) -> IntArray:
    return np.asarray(sjs, dtype=np.int64).reshape(-1)


def _check_index(sjs: IntArray, bad: int, size: int) -> None:
    """The kernels refuse (``bad`` >= 0: the position in ``sjs``) an index outside the RQ
    instead of reading out of bounds."""
    if bad >= 0:
        raise IndexError(f"sub-job index {int(sjs[bad])} is out of range 0..{size - 1}")


@njit
def _first_out_of_range(sjs: IntArray, size: int) -> int:
    for k in range(sjs.shape[0]):
        if sjs[k] < 0 or sjs[k] >= size:
            return k
    return -1


@njit
def _place(i: int, now: float, latency: FloatArray, release: FloatArray, ptr: IntArray,
           idx: IntArray, free: FloatArray, planned: FloatArray, chosen: IntArray,
           candidates: FloatArray, record: bool) -> float:
    """Put SJ ``i`` on its earliest-finish SA; return its planned finish (cycles)."""
    est = release[i]
    if est < now:
        est = now
    for k in range(ptr[i], ptr[i + 1]):
        f = planned[idx[k]]
        if est < f < _UNPLANNED:
            est = f
    best_m = 0
    best_f = _UNPLANNED
    for m in range(free.shape[0]):
        fm = free[m]
        f = (fm if fm > est else est) + latency[i, m]
        if record:
            candidates[i, m] = f
        if f < best_f:  # ties: the lower SA index
            best_f = f
            best_m = m
    free[best_m] = best_f
    planned[i] = best_f
    chosen[i] = best_m
    return best_f


@njit
def _place_all(sjs: IntArray, now: float, latency: FloatArray, release: FloatArray,
               ptr: IntArray, idx: IntArray, free: FloatArray, planned: FloatArray,
               chosen: IntArray, candidates: FloatArray, record: bool) -> float:
    """Place ``sjs`` in order; return the latest planned finish among them (``now`` if none)."""
    finish = now
    for i in sjs:
        f = _place(i, now, latency, release, ptr, idx, free, planned, chosen, candidates, record)
        if f > finish:
            finish = f
    return finish


@njit
def _priorities(order: IntArray, size: int) -> FloatArray:
    """``-k`` for the k-th SJ of ``order`` (``Schedule.from_order``'s priorities), 0 elsewhere."""
    priority = np.zeros(size)
    for k in range(order.shape[0]):
        priority[order[k]] = -float(k)
    return priority


@njit
def _plan_order(order: IntArray, now: float, latency: FloatArray, release: FloatArray,
                ptr: IntArray, idx: IntArray, busy: FloatArray) -> tuple:
    r = latency.shape[0]
    bad = _first_out_of_range(order, r)
    if bad >= 0:
        return np.zeros(0), np.zeros(0, dtype=np.int64), bad
    free = now + busy
    chosen = np.zeros(r, dtype=np.int64)
    _place_all(order, now, latency, release, ptr, idx, free, np.full(r, _UNPLANNED), chosen,
               np.empty((0, 0)), False)
    return _priorities(order, r), chosen, bad


@njit
def _plan_admission(order: IntArray, job_id: IntArray, deadline: FloatArray, now: float,
                    latency: FloatArray, release: FloatArray, ptr: IntArray, idx: IntArray,
                    busy: FloatArray, record: bool) -> tuple:
    r, num_sas = latency.shape
    n = order.shape[0]
    free = now + busy
    planned = np.full(r, _UNPLANNED)
    chosen = np.zeros(r, dtype=np.int64)
    candidates = np.empty((r, num_sas)) if record else np.empty((0, 0))
    bad = _first_out_of_range(order, r)
    if bad >= 0:
        return np.empty(0, dtype=np.int64), np.zeros(0), chosen, candidates, bad
    # Requests in the order of their first SJ in ``order``, each with its SJs in ``order``:
    # a stable sort by job id groups them, the groups are then sorted by first position.
    by_job = np.argsort(job_id[order], kind="mergesort")
    group_first = np.empty(n, dtype=np.int64)  # first position in ``order`` of each group
    group_start = np.empty(n + 1, dtype=np.int64)  # groups' slices of ``by_job``
    groups = 0
    for k in range(n):
        if k == 0 or job_id[order[by_job[k]]] != job_id[order[by_job[k - 1]]]:
            group_first[groups] = by_job[k]
            group_start[groups] = k
            groups += 1
    group_start[groups] = n
    visit = np.argsort(group_first[:groups])
    final = np.empty(n, dtype=np.int64)
    deferred = np.empty(groups, dtype=np.int64)
    n_deferred = 0
    filled = 0
    saved = np.empty_like(free)
    for g in visit:
        sjs = order[by_job[group_start[g]:group_start[g + 1]]]
        saved[:] = free
        finish = _place_all(sjs, now, latency, release, ptr, idx, free, planned, chosen,
                            candidates, record)
        if finish > deadline[sjs[0]]:  # late even in this optimistic plan: withdraw, defer
            free[:] = saved
            for i in sjs:
                planned[i] = _UNPLANNED
            deferred[n_deferred] = g
            n_deferred += 1
        else:
            final[filled:filled + sjs.shape[0]] = sjs
            filled += sjs.shape[0]
    for d in range(n_deferred):
        g = deferred[d]
        sjs = order[by_job[group_start[g]:group_start[g + 1]]]
        _place_all(sjs, now, latency, release, ptr, idx, free, planned, chosen, candidates,
                   record)
        final[filled:filled + sjs.shape[0]] = sjs
        filled += sjs.shape[0]
    return final, _priorities(final, r), chosen, candidates, bad
