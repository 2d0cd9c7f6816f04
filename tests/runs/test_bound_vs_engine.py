"""The offline bound is an upper bound on what every policy achieves in the engine."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import policies
from mas_sim import simulate
from mas_sim.hardware import SystemSpec, simba_small
from mas_sim.hardware.profile import ModelProfile
from mas_sim.runs.bound import offline_bound
from mas_sim.workload import Request, Workload

pytest.importorskip("ortools")

HEURISTICS = ["fcfs-h", "prema-h", "herald", "edf-h", "edf-ac-h", "llf-h", "moca"]


@st.composite
def instances(draw: st.DrawFn) -> tuple[SystemSpec, Workload]:
    m = draw(st.integers(1, 2))
    system = SystemSpec((simba_small(),) * m, dram_bandwidth=draw(st.sampled_from([4.0, 64.0])))
    profiles = {}
    for k in range(draw(st.integers(1, 2))):
        n = draw(st.integers(1, 3))
        lat = [[draw(st.integers(50, 400)) for _ in range(m)] for _ in range(n)]
        bw = [[draw(st.sampled_from([0.0, 8.0])) for _ in range(m)] for _ in range(n)]
        edges = [(f"l{i}", f"l{i + 1}") for i in range(n - 1)]
        profiles[f"m{k}"] = ModelProfile.build(f"m{k}", [f"l{i}" for i in range(n)], edges,
                                               lat, bw)
    arrivals = sorted(draw(st.lists(st.integers(0, 600), min_size=1, max_size=5)))
    requests = []
    for i, a in enumerate(arrivals):
        model = draw(st.sampled_from(sorted(profiles)))
        slack = draw(st.integers(100, 1500))
        requests.append(Request(i, model, float(a), float(a + slack),
                                priority=draw(st.sampled_from([1, 3, 9]))))
    isolated = {n: float(p.latency.min(axis=1).sum()) for n, p in profiles.items()}
    return system, Workload(requests, profiles, isolated)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_bound_is_never_below_any_policy(instance: tuple[SystemSpec, Workload]) -> None:
    system, workload = instance
    requests = list(workload.requests)
    bound = offline_bound([(r.job_id, r.model, r.arrival, r.deadline) for r in requests],
                          workload.profiles, system, time_limit_s=10)
    for name in HEURISTICS:
        result = simulate(system, Workload(requests, workload.profiles,
                                           workload.isolated_latency),
                          policies.make(name), period=100.0, trace=False)
        assert bound.met >= result.summary["met"], name
