"""Workload layer: who asks for what, when, and by when.

- :mod:`.sets`: the papers' workload sets, QoS levels and priority classes;
- :mod:`.arrivals`: inter-arrival processes (Pareto, Poisson) and the load factor;
- :mod:`.trace`: recorded arrivals (CSV traces, the shipped Azure LLM trace) replayed at a load;
- :mod:`.tenants`: tenants with request rates, model mixes and hit-rate targets;
- :mod:`.mix`: drawing each request's tenant and model;
- :mod:`.generate`: the request generator;
- :mod:`.scenario`: :class:`~.scenario.Scenario` and :func:`~.scenario.build_workload`, the
  calibrated defaults.

It sits above the kernel (:mod:`mas_sim.sim`): deadlines are set from each model's isolated
latency, which the kernel simulates. The request types themselves are the kernel's
(:mod:`mas_sim.sim.requests`) and are re-exported here with the generator's names.
"""

from mas_sim.sim.requests import Request, Workload
from mas_sim.workload.arrivals import (
    ARRIVAL_PROCESSES,
    Pareto,
    Poisson,
    isolated_work,
    mean_interarrival,
    pareto_interarrivals,
)
from mas_sim.workload.generate import generate_requests
from mas_sim.workload.sets import PREMA_PRIORITIES, QOS_LEVELS, WORKLOAD_SETS
from mas_sim.workload.tenants import Tenant, TenantSet
from mas_sim.workload.trace import SHIPPED_TRACES, load_trace

__all__ = [
    "ARRIVAL_PROCESSES",
    "PREMA_PRIORITIES",
    "QOS_LEVELS",
    "SHIPPED_TRACES",
    "WORKLOAD_SETS",
    "Pareto",
    "Poisson",
    "Request",
    "Tenant",
    "TenantSet",
    "Workload",
    "generate_requests",
    "isolated_work",
    "load_trace",
    "mean_interarrival",
    "pareto_interarrivals",
]
