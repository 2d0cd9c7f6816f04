"""Isolated latency C_SP: one request alone on the idle system, simulated.

The request arrives at a tick and is planned every period as FCFS-H plans it (layers in
topological order, each on its earliest-finish SA: :func:`~mas_sim.sim.plan.plan_order`),
with DRAM contention among its own parallel layers. Deadlines are set from it
(``q = QoS factor x C_SP``), so it is computed here, in the kernel, below the workload layer
that needs it; ``tests`` check that it equals a run of the ``fcfs-h`` policy. Times in cycles.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from mas_sim.hardware.profile import ModelProfile
from mas_sim.hardware.spec import SystemSpec
from mas_sim.sim.engine import EngineConfig, Simulation
from mas_sim.sim.plan import plan_order
from mas_sim.sim.requests import Request, Workload
from mas_sim.sim.view import Schedule, SchedulerView


class _AloneFcfs:
    """FCFS-H for one request: layer order, earliest-finish SA (policies.fcfs.FcfsH's rule)."""

    name = "fcfs-h (isolated latency)"

    def reset(self, system: SystemSpec, seed: int | None = None) -> None:
        """Stateless."""

    def schedule(self, view: SchedulerView) -> Schedule:
        """Arrival, job id, then layer order; earliest-finish SA."""
        priority, sa = plan_order(view, np.lexsort((view.layer_index, view.job_id,
                                                    view.arrival)))
        return Schedule(priority, sa)


_ISOLATED: dict[tuple[int, SystemSpec, float], tuple[ModelProfile, float]] = {}


def isolated_latency(profile: ModelProfile, system: SystemSpec, period: float) -> float:
    """C_SP: cycles from arrival to finish of one request alone on the idle system.

    It arrives at a tick (time 0) and is scheduled by FCFS-H every period, with DRAM
    contention among its own parallel layers. Cached per (profile, system, period).
    """
    key = (id(profile), system, period)
    hit = _ISOLATED.get(key)
    if hit is not None and hit[0] is profile:
        return hit[1]
    request = Request(0, profile.name, 0.0, float("inf"))
    workload = Workload([request], {profile.name: profile}, {profile.name: 1.0})
    ended: list[float] = []

    class _End:
        def job_ended(self, job: object, now: float) -> None:
            ended.append(now)

    policy = _AloneFcfs()
    Simulation(system, workload, policy, EngineConfig(period=period),
               observers=[_End()]).run()
    _ISOLATED[key] = (profile, ended[0])
    return ended[0]


def isolated_latencies(profiles: Mapping[str, ModelProfile], system: SystemSpec,
                       period: float) -> dict[str, float]:
    """:func:`isolated_latency` of every profile."""
    return {name: isolated_latency(p, system, period) for name, p in profiles.items()}
