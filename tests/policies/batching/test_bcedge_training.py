"""``mas-sim train bcedge`` at a tiny budget: files written atomically, resume continues, the
checkpoint deploys, and checkpoints of the wrong kind are refused."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mas_sim.cli import main
from mas_sim.core.errors import CheckpointError

pytest.importorskip("stable_baselines3")


def test_train_resume_and_deploy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "b.pt"
    common = ["train", "bcedge", "--workload", "light", "--requests", "10",
              "--learning-starts", "10", "--eval-every", "20", "--predictor-runs", "2",
              "--eval-seeds", "100", "--out", str(out), "--no-progress"]
    assert main([*common, "--steps", "20"]) == 0
    for name in ("b.pt", "b.best.pt", "b.csv", "b.png", "b.sb3.zip"):
        assert (tmp_path / name).is_file(), name
    assert not [p for p in tmp_path.iterdir() if "tmp" in p.name]
    assert main([*common, "--steps", "40", "--resume", str(out)]) == 0
    history = pd.read_csv(tmp_path / "b.csv")
    assert history["step"].tolist() == [20.0, 40.0]
    assert "predictor median error" in capsys.readouterr().err

    from mas_sim import SystemSpec
    from mas_sim.runs.simulate import simulate
    from mas_sim.workload.scenario import Scenario, build_workload
    from policies.batching.bcedge import BCEdge

    system = SystemSpec.paper()
    wl = build_workload(system, Scenario(workload="light", requests=10, seed=5))
    result = simulate(system, wl, "edf-h", batching=BCEdge(str(out)))
    assert result.summary["met"] + result.summary["missed"] + result.summary["dropped"] == 10
    with pytest.raises(CheckpointError, match="BCEdge checkpoint for models"):
        mixed = build_workload(system, Scenario(workload="mixed", requests=4, seed=5))
        simulate(system, mixed, "edf-h", batching=BCEdge(str(out)))


def test_checkpoints_of_the_wrong_kind_are_refused(tmp_path: Path) -> None:
    from policies.batching.checkpoint import load_checkpoint

    relmas = Path(__file__).resolve().parents[3] / "policies" / "relmas" / "checkpoints" / \
        "relmas_light_medium.pt"
    with pytest.raises(CheckpointError, match="format 'mas-sim-relmas', expected a "
                                              "dict with format 'mas-sim-bcedge'"):
        load_checkpoint(relmas)
    junk = tmp_path / "junk.pt"
    junk.write_text("not a checkpoint")
    with pytest.raises(CheckpointError, match="is not a mas-sim BCEdge checkpoint"):
        load_checkpoint(junk)
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.pt")
