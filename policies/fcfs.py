"""FCFS-H: first come, first served, with the earliest-finish SA heuristic (RELMAS baseline 1).

Order: request arrival, then job id, then topological layer order. Each SJ in that order goes
to the SA where it would finish first (:mod:`policies.earliest_finish`).
"""

from __future__ import annotations

import numpy as np

from mas_sim.hardware import SystemSpec
from mas_sim.sim.view import Schedule, SchedulerView
from policies.earliest_finish import assign_earliest_finish


class FcfsH:
    """First-come first-served priorities, earliest-finish SA. Stateless."""

    name = "fcfs-h"

    def reset(self, system: SystemSpec, seed: int | None = None) -> None:
        """Nothing to reset."""

    def schedule(self, view: SchedulerView) -> Schedule:
        """Arrival order, then layer order; earliest-finish SA."""
        order = np.lexsort((view.layer_index, view.job_id, view.arrival))
        return assign_earliest_finish(view, order)
