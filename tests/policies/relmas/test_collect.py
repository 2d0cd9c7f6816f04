"""Rollout workers: the transitions depend on the weights and the seeds, not on the workers."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from policies.relmas.collect import (
    EpisodeExperience,
    ProcessCollector,
    RayCollector,
    RolloutSpec,
    SerialCollector,
)
from policies.relmas.config import TrainConfig
from policies.relmas.ddpg import DDPGConfig
from policies.relmas.encoding import Normalisation, num_actions, num_features
from policies.relmas.networks import Actor
from policies.relmas.train import train
from tests.policies.relmas.relmas_scenarios import (
    PERIOD,
    random_workload,
    tiny_profiles,
    tiny_system,
)


def _scenario(seed: int, requests: int):  # type: ignore[no-untyped-def]
    return random_workload(seed, requests)


def _spec() -> RolloutSpec:
    norm = Normalisation.for_profiles(tiny_profiles(), time_unit=PERIOD, dram_bandwidth=16.0)
    return RolloutSpec(tiny_system(), _scenario, norm, PERIOD, hidden=16, max_rq=8, requests=8,
                       seed=3, noise=0.3)


def _weights() -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    return Actor(num_features(2), num_actions(2), 16).state_dict()


def _same(a: list[EpisodeExperience], b: list[EpisodeExperience]) -> None:
    assert [e.episode for e in a] == [e.episode for e in b]
    for x, y in zip(a, b, strict=True):
        assert (x.reward, x.met, len(x.transitions)) == (y.reward, y.met, len(y.transitions))
        for s, t in zip(x.transitions, y.transitions, strict=True):
            np.testing.assert_array_equal(s.state, t.state)
            np.testing.assert_array_equal(s.action, t.action)
            np.testing.assert_array_equal(s.next_state, t.next_state)
            assert (s.reward, s.done) == (t.reward, t.done)


def test_two_worker_processes_give_the_transitions_of_one_worker() -> None:
    episodes = [0, 1, 2, 5]
    serial = SerialCollector(_spec())
    one = serial.result(serial.submit(_weights(), episodes))
    assert all(e.transitions for e in one) and one[0].transitions[-1].done
    two = ProcessCollector(_spec(), 2)
    try:
        _same(one, two.result(two.submit(_weights(), episodes)))
    finally:
        two.close()
    # Different episodes, or different weights, give different experience.
    other = serial.result(serial.submit(_weights(), [3]))[0]
    assert other.reward != one[0].reward


def test_ray_actors_give_the_transitions_of_one_worker() -> None:
    pytest.importorskip("ray")
    serial = SerialCollector(_spec())
    one = serial.result(serial.submit(_weights(), [0, 1]))
    ray = RayCollector(_spec(), 2)
    try:
        _same(one, ray.result(ray.submit(_weights(), [0, 1])))
    finally:
        ray.close()


def _config(out: Path, workers: int) -> TrainConfig:
    return TrainConfig(hidden=16, episodes=4, requests=10, eval_seeds=(0,), eval_requests=8,
                       eval_every=2, out=str(out), period=PERIOD, workers=workers,
                       episodes_per_round=2,
                       ddpg=DDPGConfig(batch_size=8, learning_starts=8, max_rq=16))


def test_a_training_with_two_workers_equals_one_with_one(tmp_path: Path) -> None:
    results = [train(_config(tmp_path / f"w{w}.pt", w), system=tiny_system(), scenario=_scenario,
                     progress=False) for w in (1, 2)]
    timing = {"wall_s", "learn_s", "eval_s", "rollout_s", "env_s"}
    rows = [[{k: v for k, v in r.items() if k not in timing} for r in res.history]
            for res in results]
    np.testing.assert_equal(rows[0], rows[1])
    assert rows[0][-1]["updates"] > 0 and not math.isnan(rows[0][-1]["critic_loss"])
    assert results[0].history[-1]["env_s"] > 0
    weights = [torch.load(tmp_path / f"w{w}.pt", weights_only=True)["actor"] for w in (1, 2)]
    for key, value in weights[0].items():
        assert torch.equal(value, weights[1][key]), key
