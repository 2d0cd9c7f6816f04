"""MoCA-like scheduling and DRAM bandwidth sharing (Kim et al., HPCA 2023).

The model: docs/modelling.md section 5.

Two parts:

- :class:`MocaLike`, the scheduler: requests ordered by priority class (higher first), then by
  relative waiting time ``(now - arrival) / isolated latency`` (longer first); layers in
  topological order; earliest-finish SAs.
- :class:`MocaSharing`, the memory side: when the running SJs together demand more than the DRAM
  bandwidth, each SJ gets a bandwidth cap weighted by its dynamic score
  ``floor((1 + priority) / 4) + round(10 x remaining_work / slack)``, ``slack = max(deadline -
  now, 1)`` cycles, so that a higher score keeps more of its demand (the paper's intent; its
  released code lets the score cancel out). The engine uses it through the policy's
  ``bandwidth_sharing`` attribute.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from mas_sim.sim.view import Schedule, SchedulerView
from policies.earliest_finish import assign_earliest_finish

if TYPE_CHECKING:
    from mas_sim.hardware import SystemSpec


@dataclass(frozen=True)
class RunningInfo:
    """What the sharing rule knows about one running SJ's request."""

    priority: int
    """The request's priority class (larger = more important)."""
    deadline: float
    """The request's absolute deadline, cycles."""
    remaining_work: float
    """Stall-free work the request still needs (running SJ included), cycles."""
    isolated_latency: float
    """The request's isolated latency C_SP, cycles."""


#: Weight of a zero score: keeps every rate strictly positive (a score of 0 would starve the SJ
#: completely, which MoCA's throttling never does); positive scores are used as they are.
ZERO_SCORE_WEIGHT = 0.5


def moca_score(info: RunningInfo, now: float) -> int:
    """MoCA's dynamic score ``floor((1 + priority) / 4) + round(10 x remaining / slack)``."""
    slack = max(info.deadline - now, 1.0)
    return math.floor((1 + info.priority) / 4) + round(10.0 * info.remaining_work / slack)


class MocaSharing:
    """Score-weighted water-filling of the DRAM bandwidth among the running SJs.

    With demands ``d_i`` (bytes/cycle) and bandwidth ``B``: if ``sum d <= B`` every rate is 1.
    Otherwise rate_i = ``min(1, lam x w_i)`` with ``w_i`` the SJ's score (``ZERO_SCORE_WEIGHT``
    for a zero score) and ``lam`` chosen so that ``sum rate_i d_i = B``: each cap ``rate_i d_i``
    is proportional to ``w_i d_i`` until it reaches the SJ's demand, and the bandwidth a capped-out
    SJ leaves is shared by the others. SJs that demand nothing run at rate 1.
    """

    name = "moca"

    def rates(self, now: float, demands: Sequence[float], jobs: Sequence[RunningInfo],
              bandwidth: float) -> list[float]:
        """Progress rate in (0, 1] of each running SJ; its bandwidth use is rate x demand."""
        n = len(demands)
        if len(jobs) != n:
            raise ValueError(f"{n} demands but {len(jobs)} running-job records")
        if sum(demands) <= bandwidth:
            return [1.0] * n
        weight = [float(max(moca_score(j, now), 0)) or ZERO_SCORE_WEIGHT for j in jobs]
        rates = [1.0] * n
        open_set = [i for i in range(n) if demands[i] > 0]
        budget = float(bandwidth)
        while open_set:
            total = sum(weight[i] * demands[i] for i in open_set)
            lam = budget / total
            saturated = [i for i in open_set if lam * weight[i] >= 1.0]
            if not saturated:
                break
            for i in saturated:
                budget -= demands[i]
            open_set = [i for i in open_set if lam * weight[i] < 1.0]
        for i in open_set:
            rates[i] = lam * weight[i]
        return rates


class MocaLike:
    """MoCA-like scheduler: priority class, then relative waiting time; earliest-finish SAs."""

    name = "moca"

    def __init__(self) -> None:
        self.bandwidth_sharing = MocaSharing()

    def reset(self, system: SystemSpec, seed: int | None = None) -> None:
        """Stateless: nothing to prepare."""

    def schedule(self, view: SchedulerView) -> Schedule:
        """Order by (-priority, -waiting / isolated latency, job id, layer), earliest finish."""
        relative_wait = (float(view.now) - view.arrival) / np.maximum(view.isolated_latency, 1.0)
        order = np.lexsort((view.layer_index, view.job_id, -relative_wait, -view.priority))
        return assign_earliest_finish(view, order)
