"""Batched execution (:mod:`mas_sim.sim.batching`): exact traces on tiny systems worked out by
hand, member outcomes, concurrency caps, identity with the plain engine, decision checks."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from mas_sim.core.errors import PolicyError
from mas_sim.hardware import SystemSpec
from mas_sim.hardware.profile import ModelProfile
from mas_sim.runs.simulate import simulate
from mas_sim.sim.batching import BatchDecision, BatchingSimulation, BatchView
from mas_sim.sim.engine import EngineConfig
from mas_sim.workload import Workload
from policies.batching.rules import FixedBatch
from policies.fcfs import FcfsH
from tests.sim.toy import EventLog, one_layer, toy_system, workload

#: One-layer model "m": a batch of b takes LATENCY[b] cycles on every SA, no DRAM traffic.
LATENCY = {1: 1000.0, 2: 1500.0, 3: 1800.0}


def m_profiles(sas: int) -> Callable[[str, int], ModelProfile]:
    def batch(model: str, b: int) -> ModelProfile:
        return one_layer(model, [LATENCY[b]] * sas, [0.0] * sas)
    return batch


class Scripted:
    """Closes the batches (sizes of model 0) scripted for each tick time; optional caps."""

    name = "scripted"

    def __init__(self, script: dict[float, tuple[int, ...]],
                 instances: tuple[int, ...] | None = None) -> None:
        self.script = script
        self.instances = instances
        self.views: list[BatchView] = []

    def reset(self, system: SystemSpec, models: tuple[str, ...], seed: int | None = None) -> None:
        self.views = []

    def decide(self, view: BatchView) -> BatchDecision:
        self.views.append(view)
        return BatchDecision((self.script.get(view.now, ()),), self.instances)


def run(system: SystemSpec, wl: Workload, batching: object, period: float,
        ) -> tuple[EventLog, BatchingSimulation]:
    log = EventLog()
    sim = BatchingSimulation(system, wl, FcfsH(), batching,  # type: ignore[arg-type]
                             m_profiles(system.num_sas), EngineConfig(period=period),
                             observers=[log])
    sim.run()
    return log, sim


def test_a_batch_runs_as_one_job_and_its_members_end_together() -> None:
    # One SA, period 200. r0 (t=0) and r1 (t=100) are closed into a batch of 2 at the tick at
    # 200 (1,500 cycles: 200 -> 1,700); r2 (t=150, deadline 2,600) into a batch of 1 that waits
    # for the SA and runs 1,700 -> 2,700: late.
    m = one_layer("m", [1000.0], [0.0])
    wl = workload([("m", 0, 10_000), ("m", 100, 10_000), ("m", 150, 2_600)], m)
    log, sim = run(toy_system(1), wl, Scripted({200: (2, 1)}), 200)
    assert log.events == [
        (200, "start", 0, "l0", 0),
        (1700.0, "finish", 0, "l0", 0),
        (1700.0, "met", 0),
        (1700.0, "met", 1),
        (1700.0, "start", 2, "l0", 0),
        (2700.0, "finish", 2, "l0", 0),
        (2700.0, "missed", 2),
    ]
    assert sim.batches == 2


def test_a_member_past_its_deadline_is_dropped_from_the_batch_at_a_tick() -> None:
    # One SA, period 500. Batch {r0, r1} runs 0 -> 1,500. Batch {r2, r3} (deadline 1,200 from
    # r2) is closed at 500 and waits. At the tick at 1,500 (before the completion at 1,500) r2
    # is past its deadline: dropped; r3 stays, and the batch (still of size 2: 1,500 cycles)
    # runs 1,500 -> 3,000 under its own id 2.
    m = one_layer("m", [1000.0], [0.0])
    wl = workload([("m", 0, 20_000), ("m", 0, 20_000), ("m", 100, 1_200), ("m", 100, 20_000)],
                  m)
    log, _ = run(toy_system(1), wl, Scripted({0: (2,), 500: (2,)}), 500)
    assert log.events == [
        (0, "start", 0, "l0", 0),
        (1500, "dropped", 2),
        (1500.0, "finish", 0, "l0", 0),
        (1500.0, "met", 0),
        (1500.0, "met", 1),
        (1500.0, "start", 2, "l0", 0),
        (3000.0, "finish", 2, "l0", 0),
        (3000.0, "met", 3),
    ]


def test_a_batch_whose_members_all_expire_is_dropped_and_a_queued_request_too() -> None:
    # One SA busy 0 -> 1,000 with r0. {r1, r2} (deadlines 600 and 700) is closed at 0 and never
    # starts: both members are dropped at the tick at 800, with the batch's unstarted layer. r3
    # (deadline 300) is never closed: it leaves its queue dropped at the tick at 400.
    m = one_layer("m", [1000.0], [0.0])
    wl = workload([("m", 0, 5_000), ("m", 0, 600), ("m", 0, 700), ("m", 0, 300)], m)
    log, sim = run(toy_system(1), wl, Scripted({0: (1, 2)}), 400)
    assert log.events == [
        (0, "start", 0, "l0", 0),
        (400, "dropped", 3),
        (800, "dropped", 1),
        (800, "dropped", 2),
        (1000.0, "finish", 0, "l0", 0),
        (1000.0, "met", 0),
    ]
    assert sim.batches == 2


def test_concurrency_cap_holds_a_models_second_batch_back() -> None:
    # Two SAs, two batches of 1 closed at 0. With one instance the second waits for the first
    # (it starts when the first finishes, on the SA FCFS-H gave it); with two both start at 0.
    m = one_layer("m", [1000.0, 1000.0], [0.0, 0.0])
    wl = workload([("m", 0, 10_000), ("m", 0, 10_000)], m)
    log, _ = run(toy_system(2), wl, Scripted({0: (1, 1)}, instances=(1,)), 400)
    starts = [(t, job, sa) for t, kind, job, *rest in log.events if kind == "start"
              for sa in rest[1:]]
    assert starts == [(0, 0, 0), (1000.0, 1, 1)]
    log, _ = run(toy_system(2), wl, Scripted({0: (1, 1)}, instances=(2,)), 400)
    starts = [(t, job, sa) for t, kind, job, *rest in log.events if kind == "start"
              for sa in rest[1:]]
    assert starts == [(0, 0, 0), (0, 1, 1)]


def test_the_policy_sees_the_queues_and_the_batches_that_ended() -> None:
    m = one_layer("m", [1000.0], [0.0])
    wl = workload([("m", 0, 10_000), ("m", 100, 10_000), ("m", 150, 20_000)], m)
    script = Scripted({200: (2,), 1800: (1,)})
    run(toy_system(1), wl, script, 200)
    first = script.views[0]
    assert first.now == 0 and first.queue_arrival[0].tolist() == [0.0]
    at_200 = script.views[1]
    assert at_200.queue_arrival[0].tolist() == [0.0, 100.0, 150.0]
    assert at_200.arrived.tolist() == [2]
    assert at_200.batch_latency(0, 2) == 1500.0
    ended = [v for v in script.views if v.finished]
    assert ended[0].now == 1800 and ended[0].finished[0].met == 2
    assert ended[0].finished[0].max_latency == 1700.0


def test_batches_of_one_closed_at_once_give_the_plain_engines_trace() -> None:
    # fixed-1 closes every request into its own batch at the tick it arrives: the same jobs,
    # ids, deadlines and costs as the plain engine, hence the same schedule.
    from mas_sim.workload.scenario import Scenario, build_workload

    system = SystemSpec.paper()
    wl = build_workload(system, Scenario(workload="light", requests=25, seed=3))
    plain = simulate(system, wl, "edf-h", seed=3)
    batched = simulate(system, wl, "edf-h", seed=3, batching=FixedBatch(batch=1))
    columns = list(plain.subjobs.columns)
    pd.testing.assert_frame_equal(batched.subjobs[columns], plain.subjobs)
    pd.testing.assert_frame_equal(batched.jobs[list(plain.jobs.columns)], plain.jobs)
    assert (batched.jobs["batch_size"] == 1).all()
    # The trace names the requests each sub-job served: its own, none once it was dropped.
    status = batched.jobs.set_index("job_id")["status"]
    for job_id, members in zip(batched.subjobs["job_id"], batched.subjobs["members"],
                               strict=True):
        assert members == str(job_id) or (members == "" and status[job_id] == "dropped")


def test_batching_none_is_the_plain_engine_plus_serving_metrics() -> None:
    from mas_sim.workload.scenario import Scenario, build_workload

    system = SystemSpec.paper()
    wl = build_workload(system, Scenario(workload="light", requests=15, seed=4))
    plain = simulate(system, wl, "edf-h", seed=4)
    none = simulate(system, wl, "edf-h", seed=4, batching="none")
    pd.testing.assert_frame_equal(none.subjobs, plain.subjobs)
    pd.testing.assert_frame_equal(none.jobs, plain.jobs)
    assert "utility" in none.summary and "utility" not in plain.summary
    assert none.summary["mean_batch_size"] == 1.0


def test_every_request_ends_exactly_once_in_a_batched_run() -> None:
    from mas_sim.workload.scenario import Scenario, build_workload

    system = SystemSpec.paper()
    wl = build_workload(system, Scenario(workload="mixed", requests=40, seed=5, load=1.5))
    result = simulate(system, wl, "edf-h", seed=5, batching="clipper", trace=True)
    jobs = result.jobs
    assert sorted(jobs["job_id"]) == list(range(40))
    assert set(jobs["status"]) <= {"met", "missed", "dropped"}
    served = jobs[jobs["batch_id"] >= 0]
    assert (served.groupby("batch_id")["model"].nunique() == 1).all()
    assert (served.groupby("batch_id").size() <= served.groupby("batch_id")["batch_size"].first()
            ).all()
    assert result.summary["met"] + result.summary["missed"] + result.summary["dropped"] == 40
    # no SA runs two sub-jobs at once
    for _, rows in result.subjobs.groupby("sa"):
        rows = rows.sort_values("start")
        assert np.all(rows["start"].to_numpy()[1:] >= rows["finish"].to_numpy()[:-1])


def _view(queue: int = 3) -> BatchView:
    return BatchView(
        now=0.0, period=100.0, model_names=("m",),
        queue_arrival=(np.zeros(queue),), queue_deadline=(np.full(queue, 1e6),),
        arrived=np.array([queue]), live_batches=np.zeros(1, dtype=np.int64),
        running=np.zeros(1, dtype=np.int64), instances=np.array([2]),
        isolated_latency=np.array([1000.0]), finished=(), sa_busy_for=np.zeros(2),
        running_bandwidth=np.zeros(2), dram_bandwidth=16.0, rq_work=0.0,
        batch_latency=lambda k, b: 1000.0 * b)


@pytest.mark.parametrize(("decision", "message"), [
    ("close all", "expected a BatchDecision"),
    (BatchDecision(((), ())), "close has 2 entries, expected 1"),
    (BatchDecision(((0,),)), "batch size 0 for 'm', expected an integer in 1..32"),
    (BatchDecision(((33,),)), "batch size 33 for 'm', expected an integer in 1..32"),
    (BatchDecision(((2, 2),)), "take 4 requests, 3 are waiting"),
    (BatchDecision(((1,),), (0,)), "concurrency 0, expected an integer in 1..2"),
    (BatchDecision(((1,),), (3,)), "concurrency 3, expected an integer in 1..2"),
])
def test_invalid_decisions_are_refused(decision: object, message: str) -> None:
    from mas_sim.sim.batching import check_decision

    with pytest.raises(PolicyError, match="batching policy 'p' returned an invalid decision"):
        check_decision(decision, _view(), "p")
    with pytest.raises(PolicyError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_decision(decision, _view(), "p")
