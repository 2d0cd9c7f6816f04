"""Earliest-finish SA assignment, shared by the list-scheduling heuristics (SPEC.md section 5).

Given an order of the ready queue (first = highest priority), each SJ in turn goes to the SA on
which it would finish first, ``argmin_m max(free_m, est_start_i) + latency[i, m]``, and that SA's
free time moves to the SJ's planned finish. The plan is an estimate made without DRAM contention:
the engine then runs the returned schedule work-conserving, so actual start times may differ.

Timing assumptions (all cycles): ``free_m`` starts at ``now + sa_busy_for[m]``; an SJ cannot start
before ``release[i]`` (predecessors outside the RQ) nor before the planned finish of its
predecessors inside the RQ. ``order`` should list predecessors before successors; a predecessor
listed later has no planned finish yet and is ignored in the estimate.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from mas_sim.view import Schedule, SchedulerView

_UNPLANNED = float("inf")


class EarliestFinishPlan:
    """A list-scheduling plan built one SJ at a time; requests can be tried and withdrawn.

    Pure Python over lists: each :meth:`place` is O(M + in-RQ predecessors), M about 6.
    """

    def __init__(self, view: SchedulerView, *, record: bool = False) -> None:
        self.now = float(view.now)
        self._latency = view.latency.tolist()
        self._release = view.release.tolist()
        # In-RQ predecessors straight from the CSR arrays (cheaper than view.predecessors).
        self._ptr = view.pred_indptr.tolist()
        self._idx = view.pred_indices.tolist()
        self.free = [self.now + b for b in view.sa_busy_for.tolist()]
        """Cycle at which each SA becomes free in the plan."""
        self.planned = [_UNPLANNED] * view.size
        """Planned finish of each SJ (inf = not planned yet)."""
        self.chosen = [0] * view.size
        """SA of each SJ (meaningful once planned)."""
        self.candidates: list[list[float]] | None = [[]] * view.size if record else None
        """With ``record``: the finish SJ ``i`` would have had on every SA when it was last
        placed (cycles); the RELMAS encoder's ``planned_finish`` features."""

    def place(self, i: int) -> float:
        """Put SJ ``i`` on its earliest-finish SA; return its planned finish (cycles)."""
        est = self._release[i]
        if est < self.now:
            est = self.now
        planned = self.planned
        idx = self._idx
        for k in range(self._ptr[i], self._ptr[i + 1]):
            f = planned[idx[k]]
            if est < f < _UNPLANNED:
                est = f
        row = self._latency[i]
        free = self.free
        if self.candidates is not None:
            self.candidates[i] = [(fm if fm > est else est) + lat
                                  for fm, lat in zip(free, row, strict=True)]
        # A plain loop: this is the heuristics' hot path (about 1 us per SJ).
        best_m = 0
        best_f = _UNPLANNED
        for m, fm in enumerate(free):
            f = (fm if fm > est else est) + row[m]
            if f < best_f:  # ties: the lower SA index
                best_f, best_m = f, m
        free[best_m] = best_f
        planned[i] = best_f
        self.chosen[i] = best_m
        return best_f

    def place_all(self, sjs: Sequence[int]) -> float:
        """Place ``sjs`` in order; return the latest planned finish among them (cycles)."""
        finish = self.now
        for i in sjs:
            f = self.place(i)
            if f > finish:
                finish = f
        return finish

    def withdraw(self, sjs: Sequence[int], free_before: list[float]) -> None:
        """Undo the placement of ``sjs``, restoring the SA free times saved before it."""
        self.free = list(free_before)
        for i in sjs:
            self.planned[i] = _UNPLANNED


def assign_earliest_finish(view: SchedulerView, order: Sequence[int] | np.ndarray) -> Schedule:
    """Assign every SJ of ``view`` to its earliest-finish SA, visiting SJs in ``order``.

    ``order`` holds RQ indices, first = highest priority; it must be a permutation of
    ``range(view.size)``. Priorities of the returned schedule follow ``order``.
    """
    order_list = order.tolist() if isinstance(order, np.ndarray) else [int(i) for i in order]
    sa = earliest_finish_sas(view, order_list)
    return Schedule.from_order(order_list, sa)


def earliest_finish_sas(view: SchedulerView, order: Sequence[int]) -> list[int]:
    """The SA chosen for each SJ (indexed by RQ index) by the earliest-finish rule in ``order``."""
    plan = EarliestFinishPlan(view)
    plan.place_all(order)
    return plan.chosen


def assign_with_admission(view: SchedulerView, order: Sequence[int] | np.ndarray) -> Schedule:
    """Earliest-finish assignment that puts requests the plan says will be late last.

    Requests are visited in the order of their first SJ in ``order``; each request's SJs are
    placed together (in ``order``). If the request's last planned finish is after its deadline,
    its placement is withdrawn and the request is *deferred*: it is planned after every admitted
    request, again in ``order``. The plan ignores DRAM contention, so it is optimistic: a request
    it calls late cannot meet its deadline in this plan, and serving it first would only delay
    the requests behind it (the overload "domino effect" of EDF). Nothing is dropped: deferred
    requests still run when SAs would otherwise idle.
    """
    order_list = order.tolist() if isinstance(order, np.ndarray) else [int(i) for i in order]
    plan = EarliestFinishPlan(view)
    final = plan_with_admission(plan, view, order_list)
    return Schedule.from_order(final, plan.chosen)


def plan_with_admission(plan: EarliestFinishPlan, view: SchedulerView,
                        order: Sequence[int]) -> list[int]:
    """Place the SJs ``order`` in ``plan`` as :func:`assign_with_admission` does; return the
    final order (admitted requests' SJs first, then the deferred ones', each in ``order``)."""
    jobs = view.job_id.tolist()
    deadline = view.deadline.tolist()
    groups: dict[int, list[int]] = {}
    for i in order:
        groups.setdefault(jobs[i], []).append(i)
    admitted: list[int] = []
    deferred: list[int] = []
    for job, sjs in groups.items():
        free_before = list(plan.free)
        if plan.place_all(sjs) > deadline[sjs[0]]:
            plan.withdraw(sjs, free_before)
            deferred.append(job)
        else:
            admitted.append(job)
    for job in deferred:
        plan.place_all(groups[job])
    return [i for job in admitted + deferred for i in groups[job]]


def planned_finish(view: SchedulerView, rows: Sequence[int]) -> npt.NDArray[np.float64]:
    """``[len(rows), M]`` cycles after ``now``: the finish each SJ of ``rows`` would have on each
    SA when EDF-AC-H's plan of ``rows`` (in their RQ order) places it.

    A forecast for learned schedulers: the argmin of a row is EDF-AC-H's SA for that SJ, and a
    request deferred by admission control shows finishes behind every admitted request.
    """
    plan = EarliestFinishPlan(view, record=True)
    plan_with_admission(plan, view, rows)
    assert plan.candidates is not None
    out = np.array([plan.candidates[i] for i in rows], dtype=np.float64).reshape(len(rows),
                                                                             view.num_sas)
    return out - plan.now
