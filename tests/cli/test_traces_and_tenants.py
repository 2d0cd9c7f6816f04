"""The command line with traces, tenants and scenario files: what works, and every bad input
(exit 2, one line naming the file, the line or key and the value, nothing written)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mas_sim.cli import main

TRACE = "timestamp,model,tenant\n0,kws,gold\n0.0002,squeezenet,bronze\n0.0004,kws,gold\n"
SCENARIO = """
workload = "light"
requests = 3
arrivals = "trace.csv"
time_scale = 1.0
policy = "tenant-edf"

[[tenants]]
name = "gold"
target = 0.95

[[tenants]]
name = "bronze"
target = 0.6
"""


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "trace.csv").write_text(TRACE)
    (tmp_path / "my.toml").write_text(SCENARIO)
    return tmp_path


def test_a_scenario_file_runs_and_options_beside_it_win(files: Path) -> None:
    out = files / "run.json"
    assert main(["run", "--scenario", str(files / "my.toml"), "--json", str(out),
                 "--no-progress"]) == 0
    record = json.loads(out.read_text())
    assert record["policy"] == "tenant-edf" and record["requests"] == 3
    assert record["tenant_names"] == {"0": "gold", "1": "bronze"}
    assert record["tenant_target"] == {"0": 0.95, "1": 0.6}
    assert set(record) >= {"tenants_met", "tenant_worst_ratio", "tenant_jain",
                           "tenant_p99_latency_s"}
    assert main(["run", "--scenario", str(files / "my.toml"), "--policy", "edf-h",
                 "--requests", "2", "--json", str(out), "--no-progress"]) == 0
    record = json.loads(out.read_text())
    assert record["policy"] == "edf-h" and record["requests"] == 2


def test_tenant_options_and_compare_columns(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "--policies", "edf-ac-h,tenant-edf", "--requests", "12",
                 "--workload", "light", "--tenant", '{name = "a", count = 2, target = 0.9}',
                 "--tenant", '{name = "b", target = 0.5, rate = 2}', "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "tenants met" in out and "worst hit/target" in out


def test_a_model_mix_is_named_and_a_short_model_warns_on_one_line(
        capsys: pytest.CaptureFixture[str]) -> None:
    # KWS (87 us alone) is shorter than the 100 us period; outside the built-in sets that warns.
    assert main(["run", "--models", "kws:2,squeezenet", "--arrivals", "poisson", "--requests",
                 "4", "--no-progress"]) == 0
    captured = capsys.readouterr()
    assert "fcfs-h on kws:2,squeezenet/medium, poisson arrivals, 4 requests" in captured.out
    assert captured.err.splitlines() == [
        "mas-sim run: warning: model 'kws': isolated latency 87.3 us is shorter than the "
        "scheduling period 100 us: a request can wait longer for its first tick than it takes to "
        "run, and a deadline shorter than the period can pass before the first tick plans it "
        "(consider a shorter --period-us)"]


def read_err(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize(("trace", "expected"), [
    (None, "no such file"),
    ("", "is empty"),
    ("timestamp\n", "a header but no request rows"),
    ("timestamp\n0\n2\n1\n", "line 4: timestamp '1' is before the previous row's '2'"),
    ("timestamp\n0\nlater\n", "line 3: timestamp 'later' is not a number of seconds"),
    ("timestamp\n-5\n", "line 2: timestamp '-5' is negative"),
    ("timestamp,model\n0,kws\n1,vgg99\n", "line 3: unknown model 'vgg99'"),
    ("timestamp,tenant\n0,3\n1,12\n", "line 3: unknown tenant '12'"),
])
def test_bad_traces_exit_2_naming_file_line_and_value(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], trace: str | None,
        expected: str) -> None:
    path = tmp_path / "t.csv"
    if trace is not None:
        path.write_text(trace)
    out = tmp_path / "out.json"
    assert main(["run", "--arrivals", str(path), "--requests", "2", "--time-scale", "1",
                 "--json", str(out), "--no-progress"]) == 2
    line = read_err(capsys)
    assert "t.csv" in line and expected in line
    assert not out.exists() and list(tmp_path.iterdir()) == ([path] if trace is not None else [])


@pytest.mark.parametrize(("args", "expected"), [
    (["--tenant-targets", "0.9x7,1.5"], "tenant_targets '0.9x7,1.5': tenant 't7': target = 1.5, "
                                        "expected a hit-rate target in (0, 1]"),
    (["--tenant-targets", "0.9,0.8"], "tenant_targets '0.9,0.8': 2 values for 8 tenants"),
    (["--tenant-targets", "0"], "target = 0.0, expected a hit-rate target in (0, 1]"),
    (["--tenant-targets=-0.2x8"], "target = -0.2"),
    (["--tenant", "{target = 1.01}"], "--tenant, [[tenants]] #1: tenant 't0': target = 1.01"),
    (["--tenant", "{colour = 'red'}"], "unknown key 'colour'"),
    (["--tenant", "gold"], "--tenant #1 'gold' is not an inline TOML table"),
    (["--models", "kws,lenet"], "unknown model 'lenet'"),
    (["--plugin", "no_such_plugin_xyz"], "--plugin 'no_such_plugin_xyz': no module named"),
    (["--trace-start", "5"], "trace_start = 5.0 is for a replayed trace"),
    (["--arrivals", "azure-code-2023", "--requests", "9000"],
     "8819 requests at or after 0 s (of 8819), but 9000 were asked for"),
])
def test_bad_tenant_and_arrival_options(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        args: list[str], expected: str) -> None:
    out = tmp_path / "out.json"
    argv = ["run", "--requests", "2", *args, "--json", str(out), "--no-progress"]
    assert main(argv) == 2
    assert expected in read_err(capsys)
    assert not out.exists()


@pytest.mark.parametrize(("text", "expected"), [
    ('requests = 3\ncolour = "red"\n', "my.toml': unknown key 'colour' (known: "),
    ("load = -1\n", "my.toml': load = -1, expected a finite number > 0"),
    ("[[tenants]]\ntarget = 2\n", "my.toml', [[tenants]] #1: tenant 't0': target = 2"),
    ("[[tenants]]\nname = 'a'\nrate = 1\nbogus = 3\n", "[[tenants]] #1: unknown key 'bogus'"),
    ("requests = \n", "my.toml' is not valid TOML"),
    (None, "my.toml' does not exist"),
])
def test_bad_scenario_files(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                            text: str | None, expected: str) -> None:
    path = tmp_path / "my.toml"
    if text is not None:
        path.write_text(text)
    out = tmp_path / "out.json"
    assert main(["run", "--scenario", str(path), "--json", str(out), "--no-progress"]) == 2
    assert expected in read_err(capsys)
    assert not out.exists()
