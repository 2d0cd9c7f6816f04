"""Tiny hand-made systems, workloads and a stand-in forecaster for the RELMAS tests."""

from __future__ import annotations

import numpy as np

from mas_sim.hardware import SystemSpec, eyeriss_small, simba_small
from mas_sim.hardware.profile import ModelProfile
from mas_sim.sim.view import Schedule, SchedulerView
from mas_sim.workload import Request, Workload, generate_requests

PERIOD = 1000.0
"""Scheduling period of the tiny scenarios, cycles."""


def tiny_system() -> SystemSpec:
    """Two SAs (Eyeriss-Small, Simba-Small), DRAM 16 bytes/cycle."""
    return SystemSpec((eyeriss_small(), simba_small()), dram_bandwidth=16.0, name="tiny")


def tiny_profiles() -> dict[str, ModelProfile]:
    """``chain``: 3 layers in a row; ``fork``: a -> (b, c). Latencies in cycles on 2 SAs."""
    chain = ModelProfile.build("chain", ["c0", "c1", "c2"], [("c0", "c1"), ("c1", "c2")],
                               latency=[[600, 900], [800, 400], [500, 500]],
                               bandwidth=[[2, 4], [8, 1], [3, 3]])
    fork = ModelProfile.build("fork", ["a", "b", "c"], [("a", "b"), ("a", "c")],
                              latency=[[300, 700], [1200, 600], [400, 400]],
                              bandwidth=[[1, 1], [4, 12], [0, 2]])
    return {"chain": chain, "fork": fork}


def isolated() -> dict[str, float]:
    """A plausible isolated latency per model (sum of min latencies), cycles."""
    return {name: float(p.latency.min(axis=1).sum()) for name, p in tiny_profiles().items()}


def fixed_workload(requests: list[Request]) -> Workload:
    """A workload of hand-made requests on the tiny models."""
    return Workload(requests, tiny_profiles(), isolated())


def random_workload(seed: int, count: int, load: float = 0.9, qos: float = 3.0) -> Workload:
    """``count`` Pareto-arrival requests of the tiny models."""
    profiles = tiny_profiles()
    iso = isolated()
    reqs = list(generate_requests(models=("chain", "fork"), profiles=profiles,
                                  isolated_latency=iso, num_sas=2, count=count, load=load,
                                  qos_factor=qos, rng=np.random.default_rng(seed)))
    return Workload(reqs, profiles, iso)


def stub_forecast(view: SchedulerView, schedule: Schedule) -> np.ndarray:
    """A stand-in for ``mas_sim.sim.forecast.forecast`` (same signature): list scheduling in RQ
    order, no DRAM contention. Each SJ starts at max(its SA's free time, release, in-RQ
    predecessors' finish) and runs its stall-free latency. Absolute cycles."""
    free = view.now + view.sa_busy_for.astype(np.float64)
    finish = np.zeros(view.size)
    for i in range(view.size):
        m = int(schedule.sa[i])
        start = max(free[m], view.release[i], *(finish[u] for u in view.predecessors[i]))
        finish[i] = start + view.latency[i, m]
        free[m] = finish[i]
    return finish
