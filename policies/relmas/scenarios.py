"""The workloads a training run plays and the encoder scales that fit them.

A :data:`Scenario` builds one episode's workload from a seed; :func:`scenario_for` makes the
configured one (with ``any`` workload set or QoS level, seed ``s`` plays pair ``s mod n`` of
:func:`scenario_choices`, so consecutive evaluation seeds cover every pair). Tests and studies
pass their own scenario to the trainer instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from mas_sim.hardware import SystemSpec
from mas_sim.hardware.profile import ModelProfile
from mas_sim.workload import QOS_LEVELS, WORKLOAD_SETS, Workload
from policies.relmas.config import ANY, LINEAR_TIME_UNIT_PERIODS, TrainConfig
from policies.relmas.encoding import Normalisation
from policies.tenant_edf import lane_of

Scenario = Callable[[int, int], Workload]
"""``scenario(seed, requests) -> Workload`` builds one episode's workload."""


def period_of(config: TrainConfig) -> float:
    """The scheduling period of the run, cycles."""
    if config.period is not None:
        return config.period
    from mas_sim.workload.scenario import DEFAULT_PERIOD

    return DEFAULT_PERIOD


def scenario_choices(config: TrainConfig) -> list[tuple[str, str]]:
    """The (workload set, QoS level) pairs the run trains on, in a fixed order."""
    workloads = sorted(WORKLOAD_SETS) if config.workload == ANY else [config.workload]
    levels = sorted(QOS_LEVELS) if config.qos == ANY else [config.qos]
    return [(w, q) for w in workloads for q in levels]


def scenario_for(system: SystemSpec, config: TrainConfig) -> Scenario:
    """Workloads of the configured scenario through
    :func:`mas_sim.workload.scenario.build_workload` (module docstring for ``any``)."""
    from mas_sim.workload.scenario import DEFAULT_LOAD, build_workload
    from mas_sim.workload.scenario import Scenario as Settings

    choices = scenario_choices(config)
    base = Settings(load=DEFAULT_LOAD if config.load is None else config.load,
                    period=period_of(config), tenant_targets=config.tenant_targets)

    def build(seed: int, requests: int) -> Workload:
        workload, qos = choices[seed % len(choices)]
        return build_workload(system, replace(base, workload=workload, qos=qos, seed=seed,
                                              requests=requests))

    return build


def training_normalisation(system: SystemSpec, config: TrainConfig, period: float,
                           scenario: Scenario) -> Normalisation:
    """The encoder scales of every model the run can meet (all pairs of
    :func:`scenario_choices`; probed through ``scenario`` so custom scenarios work too)."""
    profiles: dict[str, ModelProfile] = {}
    for seed in range(len(scenario_choices(config))):
        profiles.update(scenario(config.eval_seeds[0] + seed, 1).profiles)
    periods = config.time_unit_periods
    if periods is None:
        periods = LINEAR_TIME_UNIT_PERIODS if config.time_encoding == "linear" else 1.0
    return Normalisation.for_profiles(profiles, time_unit=period * periods,
                                      dram_bandwidth=system.dram_bandwidth,
                                      time_encoding=config.time_encoding,
                                      sa_time=config.sa_time,
                                      tenant_features=config.tenant_features,
                                      lane_sa=lane_of(system) if config.sa_time == "tenant_plan"
                                      else -1)
