"""The kernel's isolated latency is what the fcfs-h policy gives a request alone on the system."""

from __future__ import annotations

import math

import pytest

import policies
from mas_sim import SystemSpec
from mas_sim.hardware import costmodel
from mas_sim.sim.engine import EngineConfig, Simulation
from mas_sim.sim.isolated import isolated_latency
from mas_sim.sim.requests import Request, Workload
from mas_sim.workload.sets import WORKLOAD_SETS


class _End:
    def __init__(self) -> None:
        self.ended: list[float] = []

    def job_ended(self, job: object, now: float) -> None:
        self.ended.append(now)


@pytest.mark.parametrize("model", WORKLOAD_SETS["mixed"])
def test_isolated_latency_equals_a_run_of_the_fcfs_h_policy(model: str,
                                                            paper_system: SystemSpec) -> None:
    profile = costmodel.profile(model, paper_system)
    period = 100_000.0
    workload = Workload([Request(0, model, 0.0, math.inf)], {model: profile}, {model: 1.0})
    policy = policies.make("fcfs-h")
    policy.reset(paper_system, 0)
    end = _End()
    Simulation(paper_system, workload, policy, EngineConfig(period=period),
               observers=[end]).run()
    assert isolated_latency(profile, paper_system, period) == end.ended[0]
