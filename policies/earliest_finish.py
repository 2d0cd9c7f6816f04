"""Earliest-finish SA assignment, shared by the list-scheduling heuristics.

The plan itself (each SJ in order on the SA where it would finish first, without DRAM
contention) is the kernel's :class:`mas_sim.sim.plan.EarliestFinishPlan`; this module turns
orders into schedules with it, with and without admission control.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from mas_sim.sim.plan import EarliestFinishPlan
from mas_sim.sim.view import Schedule, SchedulerView


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
