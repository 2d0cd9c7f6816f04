"""Workload layer: who asks for what, when, and by when.

- :mod:`.sets`: the papers' workload sets, QoS levels and priority classes;
- :mod:`.arrivals`: inter-arrival processes and the load factor;
- :mod:`.generate`: the request generator;
- :mod:`.scenario`: :class:`~.scenario.Scenario` and :func:`~.scenario.build_workload`, the
  calibrated defaults.

It sits above the kernel (:mod:`mas_sim.sim`): deadlines are set from each model's isolated
latency, which the kernel simulates. The request types themselves are the kernel's
(:mod:`mas_sim.sim.requests`) and are re-exported here with the generator's names.
"""

from mas_sim.sim.requests import Request, Workload
from mas_sim.workload.arrivals import isolated_work, mean_interarrival, pareto_interarrivals
from mas_sim.workload.generate import generate_requests
from mas_sim.workload.sets import PREMA_PRIORITIES, QOS_LEVELS, WORKLOAD_SETS

__all__ = [
    "PREMA_PRIORITIES",
    "QOS_LEVELS",
    "WORKLOAD_SETS",
    "Request",
    "Workload",
    "generate_requests",
    "isolated_work",
    "mean_interarrival",
    "pareto_interarrivals",
]
