"""Earliest-finish SA assignment, shared by the list-scheduling heuristics.

The plan itself (each SJ in order on the SA where it would finish first, without DRAM
contention, optionally with admission control) is the kernel's :mod:`mas_sim.sim.plan`; this
module turns orders into schedules with it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from mas_sim.sim.plan import EarliestFinishPlan, plan_admission, plan_order
from mas_sim.sim.view import Schedule, SchedulerView

__all__ = ["EarliestFinishPlan", "assign_earliest_finish", "assign_with_admission",
           "earliest_finish_sas", "planned_finish"]


def assign_earliest_finish(view: SchedulerView, order: Sequence[int] | np.ndarray) -> Schedule:
    """Assign every SJ of ``view`` to its earliest-finish SA, visiting SJs in ``order``.

    ``order`` holds RQ indices, first = highest priority; it must be a permutation of
    ``range(view.size)``. Priorities of the returned schedule follow ``order``.
    """
    priority, sa = plan_order(view, order)
    return Schedule(priority, sa)


def earliest_finish_sas(view: SchedulerView, order: Sequence[int] | np.ndarray) -> list[int]:
    """The SA chosen for each SJ (indexed by RQ index) by the earliest-finish rule in ``order``."""
    return plan_order(view, order)[1].tolist()


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
    _, priority, sa, _ = plan_admission(view, order)
    return Schedule(priority, sa)


def planned_finish(view: SchedulerView, rows: Sequence[int] | np.ndarray,
                   ) -> npt.NDArray[np.float64]:
    """``[len(rows), M]`` cycles after ``now``: the finish each SJ of ``rows`` would have on each
    SA when EDF-AC-H's plan of ``rows`` (in their RQ order) places it.

    A forecast for learned schedulers: the argmin of a row is EDF-AC-H's SA for that SJ, and a
    request deferred by admission control shows finishes behind every admitted request.
    """
    rows = np.asarray(rows, dtype=np.int64)
    candidates = plan_admission(view, rows, record=True)[3]
    return candidates[rows] - float(view.now)
