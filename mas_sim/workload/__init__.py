"""Workload layer: who asks for what, when, and by when.

- :mod:`.sets`: the papers' workload sets, QoS levels and priority classes;
- :mod:`.arrivals`: inter-arrival processes (Pareto, Poisson) and the load factor;
- :mod:`.trace`: recorded arrivals (CSV traces, the shipped Azure LLM trace) replayed at a load;
- :mod:`.tenants`: tenants with request rates, model mixes and hit-rate targets;
- :mod:`.mix`: drawing each request's tenant and model;
- :mod:`.generate`: the request generator;
- :mod:`.scenario`: :class:`~.scenario.Scenario` and :func:`~.scenario.build_workload`, the
  calibrated defaults;
- :mod:`.scenario_file`: scenario TOML files (``--scenario``).

It sits above the kernel (:mod:`mas_sim.sim`): deadlines are set from each model's isolated
latency, which the kernel simulates. The request types themselves are the kernel's
(:mod:`mas_sim.sim.requests`) and are re-exported here with the generator's names.

The names below are loaded on first use, so that reading a :class:`~.scenario.Scenario`'s fields
(the command line does, to build its options) loads neither the kernel nor numpy or pandas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mas_sim.core.lazy import lazy_exports
from mas_sim.workload.sets import PREMA_PRIORITIES, QOS_LEVELS, WORKLOAD_SETS

if TYPE_CHECKING:
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
    from mas_sim.workload.tenants import Tenant, TenantSet
    from mas_sim.workload.trace import SHIPPED_TRACES, load_trace

#: Public name -> module that defines it (loaded on first use).
_LAZY: dict[str, str] = {
    "ARRIVAL_PROCESSES": "mas_sim.workload.arrivals",
    "Pareto": "mas_sim.workload.arrivals",
    "Poisson": "mas_sim.workload.arrivals",
    "Request": "mas_sim.sim.requests",
    "SHIPPED_TRACES": "mas_sim.workload.trace",
    "Tenant": "mas_sim.workload.tenants",
    "TenantSet": "mas_sim.workload.tenants",
    "Workload": "mas_sim.sim.requests",
    "generate_requests": "mas_sim.workload.generate",
    "isolated_work": "mas_sim.workload.arrivals",
    "load_trace": "mas_sim.workload.trace",
    "mean_interarrival": "mas_sim.workload.arrivals",
    "pareto_interarrivals": "mas_sim.workload.arrivals",
}

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


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
