"""The Gymnasium environment: env_checker without warnings, registration, steps, clipping."""

from __future__ import annotations

import importlib
import sys
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from mas_sim.core.errors import ConfigError, MissingExtraError
from mas_sim.sim.forecast import forecast
from policies.relmas.env import ENV_ID, SchedulingEnv
from policies.relmas.reward import tick_reward
from tests.policies.relmas.relmas_scenarios import PERIOD, random_workload, tiny_system


def _env(max_rq: int = 8, requests: int = 6) -> SchedulingEnv:
    return SchedulingEnv(tiny_system(), max_rq=max_rq, period=PERIOD,
                         scenario=lambda seed: random_workload(seed, requests))


def test_check_env_passes_without_any_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(_env(), skip_render_check=True)


def test_registered_id_makes_the_env() -> None:
    env = gym.make(ENV_ID, system=tiny_system(), max_rq=4, period=PERIOD,
                   scenario=lambda seed: random_workload(seed, 3), disable_env_checker=True)
    obs, _ = env.reset(seed=1)
    assert obs["rq"].shape == (5, 8) and obs["mask"].shape == (5,)
    assert env.action_space.shape == (4, 3)


def test_an_episode_runs_to_termination_with_the_relmas_reward() -> None:
    env = _env()
    obs, info = env.reset(seed=3)
    assert obs["mask"][0] == 1 and obs["mask"].sum() == 1 + min(info["rq_size"], 8)
    total, steps, terminated = 0.0, 0, False
    while not terminated:
        ep = env._episode
        assert ep is not None and ep.view is not None
        view = ep.view
        action = np.zeros((8, 3), dtype=np.float32)
        action[:, 0] = -np.arange(8) / 8  # deadline order
        action[:, 2] = 1.0  # everything on SA 1
        obs, reward, terminated, truncated, info = env.step(action)
        from mas_sim.sim.view import Schedule

        k = min(view.size, 8)
        prio = np.concatenate([-np.arange(k) / 8, -2.0 - np.arange(view.size - k)])
        sas = np.concatenate([np.ones(k, np.int64), np.argmin(view.latency[k:], axis=1)])
        expected = tick_reward(view, forecast(view, Schedule(prio.astype(np.float64), sas)))
        assert reward == pytest.approx(expected, rel=1e-6, abs=1e-9)
        assert not truncated
        if not terminated:
            assert info["residual_rq"].shape[1] == 8
        total += reward
        steps += 1
    assert steps > 2
    assert info["met"] + info["missed"] + info["dropped"] == 6
    assert obs["mask"].sum() == 0


def test_reset_with_a_seed_is_reproducible() -> None:
    env = _env()
    a, _ = env.reset(seed=7)
    b, _ = env.reset(seed=7)
    c, _ = env.reset(seed=8)
    np.testing.assert_array_equal(a["rq"], b["rq"])
    assert not np.array_equal(a["rq"], c["rq"]) or not np.array_equal(a["mask"], c["mask"])


def test_long_rq_is_clipped_not_truncated() -> None:
    env = _env(max_rq=2, requests=12)
    obs, info = env.reset(seed=0)
    while info["rq_size"] <= 2:
        obs, _, terminated, truncated, info = env.step(env.action_space.sample())
        assert not terminated and not truncated
    assert obs["mask"].sum() == 3 and obs["rq"].shape == (3, 8)


def test_bad_action_and_step_before_reset_are_refused() -> None:
    env = _env()
    with pytest.raises(ConfigError, match="before reset"):
        env.step(np.zeros((8, 3), np.float32))
    env.reset(seed=0)
    with pytest.raises(ConfigError, match=r"action has shape \(3, 8\), expected \(8, 3\)"):
        env.step(np.zeros((3, 8), np.float32))
    with pytest.raises(ConfigError, match="max_rq = 0"):
        SchedulingEnv(tiny_system(), max_rq=0, scenario=lambda s: random_workload(s, 1))


def test_missing_gymnasium_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gymnasium", None)
    monkeypatch.delitem(sys.modules, "policies.relmas.env")
    with pytest.raises(MissingExtraError, match=r"mas-sim\[rl\]"):
        importlib.import_module("policies.relmas.env")
