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

from mas_sim.view import Schedule, SchedulerView


def assign_earliest_finish(view: SchedulerView, order: Sequence[int] | np.ndarray) -> Schedule:
    """Assign every SJ of ``view`` to its earliest-finish SA, visiting SJs in ``order``.

    ``order`` holds RQ indices, first = highest priority; it must be a permutation of
    ``range(view.size)``. Priorities of the returned schedule follow ``order``.
    Pure Python over lists: O(R x M) with small constants (M is about 6).
    """
    order_list = order.tolist() if isinstance(order, np.ndarray) else [int(i) for i in order]
    sa = earliest_finish_sas(view, order_list)
    return Schedule.from_order(order_list, sa)


def earliest_finish_sas(view: SchedulerView, order: Sequence[int]) -> list[int]:
    """The SA chosen for each SJ (indexed by RQ index) by the earliest-finish rule in ``order``."""
    now = float(view.now)
    latency = view.latency.tolist()
    release = view.release.tolist()
    # In-RQ predecessors straight from the CSR arrays (cheaper than view.predecessors).
    ptr = view.pred_indptr.tolist()
    idx = view.pred_indices.tolist()
    free = [now + b for b in view.sa_busy_for.tolist()]
    sas = range(len(free))
    inf = float("inf")
    planned = [inf] * view.size  # inf = not planned yet (listed after its successor)
    chosen = [0] * view.size
    for i in order:
        est = release[i]
        if est < now:
            est = now
        for k in range(ptr[i], ptr[i + 1]):
            f = planned[idx[k]]
            if est < f < inf:
                est = f
        row = latency[i]
        best_m = 0
        best_f = inf
        for m in sas:
            fm = free[m]
            f = (fm if fm > est else est) + row[m]
            if f < best_f:
                best_f, best_m = f, m
        free[best_m] = best_f
        planned[i] = best_f
        chosen[i] = best_m
    return chosen
