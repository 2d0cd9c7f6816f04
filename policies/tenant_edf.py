"""Tenant-EDF: closed-loop deficit scheduling of tenants' hit-rate targets (beyond the papers).

Russo, Blanco et al. (arXiv 2403.00766) give each tenant a hit-rate target per model and ask the
scheduler to meet every tenant's target; their formulas are not public. This is the heuristic a
control engineer would write first: EDF with admission control (EDF-AC-H,
:mod:`policies.deadline`), whose ordering key is a *virtual deadline* that moves with the
tenant's deficit::

    virtual deadline = deadline - gain x deficit x q

``deficit`` is the view's :attr:`~mas_sim.sim.view.SchedulerView.tenant_deficit` of the
request's tenant (mean target minus hit rate over the tenant's most recent ended requests with a
target, the engine's sliding window: :mod:`mas_sim.sim.tenancy`), clipped to [-1, 1]; ``q`` is
the request's latency requirement (deadline - arrival), so the shift is a fraction of the
request's own slack and comparable across models. A tenant below its target gains priority in
proportion to its deficit; one above its target (negative deficit) yields to the others. The
loop closes through the window: once a tenant is back at its target its deficit, and its
advantage, vanish.

Requests are then planned in virtual-deadline order on their earliest-finish SAs, and one whose
plan misses its *real* deadline is deferred behind every admitted request (the admission control
of EDF-AC-H): hopeless requests never delay the others.

**Fast lane.** Priorities cannot help a short request when every SA is running a layer longer
than the request's whole deadline (execution is non-preemptive; a yolov2 layer runs for up to
4 ms, a KWS request's deadline at QoS-Medium is 0.35 ms). So one SA, the *lane*, takes only
sub-jobs whose latency on it is at most ``lane`` cycles: a short request then waits at most one
period for its tick and one short layer for the lane. The lane is the SA with the most peak MACs
per cycle (the lowest index on ties; Eyeriss-Large in the paper's system). ``lane=0`` turns it
off; without targets every deficit is 0 and the policy is EDF-AC-H with the lane.

Settings (gain 1, lane 50 us) were chosen on validation seeds (RESULTS.md, "Tenants and
traces"). Times in cycles.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from mas_sim.core.errors import PolicyError
from mas_sim.sim.plan import plan_admission
from mas_sim.sim.view import Schedule, SchedulerView
from policies.earliest_finish import assign_with_admission

if TYPE_CHECKING:
    from mas_sim.hardware import SystemSpec

DEFAULT_GAIN = 1.0
"""Virtual-deadline shift per unit of deficit, in units of the request's latency requirement."""
DEFAULT_LANE = 50_000.0
"""Longest sub-job (cycles on the lane SA) the fast lane takes: 50 us, half the default period."""

#: Latency the plan gives a sub-job on the lane when it is too long for it (never chosen).
_OFF_LANE = 1e18


def lane_of(system: SystemSpec) -> int:
    """The fast-lane SA of ``system``: the most peak MACs per cycle, the lowest index on ties."""
    return int(np.argmax([sa.peak_macs_per_cycle for sa in system.sub_accelerators]))


class TenantEdf:
    """EDF-AC-H on virtual deadlines shifted by each tenant's hit-rate deficit, with a fast lane
    (module docstring)."""

    name = "tenant-edf"

    def __init__(self, gain: float = DEFAULT_GAIN, lane: float = DEFAULT_LANE) -> None:
        for key, value in (("gain", gain), ("lane", lane)):
            if isinstance(value, bool) or not isinstance(value, int | float) or not (
                    np.isfinite(value) and value >= 0):
                raise PolicyError(f"tenant-edf: {key} = {value!r}, expected a number >= 0")
        self.gain = float(gain)
        self.lane = float(lane)
        self.lane_sa = 0

    def reset(self, system: SystemSpec, seed: int | None = None) -> None:
        """Pick the lane SA (:func:`lane_of`)."""
        self.lane_sa = lane_of(system)

    def schedule(self, view: SchedulerView) -> Schedule:
        """Virtual-deadline order, admitted requests first, earliest-finish SAs with the lane."""
        order = tenant_order(view, self.gain)
        return assign_with_admission(with_lane(view, self.lane_sa, self.lane), order)


def virtual_deadline(view: SchedulerView, gain: float) -> np.ndarray:
    """``[R]`` deadline - gain x clip(deficit, -1, 1) x (deadline - arrival), cycles."""
    deficit = np.clip(view.tenant_deficit, -1.0, 1.0)
    return view.deadline - gain * deficit * (view.deadline - view.arrival)


def tenant_order(view: SchedulerView, gain: float) -> np.ndarray:
    """RQ indices by (virtual deadline, deadline, arrival, job id, layer index): each request's
    SJs stay together."""
    return np.lexsort((view.layer_index, view.job_id, view.arrival, view.deadline,
                       virtual_deadline(view, gain)))


def with_lane(view: SchedulerView, sa: int, longest: float) -> SchedulerView:
    """``view`` whose SA ``sa`` takes only sub-jobs of at most ``longest`` cycles there (the
    others get a latency no plan picks); ``view`` itself if ``longest`` is 0 or the view has a
    single SA."""
    if longest <= 0 or view.num_sas < 2:
        return view
    latency = view.latency.copy()
    column = latency[:, sa]
    column[column > longest] = _OFF_LANE
    latency.setflags(write=False)
    return dataclasses.replace(view, latency=latency)


def tenant_planned_finish(view: SchedulerView, rows: Sequence[int] | np.ndarray, lane_sa: int,
                          gain: float = DEFAULT_GAIN, lane: float = DEFAULT_LANE,
                          ) -> npt.NDArray[np.float64]:
    """``[len(rows), M]`` cycles after ``now``: the finish each SJ of ``rows`` would have on each
    SA when tenant-EDF's plan of ``rows`` places it (virtual-deadline order, admission control,
    the fast lane on SA ``lane_sa``; a long SJ's finish on the lane is beyond any deadline).

    The tenant option of RELMAS's planned-finish features (``sa_time="tenant_plan"``,
    :mod:`policies.relmas.encoding`): the argmin of a row is tenant-EDF's SA for that SJ.
    """
    rows = np.asarray(rows, dtype=np.int64)
    key = virtual_deadline(view, gain)[rows]
    order = rows[np.lexsort((view.layer_index[rows], view.job_id[rows], view.arrival[rows],
                             view.deadline[rows], key))]
    candidates = plan_admission(with_lane(view, lane_sa, lane), order, record=True)[3]
    return candidates[rows] - float(view.now)
