"""``mas-sim train relmas``: options generated from the configs, presets, errors, interruption."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pytest

from mas_sim.cli import main as cli_main
from mas_sim.cli.config_options import int_list
from mas_sim.cli.train import add_train_arguments, config_from_args
from mas_sim.core.errors import ConfigError
from mas_sim.core.settings import field_docs
from policies.relmas.checkpoint import load_checkpoint
from policies.relmas.config import TrainConfig
from policies.relmas.ddpg import DDPGConfig
from policies.relmas.history import read_history
from policies.relmas.imitation import ImitationConfig
from policies.relmas.presets import PRESETS
from policies.relmas.reward import RewardConfig
from tests.terminal import ctrl_c_default

ROOT = Path(__file__).resolve().parents[2]

#: A training of seconds: light, four requests per episode, a tiny network.
TINY = ["--workload", "light", "--requests", "4", "--hidden", "8", "--eval-every", "1",
        "--eval-requests", "4", "--eval-seeds", "0", "--batch-size", "4", "--learning-starts",
        "4", "--max-rq", "16", "--no-progress"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    add_train_arguments(parser)
    return parser


def _config(argv: list[str]) -> TrainConfig:
    return config_from_args(_parser().parse_args(argv))  # type: ignore[no-any-return]


def test_no_option_gives_the_dataclass_defaults() -> None:
    assert _config([]) == TrainConfig()


@pytest.mark.parametrize("cls", [TrainConfig, DDPGConfig, ImitationConfig, RewardConfig])
def test_every_field_has_a_docstring_and_its_default_in_the_help(cls: type) -> None:
    docs = field_docs(cls)
    assert set(docs) == {f.name for f in fields(cls)}
    text = _parser().format_help()
    for f in fields(cls):
        if f.name in ("period", "imitation", "ddpg", "reward", "teacher", "learner", "ppo"):
            continue
        assert docs[f.name].split()[0] in text


def test_each_preset_is_its_config_and_options_beside_it_win() -> None:
    for name, preset in PRESETS.items():
        assert _config(["--preset", name]) == preset.config
    config = _config(["--preset", "heavy", "--max-minutes", "5", "--batch-size", "16",
                      "--imitation-rounds", "2"])
    heavy = PRESETS["heavy"].config
    assert heavy.imitation is not None
    assert config == replace(heavy, max_minutes=5.0, ddpg=replace(heavy.ddpg, batch_size=16),
                             imitation=replace(heavy.imitation, rounds=2))
    assert _config(["--preset", "heavy", "--imitate", "none"]).imitation is None
    assert _config(["--preset", "heavy", "--max-minutes", "none"]).max_minutes is None


def test_options_build_the_config() -> None:
    config = _config(["--workload", "light", "--hidden", "128", "--eval-seeds", "0,2,5..7",
                      "--period-us", "50", "--batch-size", "16", "--out", "x.pt",
                      "--reward-beta", "0.2", "--choose-deploy-cap"])
    assert (config.workload, config.hidden, config.eval_seeds) == ("light", 128, (0, 2, 5, 6, 7))
    assert config.period == 50_000.0 and config.ddpg.batch_size == 16 and config.out == "x.pt"
    assert config.reward.beta == 0.2 and config.choose_deploy_cap
    assert config.imitation is None and config.sa_time == "latency"
    config = _config(["--imitate", "edf-h", "--imitation-rounds", "3",
                      "--imitation-states-per-round", "500", "--sa-time", "planned_finish"])
    assert config.sa_time == "planned_finish"
    assert config.imitation == ImitationConfig(teacher="edf-h", rounds=3, states_per_round=500)


def test_int_lists_and_their_errors() -> None:
    assert int_list("1, 3,100..102") == (1, 3, 100, 101, 102)
    with pytest.raises(argparse.ArgumentTypeError, match="'a,b'"):
        int_list("a,b")


@pytest.mark.parametrize(("argv", "message"), [
    (["--imitation-rounds", "3"], "--imitation-rounds given without --imitate"),
    (["--seed", "-1"], "seed = -1, expected an integer >= 0"),
    (["--load", "inf"], "load = inf, expected a positive finite number"),
    (["--max-minutes", "-1"], "max_minutes = -1.0"),
    (["--period-us", "0"], "--period-us = 0.0, expected a positive number"),
    (["--eval-seeds", "-3"], r"eval_seeds \[-3\]: expected seeds >= 0"),
    (["--workload", "huge"], "unknown workload 'huge'"),
    (["--actor-lr", "inf"], "ddpg actor_lr = inf"),
])
def test_bad_values_are_refused_naming_them(argv: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _config(argv)


def test_resume_continues_the_stored_configuration_in_place(tmp_path: Path) -> None:
    out = tmp_path / "run.pt"
    assert cli_main(["train", "relmas", *TINY, "--episodes", "1", "--out", str(out)]) == 0
    config = _config(["--resume", str(out), "--episodes", "3"])
    stored = TrainConfig.from_dict(load_checkpoint(out).config)
    assert config == replace(stored, episodes=3, resume=str(out), out=str(out))


def _run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mas_sim", *argv], cwd=ROOT, text=True,
                          capture_output=True, timeout=300, check=False, **kwargs)  # type: ignore[call-overload]


@pytest.mark.parametrize("where", ["under-a-file", "a-directory"])
def test_an_unwritable_out_fails_in_one_line_before_training(tmp_path: Path, where: str) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    out = blocker / "run.pt" if where == "under-a-file" else tmp_path
    started = time.perf_counter()
    code = cli_main(["train", "relmas", *TINY, "--episodes", "1000", "--out", str(out)])
    assert code == 2
    assert time.perf_counter() - started < 60  # refused up front, not after 1000 episodes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_an_interrupted_training_resumes_with_nothing_lost_or_repeated(
        tmp_path: Path, sig: signal.Signals) -> None:
    out = tmp_path / "run.pt"
    # Far more episodes than run before the signal lands (a short budget can finish between the
    # first checkpoint and the signal on a loaded machine); the resumed run is then cut short.
    argv = ["train", "relmas", *TINY, "--episodes", "1000", "--out", str(out)]
    proc = subprocess.Popen([sys.executable, "-m", "mas_sim", *argv], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=ctrl_c_default)
    try:
        deadline = time.monotonic() + 240
        while not out.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(proc.pid, sig)
        proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == (-signal.SIGKILL if sig == signal.SIGKILL else 130)
    killed_at = load_checkpoint(out).training
    assert killed_at is not None and 1 <= killed_at["episode"] < 1000  # really interrupted
    episodes = killed_at["episode"] + 2
    if (tmp_path / "run.csv").exists():  # valid at the instant of the kill (or not yet written)
        seen = [r["episode"] for r in read_history(tmp_path / "run.csv")]
        assert seen == [float(e) for e in range(1, len(seen) + 1)]
    if (tmp_path / "run.best.pt").exists():
        load_checkpoint(tmp_path / "run.best.pt")
    done = _run(["train", "relmas", "--resume", str(out), "--episodes", str(episodes),
                 "--no-progress"])
    assert done.returncode == 0, done.stderr
    ckpt = load_checkpoint(out)
    assert ckpt.training is not None and ckpt.training["episode"] == episodes
    rows = read_history(tmp_path / "run.csv")
    best_row = max(rows, key=lambda r: r["eval_sla"])  # the first of equals
    assert done.stderr.strip().splitlines()[-1] == (
        f"saved {out} (last state, episode {episodes}, resumable with --resume) and "
        f"{tmp_path / 'run.best.pt'} (best eval SLA {best_row['eval_sla']:.3f}, "
        f"episode {int(best_row['episode'])})")
    assert [r["episode"] for r in rows] == [float(e) for e in range(1, episodes + 1)]
    np.testing.assert_equal(rows[:killed_at["episode"]], killed_at["history"])
    best = load_checkpoint(tmp_path / "run.best.pt")
    assert best.training is None
    evals = [r["eval_sla"] for r in rows]
    assert ckpt.training["best"]["eval_sla"] == max(evals)
    if sig == signal.SIGINT:  # an exception unwinds the atomic writes: no temporary file left
        assert sorted(p.name for p in tmp_path.iterdir()) == [
            "run.best.pt", "run.csv", "run.png", "run.pt"]
