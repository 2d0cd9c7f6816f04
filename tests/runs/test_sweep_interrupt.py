"""Interruption: a sweep killed after its first point (Ctrl-C or SIGKILL) leaves a valid results
file, and ``--resume`` finishes the grid with no point lost and none run twice: the table equals
an uninterrupted run's (wall-clock columns aside)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from mas_sim.runs.experiment import Point
from mas_sim.runs.sweep import (
    check_results,
    deterministic,
    expand,
    parse_grid,
    read_results,
    run_sweep,
)
from tests.terminal import ctrl_c_default

GRID = "policy=fcfs-h,edf-h,llf-h;seed=1..4"
FIXED = ["--workload", "light", "--requests", "40"]


def start(out: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "mas_sim", "sweep", "--grid", GRID, *FIXED,
                             "--workers", "1", "--no-progress", "--out", str(out), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=ctrl_c_default)


def wait_for_rows(path: Path, proc: subprocess.Popen[str], timeout_s: float = 120.0) -> None:
    """Until ``path`` holds a finished point (the sweep writes its first point at once)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists() and len(path.read_text().splitlines()) >= 2:
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    raise AssertionError("no point finished in time")


def by_key(table: pd.DataFrame) -> pd.DataFrame:
    return deterministic(table).sort_values("point_key").reset_index(drop=True)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("reference") / "all.csv"
    base = Point(workload="light", requests=40)
    return run_sweep(expand(parse_grid(GRID), base), out, workers=1, progress=False).table


EXIT = {signal.SIGINT: (130, "interrupted"), signal.SIGTERM: (143, "terminated")}


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL],
                         ids=["SIGINT", "SIGTERM", "SIGKILL"])
def test_a_killed_sweep_resumes_with_nothing_lost_or_repeated(
        tmp_path: Path, reference: pd.DataFrame, sig: signal.Signals) -> None:
    out = tmp_path / "sweep.csv"
    proc = start(out)
    wait_for_rows(out, proc)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    code, last_line = EXIT.get(sig, (-signal.SIGKILL, ""))
    assert proc.returncode == code, err
    if sig != signal.SIGKILL:
        assert "Traceback" not in err and err.strip().endswith(last_line)
    partial = read_results(out)
    check_results(partial, out)  # valid at the moment of the kill
    assert 1 <= len(partial) < len(reference)
    assert not list(tmp_path.glob(".*tmp*"))  # no temporary file left behind

    resumed = start(out, "--resume")
    _, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    assert f"skipping {len(partial)} of {len(reference)} points" in err
    final = read_results(out)
    assert final["point_key"].is_unique
    pd.testing.assert_frame_equal(by_key(final), by_key(reference))
