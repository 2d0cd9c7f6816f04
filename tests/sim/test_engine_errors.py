"""Every user-error path of the engine layer raises a project error naming the bad value."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mas_sim import EngineConfig, Simulation, simulate
from mas_sim.core.errors import ConfigError, ModelError, PolicyError
from mas_sim.hardware import SubAcceleratorSpec, SystemSpec, simba_small
from mas_sim.hardware.profile import ModelProfile
from mas_sim.sim.view import Schedule, SchedulerView
from tests.sim.toy import one_layer, toy_system, workload


class Returns:
    """A policy that answers every view with ``make(view)``."""

    name = "returns"

    def __init__(self, make):  # type: ignore[no-untyped-def]
        self.make = make

    def reset(self, system, seed=None):  # type: ignore[no-untyped-def]
        pass

    def schedule(self, view: SchedulerView):  # type: ignore[no-untyped-def]
        return self.make(view)


def run_with(make) -> None:  # type: ignore[no-untyped-def]
    layer = one_layer("m", [10, 10], [0, 0])
    simulate(toy_system(2), workload([("m", 0, 100)], layer), Returns(make), period=50)


@pytest.mark.parametrize(("make", "message"), [
    (lambda v: Schedule(np.zeros(v.size), np.full(v.size, 2)),
     r"sa\[0\] = 2 is out of range 0..1"),
    (lambda v: Schedule(np.zeros(v.size), np.full(v.size, -1)), r"sa\[0\] = -1 is out of range"),
    (lambda v: Schedule(np.full(v.size, math.nan), np.zeros(v.size, dtype=np.int64)),
     r"priority\[0\] = nan, expected a finite number"),
    (lambda v: Schedule(np.zeros(v.size + 1), np.zeros(v.size + 1, dtype=np.int64)),
     r"expected \(1,\) for 1 sub-jobs"),
    (lambda v: Schedule(np.zeros(v.size), np.zeros(v.size)), "expected integers"),
    (lambda v: {"sa": [0]}, "expected a Schedule, got dict"),
])
def test_invalid_schedules_are_refused_naming_the_policy(make, message: str) -> None:  # type: ignore[no-untyped-def]
    expected = "policy 'returns' returned an invalid schedule"
    with pytest.raises(PolicyError, match=expected) as err:
        run_with(make)
    assert err.match(message)


def test_cyclic_and_disconnected_graphs_are_refused() -> None:
    with pytest.raises(ModelError, match="cycle through"):
        ModelProfile.build("loop", ["a", "b"], [("a", "b"), ("b", "a")], [[1], [1]], [[0], [0]])
    with pytest.raises(ModelError, match="disconnected"):
        ModelProfile.build("split", ["a", "b"], [], [[1], [1]], [[0], [0]])
    with pytest.raises(ModelError, match="unknown layer 'c'"):
        ModelProfile.build("typo", ["a", "b"], [("a", "c")], [[1], [1]], [[0], [0]])
    with pytest.raises(ModelError, match="every latency must be > 0"):
        ModelProfile.build("zero", ["a"], [], [[0]], [[0]])


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"pes": 0}, "pes = 0, expected a positive integer"),
    ({"pes": 2.5}, "pes = 2.5, expected a positive integer"),
    ({"macs_per_pe": -1}, "macs_per_pe = -1"),
    ({"dataflow": "output_stationary"}, "dataflow = 'output_stationary'"),
    ({"global_buffer_bytes": 0}, "global_buffer_bytes = 0"),
])
def test_bad_sub_accelerators_are_refused(kwargs: dict, message: str) -> None:
    fields = {**simba_small().__dict__, **kwargs}
    with pytest.raises(ConfigError, match=message):
        SubAcceleratorSpec(**fields)


@pytest.mark.parametrize("bandwidth", [0.0, -16.0, math.inf, math.nan])
def test_non_positive_bandwidth_is_refused(bandwidth: float) -> None:
    with pytest.raises(ConfigError, match="dram_bandwidth"):
        SystemSpec((simba_small(),), dram_bandwidth=bandwidth)
    with pytest.raises(ConfigError, match="bandwidth_gbps"):
        SystemSpec.paper().with_bandwidth_gbps(bandwidth)


@pytest.mark.parametrize("period", [0, -5.0, math.inf])
def test_non_positive_period_is_refused(period: float) -> None:
    with pytest.raises(ConfigError, match="period"):
        EngineConfig(period=period)


def test_workload_must_match_the_system() -> None:
    layer = one_layer("m", [10, 10, 10], [0, 0, 0])  # costs for 3 SAs
    with pytest.raises(ConfigError, match="costs for 3 SAs, the system has 2"):
        Simulation(toy_system(2), workload([("m", 0, 100)], layer), None)


def test_unknown_model_in_a_request_is_refused() -> None:
    layer = one_layer("m", [10, 10], [0, 0])
    wl = workload([("m", 0, 100)], layer)
    wl = type(wl)([type(r)(r.job_id, "resnet", r.arrival, r.deadline) for r in wl.requests],
                  wl.profiles, wl.isolated_latency)
    with pytest.raises(ConfigError, match="unknown model 'resnet'"):
        Simulation(toy_system(2), wl, None)
