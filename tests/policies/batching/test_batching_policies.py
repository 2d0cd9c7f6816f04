"""The batching policies: the rules on hand-made views, BCEdge's action mapping, the
interference predictor, the Gymnasium environment (check_env) and the registry."""

from __future__ import annotations

import numpy as np
import pytest

from mas_sim.core.errors import ConfigError, PolicyError
from mas_sim.hardware import SystemSpec
from mas_sim.sim.batching import BatchOutcome, BatchView
from policies import batching
from policies.batching.bcedge import decode_action, encode_state, state_size
from policies.batching.rules import Clipper, FixedBatch, Timeout


def view(queue: list[float], *, deadline: float = 1e9, now: float = 1000.0,
         finished: tuple[BatchOutcome, ...] = (), live: int = 0) -> BatchView:
    n = len(queue)
    return BatchView(
        now=now, period=100.0, model_names=("m",),
        queue_arrival=(np.array(queue, dtype=float),), queue_deadline=(np.full(n, deadline),),
        arrived=np.array([n]), live_batches=np.array([live]), running=np.zeros(1, np.int64),
        instances=np.array([6]), isolated_latency=np.array([1000.0]), finished=finished,
        sa_busy_for=np.zeros(6), running_bandwidth=np.zeros(6), dram_bandwidth=16.0,
        rq_work=0.0, batch_latency=lambda k, b: 1000.0 * b)


def outcome(ok: bool) -> BatchOutcome:
    return BatchOutcome(0, 2, 0.0, 10.0, 2 if ok else 1, 0 if ok else 1, 0, 10.0)


def test_fixed_batch_closes_full_batches_and_a_rest_that_cannot_wait() -> None:
    policy = FixedBatch(batch=4)
    policy.reset(SystemSpec.paper(), ("m",))
    assert policy.decide(view([0.0] * 9)).close == ((4, 4),)
    # the 9th request: deadline 5,000; waiting one period (100) then a batch of 2 (itself and
    # one more arrival) taking 2 x 2,000 cycles ends at 1,000 + 100 + 4,000 = 5,100 > 5,000:
    # it goes now, alone
    assert policy.decide(view([0.0] * 9, deadline=5_000.0)).close == ((4, 4, 1),)
    assert policy.decide(view([0.0] * 9, deadline=5_200.0)).close == ((4, 4),)


def test_timeout_closes_after_a_share_of_the_slack() -> None:
    # slack at arrival = deadline - arrival - isolated latency = 5,000 - 0 - 1,000 = 4,000;
    # a quarter of it (1,000) has passed at now = 1,000: close the 3 waiting.
    policy = Timeout(batch=8, delay_fraction=0.25)
    policy.reset(SystemSpec.paper(), ("m",))
    assert policy.decide(view([0.0] * 3, deadline=5_000.0, now=1_000.0)).close == ((3,),)
    assert policy.decide(view([0.0] * 3, deadline=5_000.0, now=900.0)).close == ((),)
    assert policy.decide(view([0.0] * 17, now=0.0)).close == ((8, 8),)


def test_clipper_is_aimd_and_dispatches_when_its_model_is_free() -> None:
    policy = Clipper()
    policy.reset(SystemSpec.paper(), ("m",))
    assert policy.decide(view([0.0] * 5)).close == ((1,),)
    for _ in range(3):
        policy.decide(view([], finished=(outcome(True),)))
    assert policy.sizes == [4.0]
    assert policy.decide(view([0.0] * 5)).close == ((4,),)
    assert policy.decide(view([0.0] * 5, live=1)).close == ((),)  # its batch is in flight
    policy.decide(view([], finished=(outcome(False),)))
    assert policy.sizes == [pytest.approx(3.6)]
    assert policy.decide(view([0.0] * 5)).close == ((3,),)


def test_registry_names_and_errors() -> None:
    assert batching.make("none") is None
    assert batching.make("fixed-8").name == "fixed-8"  # type: ignore[union-attr]
    assert {"none", "fixed-2", "fixed-16", "timeout", "clipper", "bcedge"} <= set(
        batching.available())
    with pytest.raises(PolicyError, match="unknown batching policy 'x'"):
        batching.make("x")
    with pytest.raises(ConfigError, match="batch size of 'fixed-33' = 33"):
        batching.make("fixed-33")
    with pytest.raises(ConfigError, match="delay_fraction"):
        batching.make("timeout", delay_fraction=2.0)
    with pytest.raises(ConfigError, match="concurrency = 0"):
        FixedBatch(batch=2, instances=0).reset(SystemSpec.paper(), ("m",))


def test_bcedge_actions_cover_every_size_and_concurrency() -> None:
    sizes, caps = decode_action([-1, 1, -1, 1], 2, 6, 16)
    assert sizes == [1, 16] and caps == [1, 6]
    sizes, caps = decode_action([0, 0, 0, 0], 2, 6, 16)
    assert sizes == [4, 4] and caps == [3, 3]  # 16 ** 0.5 = 4, 1 + rint(2.5) = 3
    sizes, _ = decode_action([-0.5, 0.5, 0, 0], 2, 6, 16)
    assert sizes == [2, 8]
    with pytest.raises(ConfigError, match="action has 3 values, expected 4"):
        decode_action([0, 0, 0], 2, 6)


def test_bcedge_state_is_in_the_unit_box() -> None:
    v = view([0.0] * 40, deadline=5_000.0)
    x = encode_state(v, np.array([3.0]), np.array([4_000.0]), 1e6)
    assert x.shape == (state_size(1),) and x.dtype == np.float32
    assert np.all((x >= 0) & (x <= 1))


def test_the_environment_passes_check_env() -> None:
    pytest.importorskip("gymnasium")
    from gymnasium.utils.env_checker import check_env

    from policies.batching.env import BatchingEnv

    env = BatchingEnv(workload="light", requests=12)
    check_env(env, skip_render_check=True)
    obs, info = env.reset(seed=3)
    assert env.observation_space.contains(obs) and info["load"] in env.loads
    total, done, steps = 0.0, False, 0
    while not done:
        obs, reward, done, truncated, _ = env.step(env.action_space.sample())
        total += reward
        steps += 1
        assert not truncated
    assert steps > 1


def test_predictor_learns_the_slowdown_of_recorded_batches() -> None:
    from mas_sim.hardware.costmodel import batch_profiles
    from mas_sim.sim.batching import BatchingSimulation
    from mas_sim.sim.engine import EngineConfig
    from mas_sim.workload.scenario import Scenario, build_workload
    from policies.batching.predictor import Recorder, errors, fit
    from policies.deadline import EdfH

    system = SystemSpec.paper()
    wl = build_workload(system, Scenario(workload="light", requests=80, seed=9, load=1.5))
    recorder = Recorder(batching.make("clipper"))
    recorder.reset(system, tuple(sorted(wl.profiles)), 0)
    BatchingSimulation(system, wl, EdfH(), recorder,  # type: ignore[arg-type]
                       batch_profiles(system), EngineConfig()).run()
    samples = recorder.samples()
    assert len(samples.y) >= 10 and np.all(samples.y > -1e-9)  # never faster than alone
    net = fit(samples, epochs=300)
    err = errors(net, samples)
    assert err["median_rel_error"] < err["isolated_median_rel_error"]
