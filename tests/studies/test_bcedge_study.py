"""``mas-sim reproduce bcedge``: a tiny study runs end to end; the best fixed size comes from the
validation seeds; the verdict is paired over seeds."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mas_sim.studies.bcedge import (
    BEST_FIXED,
    QUICK,
    best_fixed,
    reproduce_bcedge,
    smaller,
    target_verdict,
    with_best_fixed,
)


def test_tiny_study_writes_every_file(tmp_path: Path) -> None:
    config = smaller(QUICK, requests=6, loads=(0.5, 2.0), test_seeds=(200, 201),
                     validation_seeds=(300,), workloads=("light",))
    report = reproduce_bcedge(tmp_path, config, workers=1, progress=False)
    names = {p.name for p in report.files}
    assert {"summary.csv", "best_fixed.csv", "fig_utility.png", "fig_slo.png",
            "fig_tradeoff.png", "verdict.md", "study.json"} <= names
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert set(summary["batching"]) >= {"none", BEST_FIXED, "fixed-2", "timeout", "clipper"}
    assert (summary[summary["metric"] == "utility"]["n"] == 2).all()
    # resuming runs nothing again
    again = reproduce_bcedge(tmp_path, config, workers=1, progress=False)
    assert {p.name for p in again.files} == names


def frame(rows: list[tuple[str, str, float, int, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["batching", "workload", "load", "seed", "utility",
                                       "slo_violation_rate"])


def test_best_fixed_is_chosen_on_validation_and_reported_on_test() -> None:
    valid = frame([("fixed-2", "mixed", 1.0, 9, 5.0, 0.1), ("fixed-4", "mixed", 1.0, 9, 7.0, 0.1)])
    test = frame([("fixed-2", "mixed", 1.0, 1, 100.0, 0.1), ("fixed-4", "mixed", 1.0, 1, 1.0, 0.1)])
    best = best_fixed(valid)
    assert best["best_fixed"].tolist() == ["fixed-4"]
    out = with_best_fixed(test, best)
    assert out[out["batching"] == BEST_FIXED]["utility"].tolist() == [1.0]


def test_verdict_is_paired_over_seeds() -> None:
    rows = []
    for seed, (u_b, u_f, u_c, u_n, v_b, v_n) in enumerate(
            [(10, 8, 9, 5, 0.1, 0.2), (12, 9, 8, 6, 0.1, 0.2), (11, 10, 9, 4, 0.1, 0.2)]):
        rows += [("bcedge", "mixed", 1.0, seed, u_b, v_b),
                 (BEST_FIXED, "mixed", 1.0, seed, u_f, 0.1),
                 ("clipper", "mixed", 1.0, seed, u_c, 0.1),
                 ("none", "mixed", 1.0, seed, u_n, v_n)]
    verdict = target_verdict(frame(rows))
    row = verdict.iloc[0]
    assert row["batching_matters"]
    assert row["utility_vs_best-fixed"] == pytest.approx(2.0)
    assert row["utility_vs_clipper"] == pytest.approx(7 / 3)
    assert row["slo_viol_vs_none"] == pytest.approx(-0.1)
    assert row["target_holds"]
