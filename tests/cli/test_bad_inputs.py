"""Bad inputs across the command line (issue 21): each is answered by one line on stderr naming
the value and what was expected, exit code 2, no traceback, and nothing written.

``CASES`` is the table of the report (`docs` of issue 21): (id, arguments, expected part of the
message). ``{tmp}`` is a fresh directory holding the files ``make_files`` writes.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mas_sim.cli import main

TINY = ["--requests", "2", "--no-progress"]
GOOD_CSV = "good.csv"  # a finished sweep's results, written by make_files

CASES: list[tuple[str, list[str], str]] = [
    # 1. values that pass a type check but make no sense
    ("load-inf", ["run", "--load", "inf", *TINY], "load = inf, expected a finite number > 0"),
    ("load-nan", ["run", "--load", "nan", *TINY], "load = nan, expected a finite number > 0"),
    ("base-qos-inf", ["run", "--base-qos", "inf", *TINY],
     "base_qos = inf, expected a finite number > 0"),
    ("seed-negative", ["run", "--seed", "-1", *TINY],
     "seed = -1, expected an integer in [0, 9,223,372,036,854,775,807]"),
    ("requests-zero", ["run", "--requests", "0"], "requests = 0, expected an integer in [1, "),
    ("requests-float", ["run", "--requests", "2.5"], "invalid int value: '2.5'"),
    ("period-zero", ["run", "--period-us", "0", *TINY],
     "period_us = 0.0, expected a finite number >= 1"),
    ("bandwidth-negative", ["run", "--bandwidth-gbps", "-4", *TINY],
     "bandwidth_gbps = -4.0, expected a finite number >= 0.1"),
    ("hidden-zero", ["run", "--policy", "relmas", "--hidden", "0", *TINY],
     "hidden = 0, expected an integer >= 1"),
    ("policy-unknown", ["run", "--policy", "nope", *TINY], "unknown policy 'nope' (known: "),
    ("workload-unknown", ["run", "--workload", "huge"], "invalid choice: 'huge'"),
    ("hidden-for-heuristic", ["run", "--hidden", "64", *TINY],
     "hidden = 64 is an option of the relmas policy, not of 'fcfs-h'"),
    ("checkpoint-for-heuristic", ["run", "--checkpoint", "x.pt", *TINY],
     "--checkpoint is for the relmas policy, not 'fcfs-h'"),
    ("hardware-missing", ["run", "--hardware", "{tmp}/missing.toml", *TINY], "does not exist"),
    ("hardware-not-toml", ["run", "--hardware", "{tmp}/broken.toml", *TINY],
     "is not valid TOML"),
    ("hardware-inf-bandwidth", ["run", "--hardware", "{tmp}/inf_bw.toml", *TINY],
     "dram_bandwidth_gbps = inf, expected a positive finite number"),
    ("hardware-zero-pes", ["run", "--hardware", "{tmp}/zero_pes.toml", *TINY],
     "pes = 0, expected a positive integer"),
    ("sweep-workers-zero", ["sweep", "--grid", "seed=1", "--out", "{tmp}/s.csv",
                            "--workers", "0", *TINY], "workers = 0, expected a positive integer"),
    ("reproduce-workers-zero", ["reproduce", "relmas", "--out", "{tmp}/r", "--workers", "0"],
     "--workers = 0, expected an integer >= 1"),
    ("grid-load-inf", ["sweep", "--grid", "load=inf", "--out", "{tmp}/s.csv", *TINY],
     "grid axis load: load = inf, expected a finite number > 0"),
    ("grid-unknown-axis", ["sweep", "--grid", "colour=red", "--out", "{tmp}/s.csv", *TINY],
     "unknown grid axis 'colour' (known: "),
    # 2. inputs that would hang or grow without bound: refused up front
    ("requests-huge", ["run", "--requests", "1000000000000"],
     "requests = 1000000000000, expected an integer in [1, 1,000,000]"),
    ("period-tiny", ["run", "--period-us", "1e-6", *TINY],
     "period_us = 1e-06, expected a finite number >= 1"),
    ("bandwidth-tiny", ["run", "--bandwidth-gbps", "1e-300", *TINY],
     "bandwidth_gbps = 1e-300, expected a finite number >= 0.1"),
    ("hardware-too-many-sas", ["run", "--hardware", "{tmp}/many_sas.toml", *TINY],
     "count = 100000, expected at most 256"),
    ("grid-huge-range", ["sweep", "--grid", "seed=1..1000000000", "--out", "{tmp}/s.csv"],
     "range '1..1000000000' has 1,000,000,000 values, more than a grid may have"),
    ("grid-huge-product", ["sweep", "--grid", "seed=1..1000;requests=1..1000", "--out",
                           "{tmp}/s.csv"], "has 1,000,000 points, more than 100,000"),
    # 3. outputs into places that cannot be written: refused before the run
    ("json-read-only", ["run", "--json", "/proc/x.json", *TINY],
     "--json '/proc/x.json' cannot be written"),
    ("json-directory", ["run", "--json", "{tmp}", *TINY], "is a directory, expected a file path"),
    ("trace-read-only", ["run", "--trace", "/proc/t.csv", *TINY],
     "--trace '/proc/t.csv' cannot be written"),
    ("chrome-trace-read-only", ["run", "--chrome-trace", "/proc/c.json", *TINY],
     "--chrome-trace '/proc/c.json' cannot be written"),
    ("gantt-read-only", ["run", "--gantt", "/proc/g.png", *TINY],
     "--gantt '/proc/g.png' cannot be written"),
    ("jobs-directory", ["run", "--jobs", "{tmp}", *TINY], "is a directory, expected a file path"),
    ("json-and-trace-same-file", ["run", "--json", "{tmp}/a.out", "--trace", "{tmp}/a.out",
                                  *TINY], "--json and --trace both name"),
    ("compare-out-read-only", ["compare", "--policies", "fcfs-h", "--out", "/proc/cmp", *TINY],
     "--out: file '/proc/cmp/compare.json' cannot be written"),
    ("compare-out-is-a-file", ["compare", "--policies", "fcfs-h", "--out", "{tmp}/broken.toml",
                               *TINY], "is a file, expected a directory"),
    ("sweep-out-read-only", ["sweep", "--grid", "seed=1", "--out", "/proc/s.csv", *TINY],
     "results file '/proc/s.csv' cannot be written"),
    ("sweep-out-unknown-format", ["sweep", "--grid", "seed=1", "--out", "{tmp}/s.txt", *TINY],
     "unknown format, expected a file ending in .csv, .csv.gz, .parquet"),
    ("sweep-out-exists", ["sweep", "--grid", "seed=1", "--out", "{tmp}/" + GOOD_CSV, *TINY],
     "exists: pass --resume to run only its missing points, or name a new file"),
    ("reproduce-out-read-only", ["reproduce", "relmas", "--out", "/proc/repro"],
     "--out: file '/proc/repro/summary.json' cannot be written"),
    # 4. --resume over files that are not what they seem
    ("resume-binary", ["sweep", "--grid", "seed=1", "--out", "{tmp}/binary.csv", "--resume",
                       *TINY], "cannot be read as a table"),
    ("resume-empty", ["sweep", "--grid", "seed=1", "--out", "{tmp}/empty.csv", "--resume",
                      *TINY], "cannot be read as a table"),
    ("resume-other-table", ["sweep", "--grid", "seed=1", "--out", "{tmp}/other.csv",
                            "--resume", *TINY], "lacks column(s) policy, workload"),
    ("resume-wrong-key", ["sweep", "--grid", "seed=1", "--out", "{tmp}/wrong_key.csv",
                          "--resume", *TINY], "row 2: point_key '0000000000000000' is not the key"),
    ("resume-damaged-value", ["sweep", "--grid", "seed=1", "--out", "{tmp}/bad_value.csv",
                              "--resume", *TINY], "row 2: load = -1.0, expected a finite number"),
    ("resume-missing-result", ["sweep", "--grid", "seed=1", "--out", "{tmp}/no_result.csv",
                               "--resume", *TINY], "do not add up to its 2 requests"),
    # 6. commands and options
    ("policies-repeated", ["compare", "--policies", "fcfs-h,fcfs-h", *TINY],
     "names 'fcfs-h' twice"),
    ("policies-empty-entry", ["compare", "--policies", "fcfs-h,", *TINY], "has an empty entry"),
    ("policies-empty", ["compare", "--policies", "", *TINY], "--policies is empty"),
    ("compare-checkpoint-without-relmas", ["compare", "--policies", "fcfs-h", "--checkpoint",
                                           "x.pt", *TINY],
     "--checkpoint is for the relmas policy, which --policies does not include (fcfs-h)"),
    ("compare-policy-not-fitting", ["compare", "--policies", "fcfs-h,relmas", "--hardware",
                                    "{tmp}/two_sas.toml", "--json", "{tmp}/c.json", *TINY],
     "RELMAS actor was trained for 6 SAs, the system has 2"),
    ("policy-option-not-run", ["compare", "--policies", "fcfs-h", "--policy-option",
                               "magma.generations=2", *TINY],
     "policy 'magma' is not run here (runs: fcfs-h)"),
    ("policy-option-unknown-key", ["run", "--policy", "magma", "--policy-option",
                                   "magma.colour=1", *TINY],
     "unknown option of magma 'colour' (known: elite_ratio, generations, "),
    ("policy-option-bad-value", ["run", "--policy", "magma", "--policy-option",
                                 "magma.generations=abc", *TINY],
     "magma: generations = 'abc', expected an integer >= 0"),
    ("policy-option-unknown-policy", ["run", "--policy-option", "nope.x=1", *TINY],
     "unknown policy 'nope'"),
    ("policy-option-malformed", ["run", "--policy-option", "generations=20", *TINY],
     "expected POLICY.KEY=VALUE"),
    ("ray-address-without-ray", ["sweep", "--grid", "seed=1", "--out", "{tmp}/s.csv",
                                 "--ray-address", "auto", *TINY],
     "--ray-address is for --backend ray"),
    ("reproduce-policies-repeated", ["reproduce", "relmas", "--out", "{tmp}/r", "--policies",
                                     "fcfs-h,fcfs-h"], "distinct policies, without empty"),
    ("models-show-unknown", ["models", "show", "lenet"], "unknown model 'lenet'"),
]

RAY_CASE = ("ray-address-unreachable", ["sweep", "--grid", "seed=1", "--out", "{tmp}/s.csv",
                                        "--backend", "ray", "--ray-address", "127.0.0.1:1",
                                        *TINY], "nothing answers at 127.0.0.1:1")

HARDWARE = {
    "broken.toml": "this is not toml [",
    "inf_bw.toml": "dram_bandwidth_gbps = inf\n[[sub_accelerator]]\npreset = 'simba_small'\n",
    "zero_pes.toml": "[[sub_accelerator]]\npreset = 'simba_small'\npes = 0\n",
    "many_sas.toml": "[[sub_accelerator]]\npreset = 'simba_small'\ncount = 100000\n",
    "two_sas.toml": "[[sub_accelerator]]\npreset = 'simba_small'\ncount = 2\n",
}


def make_files(tmp: Path) -> None:
    """Hardware files, and results files for --resume: a good one and damaged copies."""
    for name, text in HARDWARE.items():
        (tmp / name).write_text(text)
    assert main(["sweep", "--grid", "seed=1", "--out", str(tmp / GOOD_CSV), "--workers", "1",
                 *TINY]) == 0
    good = (tmp / GOOD_CSV).read_text()
    header, row = good.splitlines()[:2]
    (tmp / "binary.csv").write_bytes(bytes(range(256)) * 4)
    (tmp / "empty.csv").write_text("")
    (tmp / "other.csv").write_text("a,b\n1,2\n")
    key = row.split(",")[header.split(",").index("point_key")]
    (tmp / "wrong_key.csv").write_text(good.replace(key, "0000000000000000"))
    columns = header.split(",")
    cells = row.split(",")
    cells[columns.index("load")] = "-1.0"
    (tmp / "bad_value.csv").write_text(f"{header}\n{','.join(cells)}\n")
    cells = row.split(",")
    cells[columns.index("met")] = ""
    (tmp / "no_result.csv").write_text(f"{header}\n{','.join(cells)}\n")


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("bad_inputs")
    make_files(tmp)
    return tmp


def _snapshot(tmp: Path) -> dict[str, float]:
    return {str(p): p.stat().st_mtime for p in tmp.rglob("*")}


@pytest.mark.parametrize(("args", "message"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
        args: list[str], message: str, files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = _snapshot(files)
    argv = [a.format(tmp=files) for a in args]
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own usage errors
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    *usage, last = err.strip().splitlines()
    assert message.format(tmp=files) in last and "error: " in last
    assert all(line.startswith(("usage:", " ")) for line in usage)  # argparse's usage only
    assert _snapshot(files) == before  # nothing written, nothing changed


def test_an_unreachable_ray_address_is_refused_quickly(
        files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("ray")
    _, args, message = RAY_CASE
    assert main([a.format(tmp=files) for a in args]) == 2
    assert message in capsys.readouterr().err


def test_there_are_at_least_forty_cases() -> None:
    assert len(CASES) >= 40
    assert len({c[0] for c in CASES}) == len(CASES)


def test_read_only_places_hold_for_root_too() -> None:
    # /proc takes no new file even for root, which is what CI runs as.
    assert not os.access("/proc", os.W_OK) or os.geteuid() == 0
