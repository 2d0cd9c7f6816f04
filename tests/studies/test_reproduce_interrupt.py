"""A reproduction killed in the middle (Ctrl-C or SIGKILL) resumes from its run files with no
run lost or repeated: its tables equal an uninterrupted reproduction's (wall times aside)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from mas_sim.runs.sweep import check_results, deterministic, read_results
from tests.terminal import ctrl_c_default

CODE = """
import sys
from mas_sim.studies.relmas import ReproConfig, reproduce_relmas
config = ReproConfig(requests=12, seeds=(1, 2), magma=(("generations", 1), ("population", 2)),
                     bandwidths_gbps=(16.0, 8.0), policies=("fcfs-h", "edf-h"),
                     bound_max_requests=0)
try:
    reproduce_relmas(sys.argv[1], config, workers=1, progress=False)
except KeyboardInterrupt:
    sys.exit(130)
"""
RUN_FILES = ("fig3_runs.csv", "fig4_runs.csv")


def reproduce(out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", CODE, str(out)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=ctrl_c_default)


def tables(out: Path) -> dict[str, pd.DataFrame]:
    result = {}
    for name in RUN_FILES:
        frame = deterministic(read_results(out / name))
        assert frame["point_key"].is_unique
        result[name] = frame.sort_values("point_key").reset_index(drop=True)
    frame = pd.read_csv(out / "fig3_sla.csv")
    result["fig3_sla.csv"] = frame
    return result


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_a_killed_reproduction_resumes_with_nothing_lost_or_repeated(
        tmp_path: Path, sig: signal.Signals) -> None:
    whole = tmp_path / "whole"
    done = reproduce(whole)
    assert done.wait(timeout=600) == 0, done.communicate()

    out = tmp_path / "killed"
    proc = reproduce(out)
    runs = out / "fig3_runs.csv"
    deadline = time.monotonic() + 120
    while not (runs.exists() and len(runs.read_text().splitlines()) >= 2):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.02)
    proc.send_signal(sig)
    proc.wait(timeout=120)
    assert proc.returncode == (130 if sig == signal.SIGINT else -signal.SIGKILL)
    check_results(read_results(runs), runs)  # valid at the moment of the kill
    assert not (out / "fig4_runs.csv").exists()  # interrupted during Fig. 3

    again = reproduce(out)
    assert again.wait(timeout=600) == 0, again.communicate()
    expected, got = tables(whole), tables(out)
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(got[name], frame, check_exact=False, rtol=1e-12)
