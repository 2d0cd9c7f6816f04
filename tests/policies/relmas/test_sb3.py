"""The Stable-Baselines3 cross-check at a tiny size: it trains, evaluates like DDPG, stops."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mas_sim.core.errors import ConfigError
from policies.relmas.config import TrainConfig
from policies.relmas.ddpg import DDPGConfig
from policies.relmas.history import read_history
from tests.policies.relmas.relmas_scenarios import PERIOD, random_workload, tiny_system

pytest.importorskip("stable_baselines3")

from policies.relmas.sb3 import EnvPolicy, make_env, train_sb3


def _scenario(seed: int, requests: int):  # type: ignore[no-untyped-def]
    return random_workload(seed, requests)


def _config(**changes: object) -> TrainConfig:
    base: dict[str, object] = dict(hidden=16, episodes=3, requests=6, eval_seeds=(0, 1),
                                   eval_requests=6, period=PERIOD,
                                   ddpg=DDPGConfig(max_rq=8))
    base.update(changes)
    return TrainConfig(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize("algorithm", ["ppo", "td3"])
def test_an_sb3_algorithm_trains_on_the_env_and_is_evaluated_like_ddpg(
        tmp_path: Path, algorithm: str) -> None:
    kwargs = {"n_steps": 16, "batch_size": 16} if algorithm == "ppo" else {"learning_starts": 8}
    out = tmp_path / "sb3.csv"
    result = train_sb3(algorithm, _config(), system=tiny_system(), scenario=_scenario,
                       eval_every_steps=16, out=out, algo_kwargs=kwargs)
    rows = read_history(out)
    assert len(rows) == len(result.history) >= 2
    assert all(0.0 <= r["eval_sla"] <= 1.0 for r in rows)
    assert [r["steps"] for r in rows] == sorted(r["steps"] for r in rows)
    assert rows[-1]["episode"] == 4.0  # stopped when a fourth episode began (budget 3)
    assert result.best_eval_sla == max(r["eval_sla"] for r in rows)


def test_the_env_policy_decides_as_the_env_steps() -> None:
    env = make_env(_config(), tiny_system(), _scenario)
    obs, _ = env.reset(seed=0)
    view = env.unwrapped._episode.view
    action = np.linspace(-1, 1, 8 * 3, dtype=np.float32).reshape(8, 3)
    policy = EnvPolicy(env.unwrapped, lambda o: action)
    np.testing.assert_array_equal(env.unwrapped.observe(view)["rq"], obs["rq"])
    schedule = policy.schedule(view)
    assert schedule.sa.tolist() == np.argmax(action[:view.size, 1:], axis=1).tolist()[:view.size]


def test_an_unknown_algorithm_is_named() -> None:
    with pytest.raises(ConfigError, match=r"unknown SB3 algorithm 'dqn' \(known: ppo, sac, td3\)"):
        train_sb3("dqn", _config(), system=tiny_system(), scenario=_scenario)

