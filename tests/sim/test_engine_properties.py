"""Invariants of the engine on many random systems, workloads and schedules (hypothesis)."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mas_sim.hardware.profile import ModelProfile
from mas_sim.sim.engine import EngineConfig, Simulation
from mas_sim.sim.view import Schedule, SchedulerView
from mas_sim.workload import Request, Workload
from tests.sim.toy import toy_system


class RandomPolicy:
    """Random priorities and SAs from a seeded generator: exercises every engine path."""

    name = "random"

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def reset(self, system, seed=None):  # type: ignore[no-untyped-def]
        pass

    def schedule(self, view: SchedulerView) -> Schedule:
        return Schedule(self.rng.random(view.size),
                        self.rng.integers(0, view.num_sas, view.size))


@dataclass
class Checker:
    """Observer that records what the invariants need."""

    bandwidth: float
    intervals: dict[int, list[tuple[float, float]]] = field(default_factory=dict)
    finish_of: dict[tuple[int, int], float] = field(default_factory=dict)
    start_of: dict[tuple[int, int], float] = field(default_factory=dict)
    ended: dict[int, list[tuple[str, float]]] = field(default_factory=dict)
    progress: dict[int, list[float]] = field(default_factory=dict)  # id -> [rate, since, done]
    integrals: list[tuple[float, float]] = field(default_factory=list)
    rate_errors: list[str] = field(default_factory=list)

    def subjob_started(self, sj, sa, now):  # type: ignore[no-untyped-def]
        key = (sj.job.job_id, sj.layer)
        for p in sj.job.profile.predecessors[sj.layer]:
            assert self.finish_of[(sj.job.job_id, p)] <= now, "started before a predecessor"
        self.start_of[key] = now

    def subjob_finished(self, sj, sa, now):  # type: ignore[no-untyped-def]
        key = (sj.job.job_id, sj.layer)
        self.finish_of[key] = now
        self.intervals.setdefault(sa, []).append((self.start_of[key], now))
        rate, since, done = self.progress.pop(id(sj))
        done += rate * (now - since)
        self.integrals.append((done, float(sj.job.profile.latency[sj.layer, sa])))

    def rates_changed(self, now, transfers):  # type: ignore[no-untyped-def]
        for entry in self.progress.values():
            entry[2] += entry[0] * (now - entry[1])
            entry[1] = now
        demand = sum(t.demand for t in transfers)
        expected = 1.0 if demand <= self.bandwidth else self.bandwidth / demand
        used = sum(t.rate * t.demand for t in transfers)
        if used > self.bandwidth * (1 + 1e-12):
            self.rate_errors.append(f"{used} > {self.bandwidth} at {now}")
        for t in transfers:
            if t.rate != expected:
                self.rate_errors.append(f"rate {t.rate} != {expected}")
            entry = self.progress.setdefault(id(t.client), [t.rate, now, 0.0])
            entry[0] = t.rate

    def job_ended(self, job, now):  # type: ignore[no-untyped-def]
        self.ended.setdefault(job.job_id, []).append((job.status, now))


@st.composite
def scenarios(draw: st.DrawFn) -> tuple:
    m = draw(st.integers(1, 3))
    bandwidth = draw(st.sampled_from([4.0, 16.0, 1000.0]))
    profiles = {}
    for k in range(draw(st.integers(1, 3))):
        n = draw(st.integers(1, 5))
        edges = [(f"l{u}", f"l{v}") for v in range(1, n)
                 for u in sorted(set(draw(st.lists(st.integers(0, v - 1), min_size=1,
                                                   max_size=2))))]
        lat = draw(st.lists(st.lists(st.floats(1, 2000), min_size=m, max_size=m),
                            min_size=n, max_size=n))
        bw = draw(st.lists(st.lists(st.floats(0, 20), min_size=m, max_size=m),
                           min_size=n, max_size=n))
        profiles[f"m{k}"] = ModelProfile.build(f"m{k}", [f"l{i}" for i in range(n)], edges,
                                               lat, bw)
    arrivals = sorted(draw(st.lists(st.floats(0, 5000), min_size=1, max_size=6)))
    requests = []
    for i, a in enumerate(arrivals):
        model = draw(st.sampled_from(sorted(profiles)))
        slack = draw(st.floats(100, 20_000))
        requests.append(Request(i, model, a, a + slack, priority=draw(st.sampled_from([1, 3, 9]))))
    config = EngineConfig(period=draw(st.sampled_from([50.0, 333.0, 1000.0, 1e6])),
                          drop_expired=draw(st.booleans()),
                          requeue_unstarted=draw(st.booleans()),
                          skip_futile_ticks=draw(st.booleans()))
    seed = draw(st.integers(0, 2**16))
    return toy_system(m, bandwidth), profiles, requests, config, seed


def simulate(scenario: tuple) -> Checker:
    system, profiles, requests, config, seed = scenario
    checker = Checker(system.dram_bandwidth)
    workload = Workload(requests, profiles, {n: 1.0 for n in profiles})
    Simulation(system, workload, RandomPolicy(seed), config, observers=[checker]).run()
    return checker


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_engine_invariants(scenario: tuple) -> None:
    _, profiles, requests, config, _ = scenario
    c = simulate(scenario)
    # No SA runs two sub-jobs at once.
    for spans in c.intervals.values():
        spans.sort()
        for (_, f0), (s1, _) in itertools.pairwise(spans):
            assert s1 >= f0
    # DRAM: every running SJ progresses at exactly min(1, B / D); bandwidth never exceeded.
    assert not c.rate_errors
    # Stall-stretched run time integrates back to the stall-free latency.
    for done, latency in c.integrals:
        assert math.isclose(done, latency, rel_tol=1e-9, abs_tol=1e-9)
    # Every request ends exactly once; met iff it finished by its deadline.
    assert sorted(c.ended) == [r.job_id for r in requests]
    for r in requests:
        [(status, when)] = c.ended[r.job_id]
        assert status in ("met", "missed", "dropped")
        if status == "met":
            assert when <= r.deadline
        elif status == "missed":
            assert when > r.deadline
        else:
            assert config.drop_expired and when > r.deadline
        finished = [k for k in c.finish_of if k[0] == r.job_id]
        if status != "dropped":
            assert len(finished) == profiles[r.model].num_layers
    # (precedence is asserted inside Checker.subjob_started)


@settings(max_examples=25, deadline=None)
@given(scenarios())
def test_same_seed_same_trace(scenario: tuple) -> None:
    a = simulate(scenario)
    b = simulate(scenario)
    assert a.intervals == b.intervals
    assert a.ended == b.ended
