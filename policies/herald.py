"""Herald-like layer-to-SA assignment (Kwon et al., HPCA 2021), docs/modelling.md section 5.

Herald-like: reconstructed from the authors' public assignment engine, not Herald itself. Layers
are visited in request order (arrival, job id, layer index). Each goes to its fastest SA
``best = argmin_m c[l, m]`` unless the least-loaded SA ``least = argmin_m load_m`` is different
and at most twice as slow (``c[l, least] < 2 c[l, best]``), in which case it goes to ``least``.
The chosen SA's load grows by ``c[l, m]``. Loads start at the SAs' busy times (cycles). Each SA
then runs its list first-in first-out: priorities follow the visiting order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mas_sim.sim.jit import njit
from mas_sim.sim.view import FloatArray, IntArray, Schedule, SchedulerView

if TYPE_CHECKING:
    from mas_sim.hardware import SystemSpec


class HeraldLike:
    """Herald-like load balancing with the 2x slowdown rule; each SA FIFO."""

    name = "herald"

    def __init__(self, slowdown_limit: float = 2.0) -> None:
        """``slowdown_limit``: the least-loaded SA is used only if it is less than this many
        times slower than the fastest SA (Herald's 2)."""
        self.slowdown_limit = float(slowdown_limit)

    def reset(self, system: SystemSpec, seed: int | None = None) -> None:
        """Stateless: loads are rebuilt from the view at every tick."""

    def schedule(self, view: SchedulerView) -> Schedule:
        """Visit layers in request order and assign them with the best/least rule."""
        order = np.lexsort((view.layer_index, view.job_id, view.arrival))
        sa = _assign(order, view.latency, view.sa_busy_for, self.slowdown_limit)
        return Schedule.from_order(order, sa)


@njit
def _assign(order: IntArray, latency: FloatArray, busy: FloatArray, limit: float) -> IntArray:
    """SA of each SJ visited in ``order`` under the best/least rule (ties: the lowest SA index,
    as ``min`` over SAs picks; loads start at ``busy``)."""
    load = busy.copy()
    sa = np.zeros(latency.shape[0], dtype=np.int64)
    for i in order:
        best = 0
        least = 0
        for k in range(1, latency.shape[1]):
            if latency[i, k] < latency[i, best]:
                best = k
            if load[k] < load[least]:
                least = k
        m = least if least != best and latency[i, least] < limit * latency[i, best] else best
        load[m] += latency[i, m]
        sa[i] = m
    return sa
