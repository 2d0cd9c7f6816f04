"""Tenant-EDF: closed-loop deficit scheduling of tenants' hit-rate targets (beyond the papers).

Russo, Blanco et al. (arXiv 2403.00766) give each tenant a hit-rate target per model and ask the
scheduler to meet every tenant's target; their formulas are not public. This is the heuristic a
control engineer would write first: EDF with admission control (EDF-AC-H, :mod:`.deadline`),
whose ordering key is a *virtual deadline* that moves with the tenant's deficit::

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
of EDF-AC-H): hopeless requests never delay the others. Without targets every deficit is 0 and
the policy is EDF-AC-H. Times in cycles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mas_sim.core.errors import PolicyError
from mas_sim.sim.view import Schedule, SchedulerView
from policies.earliest_finish import assign_with_admission

if TYPE_CHECKING:
    from mas_sim.hardware import SystemSpec

DEFAULT_GAIN = 1.0
"""Virtual-deadline shift per unit of deficit, in units of the request's latency requirement."""


class TenantEdf:
    """EDF-AC-H on virtual deadlines shifted by each tenant's hit-rate deficit (module docstring).
    """

    name = "tenant-edf"

    def __init__(self, gain: float = DEFAULT_GAIN) -> None:
        if isinstance(gain, bool) or not isinstance(gain, int | float) or not (
                np.isfinite(gain) and gain >= 0):
            raise PolicyError(f"tenant-edf: gain = {gain!r}, expected a number >= 0")
        self.gain = float(gain)

    def reset(self, system: SystemSpec, seed: int | None = None) -> None:
        """Stateless: the deficits come with each view."""

    def schedule(self, view: SchedulerView) -> Schedule:
        """Virtual-deadline order, admitted requests first, earliest-finish SAs."""
        return assign_with_admission(view, tenant_order(view, self.gain))


def virtual_deadline(view: SchedulerView, gain: float) -> np.ndarray:
    """``[R]`` deadline - gain x clip(deficit, -1, 1) x (deadline - arrival), cycles."""
    deficit = np.clip(view.tenant_deficit, -1.0, 1.0)
    return view.deadline - gain * deficit * (view.deadline - view.arrival)


def tenant_order(view: SchedulerView, gain: float) -> np.ndarray:
    """RQ indices by (virtual deadline, deadline, arrival, job id, layer index): each request's
    SJs stay together."""
    return np.lexsort((view.layer_index, view.job_id, view.arrival, view.deadline,
                       virtual_deadline(view, gain)))
