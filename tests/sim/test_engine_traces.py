"""Exact event traces of the engine on tiny scenarios worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from mas_sim.core.errors import PolicyError
from mas_sim.hardware.profile import ModelProfile
from mas_sim.sim.engine import EngineConfig, Simulation
from mas_sim.sim.view import Schedule, SchedulerView
from mas_sim.workload import Request, Workload
from policies.fcfs import FcfsH
from tests.sim.toy import EventLog, one_layer, toy_system, workload


def run(system, wl, *, policy=None, **config):  # type: ignore[no-untyped-def]
    log = EventLog()
    sim = Simulation(system, wl, policy or FcfsH(), EngineConfig(**config), observers=[log])
    sim.run()
    return log, sim


def test_two_contending_layers_finish_together_at_1500() -> None:
    # c = 1000, b = 12 each; D = 24 > B = 16 so both run at rate 16/24 = 2/3:
    # 1000 stall-free cycles take 1500 cycles.
    layer = one_layer("m", [1000, 1000], [12, 12])
    log, _ = run(toy_system(2, 16.0), workload([("m", 0, 10_000), ("m", 0, 10_000)], layer),
                 period=100_000)
    assert log.events == [
        (0, "start", 0, "l0", 0),
        (0, "start", 1, "l0", 1),
        (1500.0, "finish", 0, "l0", 0),
        (1500.0, "met", 0),
        (1500.0, "finish", 1, "l0", 1),
        (1500.0, "met", 1),
    ]


def test_staggered_start_changes_the_rate_mid_layer() -> None:
    # A runs alone at rate 1 on [0, 500): 500 cycles left. B starts at the tick at 500 on the
    # free SA; both then run at 2/3: A needs 750 more cycles (finish 1250), B has done
    # 750 * 2/3 = 500 by then and finishes its last 500 at rate 1 at 1750.
    layer = one_layer("m", [1000, 1000], [12, 12])
    log, _ = run(toy_system(2, 16.0), workload([("m", 0, 10_000), ("m", 500, 10_000)], layer),
                 period=500)
    assert log.events == [
        (0, "start", 0, "l0", 0),
        (500, "start", 1, "l0", 1),
        (1250.0, "finish", 0, "l0", 0),
        (1250.0, "met", 0),
        (1750.0, "finish", 1, "l0", 1),
        (1750.0, "met", 1),
    ]


def test_diamond_branches_run_in_parallel_on_two_sas() -> None:
    # a -> (b, c) -> d, no DRAM traffic. FCFS-H: a on SA0 (100 vs 1000); b finishes at 200 on
    # either SA and takes SA0 (first); c then finishes first on SA1 (200 vs 300); d on SA0.
    diamond = ModelProfile.build(
        "diamond", ["a", "b", "c", "d"], [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")],
        latency=[[100, 1000], [100, 100], [100, 100], [100, 1000]],
        bandwidth=np.zeros((4, 2)))
    log, _ = run(toy_system(2), workload([("diamond", 0, 10_000)], diamond), period=100_000)
    assert log.events == [
        (0, "start", 0, "a", 0),
        (100, "finish", 0, "a", 0),
        (100, "start", 0, "b", 0),
        (100, "start", 0, "c", 1),
        (200, "finish", 0, "b", 0),
        (200, "finish", 0, "c", 1),
        (200, "start", 0, "d", 0),
        (300, "finish", 0, "d", 0),
        (300, "met", 0),
    ]


def test_request_is_dropped_at_the_first_tick_after_its_deadline() -> None:
    # One SA. FCFS-H runs job 0 (1000 cycles) first; job 1 (deadline 500) waits. Ticks every
    # 400: at 400 the deadline has not passed; at 800 it has (500 < 800): job 1 is dropped.
    layer = one_layer("m", [1000], [0])
    log, sim = run(toy_system(1), workload([("m", 0, 5000), ("m", 0, 500)], layer),
                   period=400, skip_futile_ticks=False)
    assert log.events == [
        (0, "start", 0, "l0", 0),
        (800, "dropped", 1),
        (1000.0, "finish", 0, "l0", 0),
        (1000.0, "met", 0),
    ]
    assert sim.ticks == 3  # 0, 400, 800; then nothing is left to plan


def test_unstarted_subjob_returns_to_the_ready_queue_each_tick() -> None:
    # One SA busy with job 0 until 1000; job 1 is planned at 0, not started, and comes back to
    # the RQ at 400 and 800; it runs at 1000.
    layer = one_layer("m", [1000], [0])
    short = one_layer("s", [100], [0])
    wl = workload([("m", 0, 5000), ("s", 0, 5000)], layer, short)
    log, sim = run(toy_system(1), wl, period=400, skip_futile_ticks=False)
    assert log.views == [(0, ((0, 0), (1, 0))), (400, ((1, 0),)), (800, ((1, 0),))]
    assert (1000.0, "start", 1, "l0", 0) in log.events
    assert sim.decisions == 4
    # With futile-tick skipping the 400 tick needs no decision: the SA has 600 cycles of work
    # left, more than the 400 to the next tick, so nothing could start before it.
    log2, _ = run(toy_system(1), wl, period=400)
    assert log2.views == [(0, ((0, 0), (1, 0))), (800, ((1, 0),))]
    assert log2.events == log.events


def test_work_conserving_sa_runs_the_best_ready_subjob() -> None:
    # Job 0 is a chain x -> y; job 1 one layer z. All on SA0 (SA1 left idle by the policy);
    # priorities y > z > x. y is not ready, z outranks x: z runs first, then x, then y.
    chain = ModelProfile.build("chain", ["x", "y"], [("x", "y")], [[100, 100], [100, 100]],
                               np.zeros((2, 2)))
    single = one_layer("z", [100, 100], [0, 0])
    wl = workload([("chain", 0, 10_000), ("z", 0, 10_000)], chain, single)

    class Fixed:
        name = "fixed"

        def reset(self, system, seed=None):  # type: ignore[no-untyped-def]
            pass

        def schedule(self, view: SchedulerView) -> Schedule:
            # RQ order: job 0 (x, y), job 1 (z) -- same deadline, job id breaks the tie.
            prio = {(0, 0): 1.0, (0, 1): 3.0, (1, 0): 2.0}
            p = [prio[(j, k)] for j, k in zip(view.job_id.tolist(), view.layer_index.tolist(),
                                              strict=True)]
            return Schedule(np.array(p), np.zeros(view.size, dtype=np.int64))

    log, _ = run(toy_system(2), wl, policy=Fixed(), period=1000)
    starts = [(e[0], e[3]) for e in log.events if e[1] == "start"]
    assert starts == [(0, "l0"), (100, "x"), (200, "y")]


def test_strict_order_runs_the_head_when_it_becomes_ready() -> None:
    # x (SA1, long) -> y (SA0). On SA0 the order is y then z. Strict: SA0 waits for y (ready
    # at 500), runs y, then z. Work-conserving: SA0 runs z at 0 while y waits.
    chain = ModelProfile.build("chain", ["x", "y"], [("x", "y")], [[500, 500], [100, 100]],
                               np.zeros((2, 2)))
    single = one_layer("z", [100, 100], [0, 0])
    wl = workload([("chain", 0, 10_000), ("z", 0, 10_000)], chain, single)

    class Fixed:
        name = "fixed"

        def reset(self, system, seed=None):  # type: ignore[no-untyped-def]
            pass

        def schedule(self, view: SchedulerView) -> Schedule:
            plan = {(0, 0): (3.0, 1), (0, 1): (2.0, 0), (1, 0): (1.0, 0)}
            rows = [plan[(j, k)] for j, k in zip(view.job_id.tolist(),
                                                 view.layer_index.tolist(), strict=True)]
            return Schedule(np.array([p for p, _ in rows]),
                            np.array([s for _, s in rows], dtype=np.int64))

    strict, _ = run(toy_system(2), wl, policy=Fixed(), period=100_000, work_conserving=False)
    assert [(e[0], e[3], e[4]) for e in strict.events if e[1] == "start"] == [
        (0, "x", 1), (500, "y", 0), (600, "l0", 0)]
    eager, _ = run(toy_system(2), wl, policy=Fixed(), period=100_000)
    assert [(e[0], e[3], e[4]) for e in eager.events if e[1] == "start"] == [
        (0, "l0", 0), (0, "x", 1), (500, "y", 0)]  # SAs wake in index order


@pytest.mark.parametrize("origin", [1e10, 1e13])
def test_time_keeps_advancing_far_from_zero(origin: float) -> None:
    # Far from zero one ulp of time is ~2e-6 (1e10) or ~2e-3 (1e13) cycles: a layer shorter
    # than that, or contention-stretched durations that do not land on representable times,
    # must still complete, and the run must end.
    tiny = ModelProfile.build("tiny", ["a", "b"], [("a", "b")],
                              [[1e-4, 1e-4], [1000.3, 1000.3]], [[12, 12], [12, 12]])
    wl = workload([("tiny", origin, origin + 1e6), ("tiny", origin, origin + 1e6)], tiny)
    log, _ = run(toy_system(2, 16.0), wl, period=100_000)
    ends = [e for e in log.events if e[1] == "met"]
    assert len(ends) == 2
    # Both layers of both requests run side by side at rate 2/3: 1.5 x (1e-4 + 1000.3) cycles.
    assert ends[-1][0] == pytest.approx(origin + 1.5 * (1e-4 + 1000.3),
                                        abs=origin * 1e-15 + 1e-6)


def test_external_driver_sees_the_same_views_as_a_policy() -> None:
    layer = one_layer("m", [1000, 1000], [12, 12])
    wl_args = ([("m", 0, 10_000), ("m", 300, 10_000), ("m", 700, 10_000)], layer)
    log, _ = run(toy_system(2), workload(*wl_args), period=250)
    ext_log = EventLog()
    sim = Simulation(toy_system(2), workload(*wl_args), None, EngineConfig(period=250),
                     observers=[ext_log])
    policy = FcfsH()
    while (view := sim.next_decision()) is not None:
        sim.submit(policy.schedule(view))
    assert ext_log.events == log.events
    assert ext_log.views == log.views


def test_requests_must_come_sorted_by_arrival() -> None:
    layer = one_layer("m", [10], [0])
    wl = Workload([Request(0, "m", 100, 200), Request(1, "m", 50, 200)], {"m": layer},
                  {"m": 10.0})
    with pytest.raises(Exception, match="sorted by arrival"):
        run(toy_system(1), wl)


def test_a_deadlocked_strict_schedule_is_reported_not_looped_forever() -> None:
    # Strict order, y (needs x) ahead of x on the only SA, no firm deadlines: nothing can ever
    # start. The engine must say so instead of ticking forever.
    chain = ModelProfile.build("chain", ["x", "y"], [("x", "y")], [[10], [10]], [[0], [0]])

    class Backwards:
        name = "backwards"

        def reset(self, system, seed=None):  # type: ignore[no-untyped-def]
            pass

        def schedule(self, view: SchedulerView) -> Schedule:
            return Schedule(view.layer_index.astype(float), np.zeros(view.size, dtype=np.int64))

    with pytest.raises(PolicyError, match="deadlock"):
        run(toy_system(1), workload([("chain", 0, 100)], chain), policy=Backwards(),
            period=10, work_conserving=False, drop_expired=False)
