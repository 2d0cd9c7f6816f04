"""Running sweeps: backends agree, resume runs nothing twice, bad input runs nothing."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

from mas_sim import cli
from mas_sim.core.errors import ConfigError, MissingExtraError
from mas_sim.runs.experiment import WALL_COLUMNS, Point, record, run_point
from mas_sim.runs.sweep import deterministic, expand, parse_grid, read_results, run_sweep

GRID = "policy=fcfs-h,edf-h;seed=1,2"
BASE = Point(workload="light", requests=6)


def points() -> list[Point]:
    return expand(parse_grid(GRID), BASE)


@pytest.fixture
def sweep_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    # Until the lead registers the command in mas_sim.cli.COMMANDS.
    monkeypatch.setitem(cli.COMMANDS, "sweep", "mas_sim.cli.sweep")


def test_local_pool_matches_a_serial_run(tmp_path: Path) -> None:
    serial = run_sweep(points(), tmp_path / "a.csv", workers=1, progress=False)
    pooled = run_sweep(points(), tmp_path / "b.csv", workers=2, progress=False)
    a, b = read_results(tmp_path / "a.csv"), read_results(tmp_path / "b.csv")
    assert serial.ran == pooled.ran == 4
    assert list(a["policy"]) == ["fcfs-h", "fcfs-h", "edf-h", "edf-h"]
    assert list(a.columns[-len(WALL_COLUMNS):]) == list(WALL_COLUMNS)
    pd.testing.assert_frame_equal(deterministic(a), deterministic(b))


def test_ray_backend_matches_the_local_one(tmp_path: Path) -> None:
    pytest.importorskip("ray", reason="the Ray backend needs the 'ray' extra")
    run_sweep(points(), tmp_path / "local.csv", workers=1, progress=False)
    run_sweep(points(), tmp_path / "ray.csv", backend="ray", workers=2, progress=False)
    pd.testing.assert_frame_equal(deterministic(read_results(tmp_path / "local.csv")),
                                  deterministic(read_results(tmp_path / "ray.csv")))


def test_a_row_holds_what_run_json_prints(tmp_path: Path) -> None:
    p = points()[3]
    row = run_sweep([p], tmp_path / "one.csv", workers=1, progress=False).table.iloc[0]
    expected = record(p, run_point(p))
    for name, value in expected.items():
        if name in WALL_COLUMNS:
            continue
        if isinstance(value, dict):
            for sub, v in value.items():
                assert row[f"{name}.{sub}"] == pytest.approx(v)
        elif isinstance(value, float):
            assert row[name] == pytest.approx(value, nan_ok=True)
        else:
            assert row[name] == value, name


def test_resume_runs_only_the_missing_points(tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    first = run_sweep(points()[:2], out, workers=1, progress=False)
    assert (first.ran, first.skipped) == (2, 0)
    second = run_sweep(points(), out, workers=1, resume=True, progress=False)
    assert (second.ran, second.skipped) == (2, 2)
    before = out.read_bytes()
    third = run_sweep(points(), out, workers=1, resume=True, progress=False)
    assert (third.ran, third.skipped) == (0, 4)
    assert out.read_bytes() == before  # nothing rewritten
    table = read_results(out)
    assert len(table) == 4 and table["point_key"].is_unique
    fresh = run_sweep(points(), tmp_path / "fresh.csv", workers=1, progress=False)
    pd.testing.assert_frame_equal(deterministic(table), deterministic(fresh.table))


def test_resume_reads_empty_cells_as_the_defaults(tmp_path: Path) -> None:
    # Files written before the Pareto shape's default became a number hold empty cells there
    # (read back as NaN): the rows keep their keys and count as done.
    out = tmp_path / "old.csv"
    run_sweep(points(), out, workers=1, progress=False)
    table = pd.read_csv(out, dtype={"point_key": str, "policy_options": str})
    table["pareto_shape"] = float("nan")
    table.to_csv(out, index=False)
    again = run_sweep(points(), out, workers=1, resume=True, progress=False)
    assert (again.ran, again.skipped) == (0, 4)
    table.loc[1, "requests"] = float("nan")  # the default (200): not the key's 6 requests
    table.to_csv(out, index=False)
    with pytest.raises(ConfigError, match=r"row 3: point_key '\w+' is not the key"):
        run_sweep(points(), out, workers=1, resume=True, progress=False)


def test_cli_resume_reports_nothing_run(tmp_path: Path, sweep_cli: None,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "s.csv"
    args = ["sweep", "--grid", GRID, "--workload", "light", "--requests", "4",
            "--out", str(out), "--workers", "1", "--no-progress"]
    assert cli.main(args) == 0
    assert "sweep: ran 4 points, skipped 0" in capsys.readouterr().err
    assert cli.main([*args, "--resume"]) == 0
    captured = capsys.readouterr()
    assert "sweep: ran 0 points, skipped 4" in captured.err
    assert "edf-h" in captured.out


@pytest.mark.parametrize(("name", "extra", "message"), [
    ("a.csv", ["--grid", "workload=light,huge"],
     "unknown workload 'huge' (known: heavy, light, mixed)"),
    ("a.csv", ["--grid", "colour=red"], "unknown grid axis 'colour'"),
    ("a.txt", ["--grid", "seed=1"], "unknown format, expected a file ending in .csv"),
    ("a.csv", ["--grid", "policy=magma", "--policy-option", "magma.population=1"],
     "population = 1"),
    ("a.csv", ["--grid", "seed=1", "--bandwidth-gbps", "-1"], "bandwidth_gbps = -1.0"),
])
def test_bad_input_exits_2_before_anything_runs(
        tmp_path: Path, sweep_cli: None, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, name: str, extra: list[str], message: str) -> None:
    ran: list[Point] = []

    def record_only(p: Point) -> dict[str, object]:
        ran.append(p)
        return {}

    monkeypatch.setattr("mas_sim.runs.sweep.flat_record", record_only)
    out = tmp_path / name
    args = ["sweep", "--out", str(out), "--requests", "2", "--no-progress", *extra]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not ran
    assert not out.exists()


def test_missing_ray_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    with pytest.raises(MissingExtraError, match=r"mas-sim\[ray\]"):
        run_sweep(points(), tmp_path / "x.csv", backend="ray", progress=False)
    assert not (tmp_path / "x.csv").exists()


def test_parquet_without_pyarrow_is_refused(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(ConfigError, match="needs the package 'pyarrow'"):
        run_sweep(points(), tmp_path / "x.parquet", progress=False)


def test_unknown_backend_and_worker_count_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown backend 'dask'"):
        run_sweep(points(), tmp_path / "x.csv", backend="dask", progress=False)
    with pytest.raises(ConfigError, match="workers = 0"):
        run_sweep(points(), tmp_path / "x.csv", workers=0, progress=False)


def test_run_json_is_unchanged_by_the_shared_implementation(tmp_path: Path) -> None:
    # run --json goes through mas_sim.runs.experiment.run_point: same object as record().
    out = tmp_path / "r.json"
    assert cli.main(["run", "--workload", "light", "--requests", "6", "--seed", "2",
                     "--policy", "edf-h", "--no-progress", "--json", str(out)]) == 0
    printed = json.loads(out.read_text())
    point = Point(policy="edf-h", workload="light", requests=6, seed=2)
    expected = record(point, run_point(point))
    for name in WALL_COLUMNS:
        printed.pop(name, None)
        expected.pop(name, None)
    assert printed == json.loads(json.dumps(expected))
