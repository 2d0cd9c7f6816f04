"""The training loop: outputs, resume, imitation, configuration errors."""

from __future__ import annotations

import copy
import csv
import io
from pathlib import Path

import numpy as np
import pytest
import torch

from mas_sim.core.errors import CheckpointError, ConfigError
from policies.relmas.callbacks import Callback
from policies.relmas.checkpoint import load_checkpoint
from policies.relmas.config import TrainConfig, training_seed
from policies.relmas.ddpg import DDPGConfig
from policies.relmas.evaluation import choose_deploy_cap
from policies.relmas.history import read_history
from policies.relmas.imitation import ImitationConfig
from policies.relmas.scenarios import scenario_choices, training_normalisation
from policies.relmas.train import Trainer, default_callbacks, train
from tests.policies.relmas.relmas_scenarios import random_workload, tiny_system

SMALL = DDPGConfig(batch_size=8, learning_starts=8, max_rq=32)


def _config(out: Path, **changes: object) -> TrainConfig:
    base: dict[str, object] = dict(hidden=16, episodes=3, requests=10, eval_seeds=(0, 1),
                                   eval_requests=8, eval_every=2, out=str(out), ddpg=SMALL,
                                   period=1000.0)
    base.update(changes)
    return TrainConfig(**base)  # type: ignore[arg-type]


def _train(config: TrainConfig):  # type: ignore[no-untyped-def]
    return train(config, system=tiny_system(), scenario=lambda s, n: random_workload(s, n),
                 progress=False)


def test_training_writes_checkpoint_csv_png_and_resumes(tmp_path: Path) -> None:
    out = tmp_path / "run.pt"
    result = _train(_config(out))
    assert [row["episode"] for row in result.history] == [1.0, 2.0, 3.0]
    evaluated = [not np.isnan(r["eval_sla"]) for r in result.history]
    assert evaluated == [False, True, True]  # every 2 episodes, and after the last
    assert 0.0 <= result.best_eval_sla <= 1.0
    ckpt = load_checkpoint(out, num_sas=2, hidden=16)
    assert ckpt.training is not None and ckpt.training["episode"] == 3
    assert ckpt.training["agent"]["actor_opt"]["state"]  # optimizer moments were saved
    rows = list(csv.DictReader((tmp_path / "run.csv").open()))
    assert len(rows) == 3 and rows[0]["eval_sla"] == "" and rows[2]["eval_sla"] != ""
    assert (tmp_path / "run.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.best.pt", "run.csv", "run.png",
                                                           "run.pt"]
    best = load_checkpoint(tmp_path / "run.best.pt")
    assert best.training is None

    resumed = _train(_config(tmp_path / "run2.pt", episodes=4, resume=str(out)))
    assert [row["episode"] for row in resumed.history] == [1.0, 2.0, 3.0, 4.0]
    np.testing.assert_equal(resumed.history[:3], result.history)  # NaN-aware
    ckpt2 = load_checkpoint(tmp_path / "run2.pt")
    assert ckpt2.training is not None and ckpt2.training["episode"] == 4
    # The resumed run started from the saved optimizer state: Adam's step count kept growing.
    step_before = ckpt.training["agent"]["actor_opt"]["state"][0]["step"]
    step_after = ckpt2.training["agent"]["actor_opt"]["state"][0]["step"]
    assert float(step_after) > float(step_before)


def test_resume_with_another_hidden_size_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "run.pt"
    _train(_config(out, episodes=1, eval_every=1))
    with pytest.raises(CheckpointError, match="hidden size 16, expected 32"):
        _train(_config(tmp_path / "b.pt", hidden=32, episodes=2, resume=str(out)))


def test_imitation_warm_start_is_evaluated_first_then_the_critic_warms_up(
        tmp_path: Path) -> None:
    imitation = ImitationConfig(teacher="edf-h", rounds=2, states_per_round=10, epochs=1)
    ddpg = DDPGConfig(batch_size=8, learning_starts=8, max_rq=32, critic_warmup=10**6)
    result = _train(_config(tmp_path / "imit.pt", episodes=2, eval_every=1, imitation=imitation,
                            ddpg=ddpg))
    assert [row["episode"] for row in result.history] == [0.0, 1.0, 2.0]
    assert not np.isnan(result.history[0]["eval_sla"])  # the imitated actor, before DDPG
    # During the critic warm-up the actor is not updated: no actor loss, but a critic loss.
    assert all(np.isnan(row["actor_loss"]) for row in result.history)
    assert not np.isnan(result.history[-1]["critic_loss"])
    ckpt = load_checkpoint(tmp_path / "imit.pt")
    assert ckpt.config["imitation"]["teacher"] == "edf-h"
    assert ckpt.training is not None and ckpt.training["updates"] > 0


def test_choose_deploy_cap_records_the_better_cap_on_validation(tmp_path: Path) -> None:
    out = tmp_path / "run.pt"
    _train(_config(out, episodes=1, eval_every=1))
    means = choose_deploy_cap(out, 2, tiny_system(), lambda s, n: random_workload(s, n),
                              (7, 8), 12, 1000.0)
    assert set(means) == {"none", "cap"} and all(0 <= v <= 1 for v in means.values())
    expected = 2 if means["cap"] > means["none"] else None
    assert load_checkpoint(out).deploy_max_rq == expected


def test_any_workload_and_qos_cycle_through_every_pair() -> None:
    assert scenario_choices(TrainConfig(workload="light", qos="any")) == [
        ("light", "high"), ("light", "low"), ("light", "medium")]
    pairs = scenario_choices(TrainConfig(workload="any", qos="any"))
    assert len(pairs) == 9 and len(set(pairs)) == 9
    assert scenario_choices(TrainConfig()) == [("mixed", "medium")]


def test_config_errors_name_the_value() -> None:
    with pytest.raises(ConfigError, match="episodes = 0"):
        TrainConfig(episodes=0)
    with pytest.raises(ConfigError, match="hidden = 15"):
        TrainConfig(hidden=15)
    with pytest.raises(ConfigError, match="eval_seeds \\[1000000\\] are also training seeds"):
        TrainConfig(eval_seeds=(training_seed(0, 0),))
    with pytest.raises(ConfigError, match="unknown workload 'huge'"):
        TrainConfig(workload="huge")
    with pytest.raises(ConfigError, match=r"unknown QoS level 'extreme'.*any"):
        TrainConfig(qos="extreme")
    with pytest.raises(ConfigError, match="ddpg critic_warmup = -1"):
        DDPGConfig(critic_warmup=-1)
    with pytest.raises(ConfigError, match="eval_seeds is empty"):
        TrainConfig(eval_seeds=())
    with pytest.raises(ConfigError, match="ddpg batch_size = 0"):
        DDPGConfig(batch_size=0)
    with pytest.raises(ConfigError, match=r"ddpg tau = 1\.5"):
        DDPGConfig(tau=1.5)
    with pytest.raises(ConfigError, match="ddpg critic_lr = 0"):
        DDPGConfig(critic_lr=0)
    with pytest.raises(ConfigError, match="exploration_noise = -1"):
        DDPGConfig(exploration_noise=-1)
    with pytest.raises(ConfigError, match=r"unknown time encoding 'cubic' \(known: linear, log\)"):
        TrainConfig(time_encoding="cubic")
    with pytest.raises(ConfigError, match="time_unit_periods = 0"):
        TrainConfig(time_unit_periods=0)
    with pytest.raises(ConfigError, match=r"unknown SA time feature 'eta' \(known: latency, "
                                          r"planned_finish, tenant_plan\)"):
        TrainConfig(sa_time="eta")


@pytest.mark.parametrize(("encoding", "periods", "unit"),
                         [("log", None, 1000.0), ("linear", None, 10_000.0),
                          ("log", 4.0, 4000.0)])
def test_the_encoder_time_unit_follows_the_encoding(encoding: str, periods: float | None,
                                                    unit: float) -> None:
    config = _config(Path("x.pt"), time_encoding=encoding, time_unit_periods=periods)
    norm = training_normalisation(tiny_system(), config, 1000.0,
                                  lambda s, n: random_workload(s, n))
    assert (norm.time_encoding, norm.time_unit) == (encoding, unit)


def test_the_sa_time_option_reaches_the_encoder() -> None:
    config = _config(Path("x.pt"), sa_time="planned_finish")
    norm = training_normalisation(tiny_system(), config, 1000.0,
                                  lambda s, n: random_workload(s, n))
    assert norm.sa_time == "planned_finish"


class _Weights(Callback):
    """Records the actor's weights at every evaluation."""

    def __init__(self) -> None:
        self.at: dict[int, dict[str, torch.Tensor]] = {}

    def on_evaluation(self, trainer: Trainer, row: dict[str, float], improved: bool) -> None:
        self.at[int(row["episode"])] = copy.deepcopy(trainer.agent.actor.state_dict())


def test_the_best_file_holds_the_best_evaluations_weights(tmp_path: Path) -> None:
    out = tmp_path / "run.pt"
    weights = _Weights()
    config = _config(out, episodes=4, eval_every=1)
    result = train(config, system=tiny_system(), scenario=lambda s, n: random_workload(s, n),
                   progress=False, callbacks=[*default_callbacks(config, False), weights])
    evals = [r["eval_sla"] for r in result.history]
    first_best = int(result.history[int(np.argmax(evals))]["episode"])  # ties: the first
    assert (result.best_episode, result.best_eval_sla) == (first_best, max(evals))
    best = load_checkpoint(tmp_path / "run.best.pt")
    for key, value in weights.at[first_best].items():
        assert torch.equal(best.actor[key], value), key


def test_a_resume_derives_the_files_the_interruption_left_behind(tmp_path: Path) -> None:
    out = tmp_path / "run.pt"
    _train(_config(out, episodes=2, eval_every=1))
    best_before = (tmp_path / "run.best.pt").read_bytes()
    # As if killed right after the checkpoint: the derived files are missing or stale.
    (tmp_path / "run.best.pt").unlink()
    (tmp_path / "run.csv").write_text("episode\n")
    resumed = _train(_config(out, episodes=2, eval_every=1, resume=str(out)))
    assert len(resumed.history) == 2
    assert [r["episode"] for r in read_history(tmp_path / "run.csv")] == [1.0, 2.0]
    restored = load_checkpoint(tmp_path / "run.best.pt")
    original = torch.load(io.BytesIO(best_before), weights_only=True)
    for key, value in original["actor"].items():
        assert torch.equal(restored.actor[key], value)


def test_train_configs_round_trip_through_their_dict() -> None:
    config = _config(Path("x.pt"), imitation=ImitationConfig(rounds=2), eval_seeds=(3, 4))
    assert TrainConfig.from_dict(config.to_dict()) == config
    assert TrainConfig.from_dict({"hidden": 64, "unknown": 1}) == TrainConfig(hidden=64)


def test_a_run_can_start_from_another_checkpoints_networks(tmp_path: Path) -> None:
    first = tmp_path / "first.pt"
    _train(_config(first, episodes=1, eval_every=1))
    trainer = Trainer(_config(tmp_path / "second.pt", init=str(first)), system=tiny_system(),
                      scenario=lambda s, n: random_workload(s, n))
    start = load_checkpoint(first)
    for key, value in start.actor.items():
        assert torch.equal(trainer.agent.actor.state_dict()[key], value)
        assert torch.equal(trainer.agent.actor_target.state_dict()[key], value)
    assert trainer.episode == 0 and trainer.history == [] and not trainer.resumed
    with pytest.raises(CheckpointError, match="hidden size 16, expected 32"):
        Trainer(_config(tmp_path / "third.pt", hidden=32, init=str(first)),
                system=tiny_system(), scenario=lambda s, n: random_workload(s, n))
