"""``mas-sim reproduce bcedge``: adaptive batching against load, BCEdge against its baselines.

For every workload set (light, heavy, mixed) and load level, every batching policy runs with
EDF-H as the layer policy on the held-out *test* seeds: ``none`` (no batching), ``fixed-<b>``
for b in 2, 4, 8, 16, ``timeout`` (Triton's dynamic batcher), ``clipper`` (AIMD) and ``bcedge``
(where a checkpoint for the workload exists). The **best fixed b** is chosen per (workload,
load) on separate *validation* seeds (never on the test seeds) and reported as ``best-fixed``.

Outputs (``out`` folder; runs resume from ``runs.csv``):

- ``summary.csv``: per workload x load x policy, mean and 95 % CI over test seeds of the
  utility, throughput, p99 latency and SLO violation rate (and energy per inference, batch
  size);
- ``fig_utility.png``, ``fig_slo.png``: utility and SLO violations against load, per workload;
  ``fig_tradeoff.png``: throughput against p99 latency on mixed, one point per policy and load;
- ``verdict.csv`` / ``verdict.md``: on mixed, at the loads where batching matters (where the
  best batching policy's mean utility beats ``none``'s), BCEdge's paired difference (same seeds)
  of utility against the best fixed b and against Clipper, and of the SLO violation rate against
  ``none``, each with its 95 % CI, and whether the target holds;
- ``best_fixed.csv``: the fixed size chosen per (workload, load) and its validation utility.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from mas_sim.core.errors import ConfigError
from mas_sim.core.files import atomic_path, atomic_write_text
from mas_sim.runs.experiment import Point
from mas_sim.runs.sweep import run_sweep
from mas_sim.studies.stats import mean_ci, summarise

WORKLOADS: tuple[str, ...] = ("light", "heavy", "mixed")
FIXED: tuple[str, ...] = ("fixed-2", "fixed-4", "fixed-8", "fixed-16")
ADAPTIVE: tuple[str, ...] = ("timeout", "clipper", "bcedge")
METRICS: tuple[str, ...] = ("utility", "throughput_per_s", "latency_p99_s",
                            "slo_violation_rate", "energy_per_inference_j", "mean_batch_size")
BEST_FIXED = "best-fixed"


@dataclass(frozen=True)
class BatchingStudy:
    """Size of the study."""

    requests: int = 200
    """Requests per run."""
    loads: tuple[float, ...] = (0.25, 0.5, 1.0, 1.5, 2.0)
    """Load factors rho."""
    test_seeds: tuple[int, ...] = (200, 201, 202, 203, 204)
    """Held-out seeds every reported number comes from."""
    validation_seeds: tuple[int, ...] = (300, 301)
    """Seeds that choose the best fixed batch size."""
    workloads: tuple[str, ...] = WORKLOADS
    layer_policy: str = "edf-h"
    """The layer scheduler under every batching policy."""

    def __post_init__(self) -> None:
        if set(self.test_seeds) & set(self.validation_seeds):
            raise ConfigError("test and validation seeds overlap")
        if len(self.loads) < 1 or len(self.test_seeds) < 2:
            raise ConfigError("the study needs at least one load and two test seeds")


QUICK = BatchingStudy(requests=40, test_seeds=(200, 201, 202), validation_seeds=(300,))
FULL = BatchingStudy()


def _point(batching: str, workload: str, load: float, seed: int,
           config: BatchingStudy) -> Point:
    return Point(policy=config.layer_policy, workload=workload, seed=seed,
                 requests=config.requests, load=load, batching=batching)


def available_policies(workload: str) -> tuple[str, ...]:
    """The batching policies run on ``workload`` (bcedge only with a checkpoint)."""
    from policies.batching.checkpoint import shipped_checkpoint

    bcedge = ("bcedge",) if shipped_checkpoint(workload).is_file() else ()
    return ("none", *FIXED, "timeout", "clipper", *bcedge)


@dataclass
class StudyReport:
    """What the study wrote and noted."""

    files: list[Path]
    notes: list[str]
    verdict: pd.DataFrame


def reproduce_bcedge(out_dir: str | Path = "results/bcedge", config: BatchingStudy = QUICK,
                     *, workers: int | None = None, progress: bool = True,
                     log: TextIO | None = None) -> StudyReport:
    """Run the study (module docstring) into ``out_dir``."""
    log = log or sys.stderr
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    points: list[Point] = []
    for w in config.workloads:
        names = available_policies(w)
        if "bcedge" not in names:
            notes.append(f"bcedge skipped on {w}: no checkpoint bcedge_{w}.pt")
        for load in config.loads:
            points += [_point(b, w, load, s, config) for b in names for s in config.test_seeds]
            points += [_point(b, w, load, s, config) for b in FIXED
                       for s in config.validation_seeds]
    start = time.perf_counter()
    run_sweep(points, out / "runs.csv", workers=workers, resume=True, progress=progress,
              log=log)
    runs = pd.read_csv(out / "runs.csv")
    runs["batching"] = runs["batching"].fillna("none")
    runs = runs[runs["requests"] == config.requests]
    test = runs[runs["seed"].isin(config.test_seeds)]
    valid = runs[runs["seed"].isin(config.validation_seeds)]
    best = best_fixed(valid)
    test = with_best_fixed(test, best)
    files = [_csv(best, out / "best_fixed.csv")]
    summary = pd.concat([summarise(test, ["workload", "load", "batching"], m).assign(metric=m)
                         for m in METRICS], ignore_index=True)
    files.append(_csv(summary, out / "summary.csv"))
    files += plots(out, summary)
    verdict = target_verdict(test)
    files.append(_csv(verdict, out / "verdict.csv"))
    files.append(_write(out / "verdict.md", verdict_markdown(verdict)))
    meta = {"config": asdict(config), "notes": notes, "wall_s": time.perf_counter() - start}
    files.append(_write(out / "study.json", json.dumps(meta, indent=2, default=str) + "\n"))
    return StudyReport(files, notes, verdict)


def best_fixed(valid: pd.DataFrame) -> pd.DataFrame:
    """Per (workload, load) the fixed size with the highest mean validation utility."""
    fixed = valid[valid["batching"].isin(FIXED)]
    means = fixed.groupby(["workload", "load", "batching"])["utility"].mean().reset_index()
    idx = means.groupby(["workload", "load"])["utility"].idxmax()
    return means.loc[idx].rename(columns={"batching": "best_fixed",
                                          "utility": "validation_utility"}).reset_index(drop=True)


def with_best_fixed(test: pd.DataFrame, best: pd.DataFrame) -> pd.DataFrame:
    """``test`` plus the rows of each (workload, load)'s best fixed size, as ``best-fixed``."""
    chosen = test.merge(best[["workload", "load", "best_fixed"]], on=["workload", "load"])
    chosen = chosen[chosen["batching"] == chosen["best_fixed"]].drop(columns="best_fixed")
    return pd.concat([test, chosen.assign(batching=BEST_FIXED)], ignore_index=True)


def paired(test: pd.DataFrame, workload: str, load: float, a: str, b: str,
           metric: str) -> tuple[float, float, int]:
    """Mean and 95 % CI half-width of ``metric``(a) - ``metric``(b) over the seeds both ran."""
    rows = test[(test["workload"] == workload) & (test["load"] == load)]
    x = rows[rows["batching"] == a].set_index("seed")[metric]
    y = rows[rows["batching"] == b].set_index("seed")[metric]
    d = (x - y).dropna()
    mean, ci = mean_ci(d.to_numpy())
    return mean, ci, len(d)


def target_verdict(test: pd.DataFrame, workload: str = "mixed") -> pd.DataFrame:
    """BCEdge against the best fixed b and Clipper (utility) and against none (SLO
    violations), paired over seeds, at every load of ``workload``; ``matters`` marks the loads
    where some batching policy's mean utility beats ``none``'s."""
    rows: list[dict[str, Any]] = []
    w = test[test["workload"] == workload]
    if "bcedge" not in set(w["batching"]):
        return pd.DataFrame(rows)
    for load in sorted(w["load"].unique()):
        at = w[w["load"] == load]
        means = at.groupby("batching")["utility"].mean()
        matters = bool(means.drop(["none", BEST_FIXED], errors="ignore").max() > means["none"])
        row: dict[str, Any] = {"workload": workload, "load": load, "batching_matters": matters}
        for other in (BEST_FIXED, "clipper"):
            m, ci, n = paired(w, workload, load, "bcedge", other, "utility")
            row[f"utility_vs_{other}"], row[f"utility_vs_{other}_ci95"] = m, ci
            row[f"utility_vs_{other}_pct"] = 100.0 * m / abs(means[other]) \
                if means[other] else np.nan
            row["seeds"] = n
        m, ci, _ = paired(w, workload, load, "bcedge", "none", "slo_violation_rate")
        row["slo_viol_vs_none"], row["slo_viol_vs_none_ci95"] = m, ci
        row["target_holds"] = bool(row[f"utility_vs_{BEST_FIXED}"] > 0
                                   and row["utility_vs_clipper"] > 0 and m <= 0)
        rows.append(row)
    return pd.DataFrame(rows)


def verdict_markdown(verdict: pd.DataFrame) -> str:
    """The verdict as a markdown table (differences: BCEdge minus the other, 95 % CI)."""
    if verdict.empty:
        return "No BCEdge runs (no checkpoint for mixed): no verdict.\n"
    lines = ["| load | batching matters | utility vs best fixed | vs Clipper | SLO viol. vs none "
             "| target holds |", "|---|---|---|---|---|---|"]
    for r in verdict.to_dict("records"):
        lines.append(
            f"| {r['load']:g} | {'yes' if r['batching_matters'] else 'no'} "
            f"| {r['utility_vs_best-fixed']:+.1f} ± {r['utility_vs_best-fixed_ci95']:.1f} "
            f"| {r['utility_vs_clipper']:+.1f} ± {r['utility_vs_clipper_ci95']:.1f} "
            f"| {100 * r['slo_viol_vs_none']:+.1f} ± {100 * r['slo_viol_vs_none_ci95']:.1f} pp "
            f"| {'yes' if r['target_holds'] else 'no'} |")
    return "\n".join(lines) + "\n"


ORDER = ("none", BEST_FIXED, *FIXED, *ADAPTIVE)


def plots(out: Path, summary: pd.DataFrame) -> list[Path]:
    """Utility and SLO violations against load per workload; mixed's throughput-latency."""
    files = []
    for metric, name, ylabel in (("utility", "fig_utility.png", "utility (inferences/s)"),
                                 ("slo_violation_rate", "fig_slo.png", "SLO violation rate")):
        data = summary[summary["metric"] == metric]
        workloads = [w for w in WORKLOADS if w in set(data["workload"])]
        fig = Figure(figsize=(4.2 * len(workloads), 3.4))
        FigureCanvasAgg(fig)
        for i, w in enumerate(workloads):
            ax = fig.add_subplot(1, len(workloads), i + 1)
            for b in ORDER:
                d = data[(data["workload"] == w) & (data["batching"] == b)].sort_values("load")
                if len(d) and b not in FIXED:
                    ax.errorbar(d["load"], d["mean"], yerr=d["ci95"].fillna(0), marker="o",
                                capsize=2, label=b)
            ax.set_title(w)
            ax.set_xlabel("load factor")
            ax.set_ylabel(ylabel)
        fig.axes[-1].legend(fontsize=7)
        fig.tight_layout()
        files.append(_save(fig, out / name))
    files.append(tradeoff_plot(out / "fig_tradeoff.png", summary))
    return files


def tradeoff_plot(path: Path, summary: pd.DataFrame, workload: str = "mixed") -> Path:
    """Throughput against p99 latency, one line per policy through its loads."""
    fig = Figure(figsize=(5.5, 4))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    s = summary[summary["workload"] == workload]
    for b in ORDER:
        thr = s[(s["batching"] == b) & (s["metric"] == "throughput_per_s")].sort_values("load")
        p99 = s[(s["batching"] == b) & (s["metric"] == "latency_p99_s")].sort_values("load")
        if len(thr) and len(p99) and b not in FIXED:
            ax.plot(p99["mean"].to_numpy() * 1e3, thr["mean"], marker="o", label=b)
    ax.set_xlabel("p99 latency (ms)")
    ax.set_ylabel("throughput (inferences/s)")
    ax.set_title(f"throughput-latency trade-off ({workload}, loads rising)")
    if ax.lines:
        ax.legend(fontsize=7)
    fig.tight_layout()
    return _save(fig, path)


def _save(fig: Figure, path: Path) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    return path


def _csv(frame: pd.DataFrame, path: Path) -> Path:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)
    return path


def _write(path: Path, text: str) -> Path:
    atomic_write_text(path, text)
    return path


def smaller(config: BatchingStudy, **fields: Any) -> BatchingStudy:
    """``config`` with ``fields`` replaced (for notebooks and tests)."""
    return replace(config, **fields)


def loads_of(values: Sequence[float]) -> tuple[float, ...]:
    """Positive load factors, checked."""
    loads = tuple(float(v) for v in values)
    if not loads or any(not v > 0 for v in loads):
        raise ConfigError(f"loads = {values!r}, expected positive numbers")
    return loads
