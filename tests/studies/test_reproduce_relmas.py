"""`mas-sim reproduce relmas` on a tiny configuration, and the statistics it uses."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from mas_sim import cli
from mas_sim.core.errors import ConfigError
from mas_sim.runs.sweep import deterministic, read_results
from mas_sim.studies.relmas import ReproConfig, reproduce_relmas
from mas_sim.studies.stats import geomean, mean_ci, summarise, t975


def test_mean_ci_by_hand() -> None:
    mean, half = mean_ci([0.2, 0.4, 0.6])
    assert mean == pytest.approx(0.4)
    assert half == pytest.approx(4.303 * 0.2 / math.sqrt(3))
    assert mean_ci([0.5])[0] == 0.5 and math.isnan(mean_ci([0.5])[1])
    assert all(math.isnan(v) for v in mean_ci([]))
    assert t975(1) == 12.706 and t975(12) == 2.228 and t975(100) == 1.96


def test_geomean_floors_zeros() -> None:
    assert geomean([0.25, 1.0]) == pytest.approx(0.5)
    assert geomean([0.0, 1.0], floor=0.01) == pytest.approx(0.1)


def test_summarise_groups() -> None:
    frame = pd.DataFrame({"p": ["a", "a", "b"], "x": [1.0, 3.0, 5.0]})
    out = summarise(frame, ["p"], "x").set_index("p")
    assert out.loc["a", "mean"] == 2.0 and out.loc["a", "n"] == 2
    assert out.loc["b", "mean"] == 5.0


TINY = ReproConfig(requests=3, seeds=(1, 2), magma=(("generations", 1), ("population", 2)),
                   bandwidths_gbps=(16.0, 4.0), bound_time_limit_s=0.5,
                   policies=("fcfs-h", "edf-h"))


def test_tiny_reproduction_writes_every_output(tmp_path: Path) -> None:
    pytest.importorskip("ortools", reason="the offline bound needs the 'exact' extra")
    report = reproduce_relmas(tmp_path, TINY, workers=1, progress=False)
    for name in ("fig3_sla.csv", "fig3_sla.png", "fig3_geomean.csv", "fig3_bound.csv",
                 "fig4_bandwidth.csv", "fig4_bandwidth.png", "moca_table.csv",
                 "moca_table.md", "summary.json"):
        assert (tmp_path / name).exists(), name
    fig3 = pd.read_csv(tmp_path / "fig3_sla.csv")
    assert len(fig3) == 9 * 2 and set(fig3["n"]) == {2}
    fig4 = pd.read_csv(tmp_path / "fig4_bandwidth.csv")
    assert fig4.groupby("policy")["normalised"].max().tolist() == [1.0, 1.0]
    # The offline bound relaxes every constraint a policy faces: never below a policy's SLA.
    runs = pd.read_csv(tmp_path / "fig3_runs.csv")
    bound = pd.read_csv(tmp_path / "fig3_bound.csv")
    best = runs.groupby(["workload", "qos", "seed"])["sla_satisfaction"].max().reset_index()
    merged = best.merge(bound, on=["workload", "qos", "seed"])
    assert len(merged) == 18
    assert (merged["bound_sla"] >= merged["sla_satisfaction"] - 1e-12).all()
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["notes"] == report.notes
    assert summary["full_estimate_s"] > 0
    # Fig. 5 is RELMAS's: a reproduction without RELMAS draws none.
    assert not list(tmp_path.glob("fig5_*"))


def test_reproduce_resumes_from_its_run_files(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    small = ReproConfig(requests=2, seeds=(1,), magma=TINY.magma, bandwidths_gbps=(16.0,),
                        bound_max_requests=0, policies=("fcfs-h",))
    reproduce_relmas(tmp_path, small, workers=1, progress=False)
    capsys.readouterr()
    report = reproduce_relmas(tmp_path, small, workers=1, progress=False)
    err = capsys.readouterr().err
    assert "sweep: ran 0 points, skipped 9" in err and "sweep: ran 0 points, skipped 1" in err
    assert any("offline bound n/a" in n for n in report.notes)


def test_reproduce_on_ray_writes_the_local_runs(tmp_path: Path) -> None:
    pytest.importorskip("ray", reason="the Ray backend needs the 'ray' extra")
    small = ReproConfig(requests=2, seeds=(1,), magma=TINY.magma, bandwidths_gbps=(16.0,),
                        bound_max_requests=0, policies=("fcfs-h", "edf-h"))
    reproduce_relmas(tmp_path / "local", small, workers=1, progress=False)
    reproduce_relmas(tmp_path / "ray", small, backend="ray", workers=2, progress=False)
    for name in ("fig3_runs.csv", "fig4_runs.csv"):
        local, ray = (deterministic(read_results(tmp_path / d / name)) for d in ("local", "ray"))
        assert len(local) == (18 if name == "fig3_runs.csv" else 2)
        pd.testing.assert_frame_equal(local, ray)


def test_cli_refuses_an_unknown_policy_before_writing(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["reproduce", "relmas", "--quick", "--out", str(tmp_path / "r"),
                     "--policies", "edf-h,sjf"])
    assert code == 2
    assert "'sjf'" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_a_run_split_by_policy_keeps_the_earlier_runs(tmp_path: Path) -> None:
    first = ReproConfig(requests=2, seeds=(1,), magma=TINY.magma, bandwidths_gbps=(16.0,),
                        bound_max_requests=0, policies=("fcfs-h",))
    reproduce_relmas(tmp_path, first, workers=1, progress=False)
    assert not list(tmp_path.glob("fig5_*"))
    reproduce_relmas(tmp_path, replace(first, policies=("relmas",), periods_us=(100.0,)),
                     workers=1, progress=False)
    runs = read_results(tmp_path / "fig3_runs.csv")
    assert sorted(runs["policy"].unique()) == ["fcfs-h", "relmas"] and len(runs) == 18
    # The figures of a part show that part's policies; Fig. 5 comes with RELMAS's part.
    assert set(pd.read_csv(tmp_path / "fig3_sla.csv")["policy"]) == {"relmas"}
    assert (tmp_path / "fig5_relmas.csv").exists() or (tmp_path / "fig5_NOTE.txt").exists()


def test_cli_refuses_an_unknown_paper(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(cli.COMMANDS, "reproduce", "mas_sim.cli.reproduce")
    with pytest.raises(SystemExit) as info:
        cli.main(["reproduce", "moca"])
    assert info.value.code == 2


def test_draw_only_draws_the_points_done_and_runs_nothing(tmp_path: Path) -> None:
    part = ReproConfig(requests=2, seeds=(1,), magma=TINY.magma, bandwidths_gbps=(16.0,),
                       bound_max_requests=0, policies=("fcfs-h",))
    reproduce_relmas(tmp_path, part, workers=1, progress=False)
    whole = replace(part, policies=("fcfs-h", "edf-h"))
    report = reproduce_relmas(tmp_path, whole, workers=1, progress=False, draw_only=True)
    assert len(read_results(tmp_path / "fig3_runs.csv")) == 9  # nothing new ran
    assert set(pd.read_csv(tmp_path / "fig3_sla.csv")["policy"]) == {"fcfs-h"}
    assert "fig3: drawn from 9 of 18 points (9 not run yet)" in report.notes


def test_draw_only_needs_the_run_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no run file"):
        reproduce_relmas(tmp_path, replace(TINY, bound_max_requests=0), progress=False,
                         draw_only=True)
