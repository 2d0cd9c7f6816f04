"""The command line: bad input exits with 2 and one clear line, no traceback, no files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mas_sim.cli import Terminated, main


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mas_sim", *args], capture_output=True,
                          text=True, cwd=cwd, check=False)


@pytest.mark.parametrize(("args", "message"), [
    (["run", "--policy", "nope", "--requests", "2"], "unknown policy 'nope' (known: "),
    (["run", "--bandwidth-gbps", "-4", "--requests", "2"], "bandwidth_gbps = -4.0"),
    (["run", "--period-us", "0", "--requests", "2"], "period_us = 0.0"),
    (["run", "--requests", "0"], "requests = 0"),
    (["run", "--load", "0", "--requests", "2"], "load = 0.0"),
    (["run", "--hardware", "missing.toml", "--requests", "2"], "does not exist"),
    (["compare", "--policies", "fcfs-h,bogus", "--requests", "2"], "unknown policy 'bogus'"),
    (["models", "show", "lenet"], "unknown model 'lenet'"),
])
def test_user_errors_exit_2_with_one_line(args: list[str], message: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_unknown_workload_is_an_argparse_error_with_exit_2() -> None:
    proc = run_cli("run", "--workload", "huge")
    assert proc.returncode == 2
    assert "invalid choice: 'huge'" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(("text", "message"), [
    ("this is not toml [", "is not valid TOML"),
    ("[[sub_accelerator]]\npreset = 'simba_small'\npes = 0\n", "pes = 0, expected a positive"),
    ("dram_bandwidth_gbps = -1\n[[sub_accelerator]]\npreset = 'simba_small'\n",
     "dram_bandwidth_gbps = -1"),
    ("[[sub_accelerator]]\npreset = 'tpu'\n", "unknown preset 'tpu'"),
    ("[[sub_accelerator]]\nname = 'x'\n", "missing key(s)"),
    ("colour = 'red'\n[[sub_accelerator]]\npreset = 'simba_small'\n", "unknown key(s) ['colour']"),
])
def test_malformed_hardware_files_are_refused(tmp_path: Path, text: str, message: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    hw = tmp_path / "hw.toml"
    hw.write_text(text)
    out = tmp_path / "out.json"
    assert main(["run", "--hardware", str(hw), "--requests", "2", "--json", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert not out.exists()


def test_run_writes_json_with_the_contract_fields(tmp_path: Path) -> None:
    proc = run_cli("run", "--workload", "light", "--requests", "5", "--json", "-",
                   "--no-progress", "--gantt", str(tmp_path / "g.png"),
                   "--trace", str(tmp_path / "t.csv"), "--jobs", str(tmp_path / "j.csv"),
                   "--chrome-trace", str(tmp_path / "c.json"))
    assert proc.returncode == 0, proc.stderr
    record = json.loads(proc.stdout)
    for field in ("policy", "workload", "qos", "seed", "requests", "met", "missed", "dropped",
                  "sla_satisfaction", "energy_j", "makespan_s", "mean_sa_utilization",
                  "dram_utilization", "subjobs", "ticks", "sim_wall_s", "policy_wall_s",
                  "decision_us_per_subjob"):
        assert field in record
    assert record["requests"] == 5
    assert record["met"] + record["missed"] + record["dropped"] == 5
    assert "fcfs-h on light/medium" in proc.stderr  # human output goes to stderr
    assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    header = (tmp_path / "t.csv").read_text().splitlines()[0]
    assert header.startswith("job_id,tenant,model,layer,sa,sa_class,arrival,deadline,start")
    assert json.loads((tmp_path / "c.json").read_text())["traceEvents"]


def test_compare_writes_table_json_and_gantts(tmp_path: Path) -> None:
    proc = run_cli("compare", "--policies", "fcfs-h,edf-h", "--workload", "light",
                   "--requests", "4", "--no-progress", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "fcfs-h" in proc.stdout and "edf-h" in proc.stdout
    runs = json.loads((tmp_path / "compare.json").read_text())["runs"]
    assert [r["policy"] for r in runs] == ["fcfs-h", "edf-h"]
    assert (tmp_path / "gantt_edf-h.png").exists()
    assert (tmp_path / "compare.csv").read_text().startswith("policy,")


def test_same_seed_gives_byte_identical_traces(tmp_path: Path) -> None:
    paths = [tmp_path / "a.csv", tmp_path / "b.csv"]
    for p in paths:
        proc = run_cli("run", "--workload", "light", "--requests", "6", "--seed", "3",
                       "--no-progress", "--trace", str(p))
        assert proc.returncode == 0, proc.stderr
    assert paths[0].read_bytes() == paths[1].read_bytes()


def test_compare_with_bound_adds_the_offline_bound(tmp_path: Path) -> None:
    out = tmp_path / "c.json"
    proc = run_cli("compare", "--policies", "fcfs-h,edf-h", "--workload", "light",
                   "--requests", "6", "--no-progress", "--with-bound", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(out.read_text())
    bound = payload["offline_bound"]
    assert set(bound) == {"met", "sla_satisfaction", "optimal"}
    assert bound["sla_satisfaction"] == bound["met"] / 6
    assert all(bound["met"] >= run["met"] for run in payload["runs"])
    assert "offline bound" in proc.stdout
    assert "SLA p1" in proc.stdout


def test_compare_with_bound_refuses_a_large_instance_before_running(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "c.json"
    assert main(["compare", "--policies", "fcfs-h", "--requests", "31", "--with-bound",
                 "--no-progress", "--json", str(out)]) == 2
    err = capsys.readouterr().err
    assert "31" in err and "30" in err
    assert not out.exists()


@pytest.mark.parametrize(("stop", "code", "line"), [(KeyboardInterrupt, 130, "interrupted"),
                                                    (Terminated, 143, "terminated")])
def test_a_stop_inside_a_c_callback_still_unwinds_as_a_stop(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        stop: type[KeyboardInterrupt], code: int, line: str) -> None:
    # A signal handler's exception raised while C code calls back into Python comes out as a
    # SystemError caused by it (seen with numba's cache loader under SIGTERM).
    def handler(args: object) -> int:
        try:
            raise stop
        except KeyboardInterrupt as exc:
            raise SystemError("<built-in function x> returned a result with an exception "
                              "set") from exc

    from mas_sim.cli import run as run_command

    monkeypatch.setattr(run_command, "main", handler)
    assert main(["run", "--requests", "2"]) == code
    assert capsys.readouterr().err.strip() == line


def test_other_system_errors_are_not_taken_for_a_stop(monkeypatch: pytest.MonkeyPatch) -> None:
    def handler(args: object) -> int:
        raise SystemError("a real bug")

    from mas_sim.cli import run as run_command

    monkeypatch.setattr(run_command, "main", handler)
    with pytest.raises(SystemError, match="a real bug"):
        main(["run", "--requests", "2"])
