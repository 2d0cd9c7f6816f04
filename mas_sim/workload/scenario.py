"""Scenarios: the RELMAS workload sets on a system, with calibrated defaults.

:func:`build_workload` turns (workload set, QoS level, number of requests, load, seed) into a
:class:`~mas_sim.sim.requests.Workload`: cost profiles from the cost model, isolated latencies from
the engine (:mod:`mas_sim.sim.isolated`: the request alone on the idle system, arriving at a
tick, scheduled by FCFS-H), and seeded Pareto arrivals.

Calibrated defaults (README "Modelling choices" explains them):

- ``DEFAULT_PERIOD`` (the engine's): the scheduling period Ts, cycles.
- ``DEFAULT_LOAD``: the load factor rho.
- ``BASE_QOS``: the QoS-Medium factor (QoS-Low = 1.2x, QoS-High = 0.8x).
- ``DEFAULT_PARETO_SHAPE``: the Pareto shape of inter-arrival times.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from mas_sim.core.errors import ConfigError, unknown_name
from mas_sim.hardware.profile import ModelProfile
from mas_sim.hardware.spec import SystemSpec
from mas_sim.sim.engine import DEFAULT_PERIOD
from mas_sim.sim.isolated import isolated_latencies
from mas_sim.sim.requests import Request, Workload
from mas_sim.workload.generate import generate_requests
from mas_sim.workload.sets import QOS_LEVELS, WORKLOAD_SETS

DEFAULT_LOAD = 0.4
"""Load factor rho = arrival rate x mean isolated work / M."""
BASE_QOS = 4.0
"""QoS-Medium factor: latency requirement = factor x isolated latency."""
DEFAULT_PARETO_SHAPE = 2.0
"""Shape of the Pareto inter-arrival distribution (finite mean, infinite variance: bursty)."""
DEFAULT_TENANTS = 8


@dataclass(frozen=True)
class Scenario:
    """A named workload on a system; every field has the calibrated default."""

    workload: str = "mixed"
    """Workload set: light, heavy or mixed (RELMAS Table 2)."""
    qos: str = "medium"
    """QoS level: low (1.2 x base), medium (base) or high (0.8 x base)."""
    requests: int = 200
    """Number of requests."""
    seed: int = 0
    """Seed of every random draw of the workload."""
    load: float = DEFAULT_LOAD
    """Load factor rho."""
    period: float = DEFAULT_PERIOD
    """Scheduling period Ts, cycles."""
    base_qos: float = BASE_QOS
    """QoS-Medium factor."""
    pareto_shape: float = DEFAULT_PARETO_SHAPE
    """Pareto shape of inter-arrival times (> 1)."""
    tenants: int = DEFAULT_TENANTS
    """Number of tenants."""
    costs: str = "analytical"
    """Cost-model backend: analytical or zigzag."""

    def __post_init__(self) -> None:
        if self.workload not in WORKLOAD_SETS:
            raise ConfigError(unknown_name("workload", self.workload, WORKLOAD_SETS))
        if self.qos not in QOS_LEVELS:
            raise ConfigError(unknown_name("QoS level", self.qos, QOS_LEVELS))
        if not isinstance(self.requests, int) or self.requests < 1:
            raise ConfigError(f"requests = {self.requests!r}, expected a positive integer")
        for name in ("load", "period", "base_qos"):
            value = getattr(self, name)
            if not value > 0:
                raise ConfigError(f"{name} = {value!r}, expected a positive number")

    @property
    def qos_factor(self) -> float:
        """The QoS factor of this scenario's level."""
        return self.base_qos * QOS_LEVELS[self.qos]


def model_profiles(system: SystemSpec, names: tuple[str, ...],
                   costs: str = "analytical") -> dict[str, ModelProfile]:
    """Cost profiles of the named zoo models on ``system`` (cached by the cost model)."""
    from mas_sim.hardware import costmodel

    return {name: costmodel.profile(name, system, backend=costs) for name in names}


def build_workload(system: SystemSpec, scenario: Scenario | None = None, *,
                   lazy: bool = False, **fields: object) -> Workload:
    """The workload of ``scenario`` (or of ``Scenario(**fields)``) on ``system``.

    ``lazy=True`` yields requests from a generator instead of a list (for very long runs).
    """
    sc = scenario if scenario is not None else Scenario(**fields)  # type: ignore[arg-type]
    models = WORKLOAD_SETS[sc.workload]
    profiles = model_profiles(system, models, sc.costs)
    isolated = isolated_latencies(profiles, system, sc.period)
    requests: Iterator[Request] = generate_requests(
        models=models, profiles=profiles, isolated_latency=isolated, num_sas=system.num_sas,
        count=sc.requests, load=sc.load, qos_factor=sc.qos_factor,
        rng=np.random.default_rng(sc.seed), pareto_shape=sc.pareto_shape, tenants=sc.tenants)
    return Workload(requests if lazy else list(requests), profiles, isolated)
