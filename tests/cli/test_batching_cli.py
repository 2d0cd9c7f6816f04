"""``--batching`` on the command line: the serving metrics, and the bad-input table (one line,
exit 2, no file written)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mas_sim.cli import main

RELMAS_CHECKPOINT = str(Path(__file__).resolve().parents[2] / "policies" / "relmas" /
                        "checkpoints" / "relmas_light_medium.pt")

#: The bad-input table of the report: arguments -> the line's expected text.
BAD = [
    (["--batching", "fixed-40"], "batch size of 'fixed-40' = 40, expected an integer in 1..32"),
    (["--batching", "fixed-0"], "batch size of 'fixed-0' = 0, expected an integer in 1..32"),
    (["--batching", "fixed-x"], "batch size of 'fixed-x' = 'x', expected an integer in 1..32"),
    (["--batching", "magic"], "unknown batching policy 'magic' (known: "),
    (["--batching", "clipper", "--concurrency", "0"],
     "concurrency = 0, expected an integer in 1..6 (the number of SAs)"),
    (["--batching", "timeout", "--concurrency", "7"],
     "concurrency = 7, expected an integer in 1..6 (the number of SAs)"),
    (["--concurrency", "2"], "--concurrency needs a batching policy (--batching)"),
    (["--batching", "bcedge", "--batching-checkpoint", RELMAS_CHECKPOINT],
     "is not a mas-sim BCEdge checkpoint (format 'mas-sim-relmas', expected a dict with "
     "format 'mas-sim-bcedge')"),
    (["--batching", "bcedge", "--batching-checkpoint", "missing.pt"],
     "BCEdge checkpoint 'missing.pt' does not exist"),
]


@pytest.mark.parametrize(("extra", "message"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_batching_input_exits_2_with_one_line_and_writes_nothing(
        extra: list[str], message: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run.json"
    args = ["run", "--workload", "light", "--requests", "3", "--no-progress",
            "--json", str(out), *extra]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_run_json_has_the_serving_metrics(tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    assert main(["run", "--workload", "light", "--requests", "8", "--no-progress",
                 "--batching", "fixed-2", "--concurrency", "3", "--policy", "edf-h",
                 "--json", str(out)]) == 0
    record = json.loads(out.read_text())
    for key in ("throughput_per_s", "latency_mean_s", "latency_p50_s", "latency_p99_s",
                "slo_violation_rate", "utility", "energy_per_inference_j", "mean_batch_size",
                "mean_batch_size_by_model"):
        assert key in record, key
    assert record["batching"] == "fixed-2"
    assert record["met"] + record["missed"] + record["dropped"] == 8


def test_run_json_without_batching_is_unchanged(tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    assert main(["run", "--workload", "light", "--requests", "4", "--no-progress",
                 "--json", str(out)]) == 0
    assert "utility" not in json.loads(out.read_text())
