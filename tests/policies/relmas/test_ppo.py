"""PPO on RELMAS's actor (beyond the paper): sampling, advantages, and the training loop."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from mas_sim.core.errors import ConfigError
from policies.relmas.checkpoint import load_checkpoint
from policies.relmas.config import TrainConfig
from policies.relmas.ddpg import DDPGConfig
from policies.relmas.policy import Relmas
from policies.relmas.ppo import PPOConfig, _log_probs, acting_rows, gae, sample
from policies.relmas.reward import RewardConfig
from policies.relmas.train import train
from tests.policies.policy_views import make_view
from tests.policies.relmas.relmas_scenarios import PERIOD, random_workload, tiny_system


def test_acting_rows_are_the_sjs_without_a_predecessor_in_the_rq() -> None:
    view = make_view(np.ones((5, 2)), preds=[(), (0,), (), (2,), (1, 3)])
    assert acting_rows(view, 5).tolist() == [0, 2]
    assert acting_rows(view, 1).tolist() == [0]  # only the encoded rows


def test_sampling_acts_only_on_the_acting_rows_with_the_log_probs_of_the_policy() -> None:
    rng = np.random.default_rng(0)
    out = rng.uniform(-1, 1, size=(6, 4))
    rows = np.array([1, 4])
    priority, sa, logp = sample(out, rows, 3.0, math.log(0.2), rng)
    others = [0, 2, 3, 5]
    np.testing.assert_array_equal(priority[others], out[others, 0])
    np.testing.assert_array_equal(sa[others], out[others, 1:].argmax(1))
    expected, _ = _log_probs(torch.tensor(out[rows], dtype=torch.float64),
                             torch.from_numpy(sa[rows]), torch.from_numpy(priority[rows]), 3.0,
                             torch.tensor(math.log(0.2), dtype=torch.float64))
    np.testing.assert_allclose(logp, expected.numpy(), rtol=1e-9)
    # The SAs follow softmax(3 x scores).
    draws = np.array([sample(out, rows, 3.0, 0.0, rng)[1][1] for _ in range(4000)])
    p = np.exp(3.0 * out[1, 1:]) / np.exp(3.0 * out[1, 1:]).sum()
    np.testing.assert_allclose(np.bincount(draws, minlength=3) / 4000, p, atol=0.03)


def test_gae_by_hand() -> None:
    # Two episodes: ticks 0-1 (done at 1), tick 2 (done). discount 0.5, lambda 1: returns.
    rewards = np.array([1.0, 2.0, 3.0])
    values = np.array([0.5, 1.0, 2.0])
    adv, returns = gae(rewards, values, np.array([False, True, True]), 0.5, 1.0)
    np.testing.assert_allclose(returns, [1.0 + 0.5 * 2.0, 2.0, 3.0])
    np.testing.assert_allclose(adv, returns - values)
    # lambda 0: one-step TD errors.
    adv, _ = gae(rewards, values, np.array([False, True, True]), 0.5, 0.0)
    np.testing.assert_allclose(adv, [1.0 + 0.5 * 1.0 - 0.5, 2.0 - 1.0, 3.0 - 2.0])


@pytest.mark.parametrize(("changes", "match"), [
    ({"epochs": 0}, "ppo epochs = 0"), ({"gae_lambda": 1.5}, "ppo gae_lambda = 1.5"),
    ({"sa_temperature": 0.0}, "ppo sa_temperature = 0.0"),
    ({"ref_coef": -1.0}, "ppo ref_coef = -1.0")])
def test_bad_ppo_settings_are_refused(changes: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        PPOConfig(**changes)  # type: ignore[arg-type]


def _config(out: Path, workers: int, **changes: object) -> TrainConfig:
    base: dict[str, object] = dict(
        hidden=16, episodes=4, requests=10, eval_seeds=(0,), eval_requests=8, eval_every=2,
        out=str(out), period=PERIOD, workers=workers, episodes_per_round=2,
        learner="relmas-ppo", ddpg=DDPGConfig(max_rq=16), ppo=PPOConfig(minibatch=16),
        reward=RewardConfig(kind="outcome"))
    base.update(changes)
    return TrainConfig(**base)  # type: ignore[arg-type]


def _train(config: TrainConfig):  # type: ignore[no-untyped-def]
    return train(config, system=tiny_system(), scenario=lambda s, n: random_workload(s, n),
                 progress=False)


def test_ppo_training_with_two_workers_equals_one_in_this_process_and_deploys(
        tmp_path: Path) -> None:
    results = [_train(_config(tmp_path / f"w{w}.pt", w)) for w in (0, 2)]
    timing = {"wall_s", "learn_s", "eval_s", "rollout_s", "env_s"}
    rows = [[{k: v for k, v in r.items() if k not in timing} for r in res.history]
            for res in results]
    np.testing.assert_equal(rows[0], rows[1])
    assert [r["updates"] for r in rows[0]] == [1.0, 1.0, 2.0, 2.0]  # one update per round
    assert not math.isnan(rows[0][-1]["critic_loss"]) and rows[0][-1]["steps"] > 0
    weights = [load_checkpoint(tmp_path / f"w{w}.pt").actor for w in (0, 2)]
    for key, value in weights[0].items():
        assert torch.equal(value, weights[1][key]), key
    untrained = _train(_config(tmp_path / "none.pt", 0, episodes=1, eval_every=1))
    assert untrained.history[0]["updates"] == 1.0
    ckpt = load_checkpoint(tmp_path / "w0.pt")
    assert ckpt.config["learner"] == "relmas-ppo" and ckpt.training is not None
    assert "log_std" in ckpt.training["agent"]
    # The result deploys as any RELMAS checkpoint (priority = output 0, SA = argmax).
    from mas_sim.runs.simulate import simulate

    assert simulate(tiny_system(), random_workload(0, 8), Relmas(tmp_path / "w0.pt"),
                    period=PERIOD).jobs.shape[0] == 8


def test_ppo_from_a_checkpoint_keeps_it_as_the_reference_and_resumes(tmp_path: Path) -> None:
    start = tmp_path / "start.pt"
    _train(_config(start, 0, episodes=2, learner="ddpg"))
    run = tmp_path / "run.pt"
    result = _train(_config(run, 0, init=str(start), ppo=PPOConfig(minibatch=16, ref_coef=1.0)))
    assert len(result.history) == 4
    ckpt = load_checkpoint(run)
    assert ckpt.training is not None and "reference" in ckpt.training["agent"]
    initial = load_checkpoint(start).actor
    for key, value in ckpt.training["agent"]["reference"].items():
        assert torch.equal(value, initial[key]), key
    resumed = _train(_config(tmp_path / "more.pt", 0, episodes=6, resume=str(run),
                             ppo=PPOConfig(minibatch=16, ref_coef=1.0)))
    assert [r["episode"] for r in resumed.history] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert resumed.history[-1]["updates"] == 3.0
