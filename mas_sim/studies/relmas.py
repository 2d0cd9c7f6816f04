"""``mas-sim reproduce relmas``: RELMAS (DAC 2024) Fig. 3, 4, 5 and a MoCA-style table.

Every run is a sweep point (:mod:`mas_sim.runs.sweep`, local backend), written to ``*_runs.csv`` in
the output folder; a second call resumes from those files. Outputs:

- ``fig3_sla.{csv,png}``: SLA satisfaction per workload x QoS x policy, mean and 95 % CI over
  seeds, with the offline bound (:func:`mas_sim.runs.bound.offline_bound`) where the instances are
  small enough (``bound_max_requests``), else "n/a"; ``fig3_geomean.csv``: the geometric mean
  over the nine scenarios and RELMAS's gain over each baseline (the paper's headline numbers).
- ``fig4_bandwidth.{csv,png}``: SLA satisfaction normalised to each policy's best, light
  workload, as DRAM bandwidth shrinks.
- ``fig5_relmas.{csv,png}``: RELMAS's SLA and scheduler energy overhead against hidden size and
  scheduling period (shipped checkpoints only), or ``fig5_NOTE.txt`` saying why not.
- ``moca_table.{csv,md}``: STP, ANTT and fairness per policy over all Fig. 3 runs.
- ``summary.json``: the configuration, notes (what was skipped and why) and wall times.

RELMAS is included only where ``policies.make("relmas", workload=..., qos=...)`` succeeds
(a shipped checkpoint exists); otherwise the reason is written into the notes.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from mas_sim.core.errors import ConfigError
from mas_sim.core.files import atomic_path, atomic_write_text
from mas_sim.core.units import us_to_cycles
from mas_sim.runs.experiment import Point, policy_unavailable
from mas_sim.runs.sweep import map_points, read_results, run_sweep
from mas_sim.studies.stats import geomean, summarise

WORKLOADS: tuple[str, ...] = ("light", "heavy", "mixed")
QOS: tuple[str, ...] = ("low", "medium", "high")
#: Fig. 3 policies, the paper's five first, then ours.
POLICIES: tuple[str, ...] = ("fcfs-h", "prema-h", "herald", "magma", "relmas", "edf-h", "llf-h",
                             "moca", "edf-ac-h")
BASELINES: tuple[str, ...] = ("herald", "prema-h", "magma", "fcfs-h")
"""Policies RELMAS's gain is reported against (the paper's claims)."""
LABELS: dict[str, str] = {"fcfs-h": "FCFS-H", "prema-h": "PREMA-H", "herald": "Herald-like",
                          "magma": "MAGMA", "relmas": "RELMAS", "edf-h": "EDF-H",
                          "llf-h": "LLF-H", "moca": "MoCA-like", "edf-ac-h": "EDF-AC-H"}
HIDDEN_CANDIDATES: tuple[int, ...] = (16, 32, 64, 128, 256, 512)
"""Hidden sizes Fig. 5 looks for among the shipped checkpoints."""


@dataclass(frozen=True)
class ReproConfig:
    """Size of a reproduction."""

    requests: int
    """Requests per run."""
    seeds: tuple[int, ...]
    """Seeds of every scenario (the CI is over these)."""
    magma: tuple[tuple[str, Any], ...]
    """MAGMA's options (generations, population): the search is the cost of the whole run."""
    bandwidths_gbps: tuple[float, ...] = (16.0, 12.0, 8.0, 6.0, 4.0, 2.0)
    """Fig. 4 DRAM bandwidths, GB/s."""
    periods_us: tuple[float, ...] = (50.0, 100.0, 200.0)
    """Fig. 5 scheduling periods, microseconds."""
    fig5_scenario: tuple[str, str] = ("mixed", "medium")
    """Fig. 5 (workload, QoS)."""
    bound_max_requests: int = 30
    """Offline bound only for instances of at most this many requests (else n/a)."""
    bound_time_limit_s: float = 10.0
    """CP-SAT time limit per instance, seconds (past it: the proven bound, still an upper
    bound, and ``bound_optimal`` False)."""
    bound_resolution_cycles: float = 1000.0
    """Time unit of the bound's integer model, cycles (a coarser unit is a looser bound)."""
    policies: tuple[str, ...] = POLICIES
    """Fig. 3 / 4 policies, a subset of :data:`POLICIES` (Fig. 5 runs only if RELMAS is one)."""

    def __post_init__(self) -> None:
        unknown = [p for p in self.policies if p not in POLICIES]
        if unknown or not self.policies:
            raise ConfigError(f"reproduction policies {list(self.policies)}: expected a "
                              f"non-empty subset of {list(POLICIES)}")


QUICK = ReproConfig(requests=20, seeds=(1, 2, 3),
                    magma=(("generations", 4), ("population", 10)))
"""``--quick``: 20 requests, 3 seeds, MAGMA's search cut to 4 generations x 10 individuals
(its measured wall time is in the README)."""
FULL = ReproConfig(requests=200, seeds=(1, 2, 3, 4, 5),
                   magma=(("generations", 100), ("population", 100)))
"""The full run, MAGMA at the paper's 100 generations x 100 individuals (hours: RESULTS.md)."""


@dataclass
class ReproReport:
    """What :func:`reproduce_relmas` produced."""

    out_dir: Path
    """The results folder."""
    files: list[Path] = field(default_factory=list)
    """Files written."""
    notes: list[str] = field(default_factory=list)
    """What was skipped or approximated, and why."""
    wall_s: float = 0.0
    """Wall time of the whole reproduction, seconds."""


def reproduce_relmas(out_dir: str | Path = "results/relmas", config: ReproConfig = QUICK, *,
                     workers: int | None = None, backend: str = "local",
                     ray_address: str | None = None, progress: bool = True,
                     log: TextIO | None = None, draw_only: bool = False) -> ReproReport:
    """Run every point of the RELMAS reproduction (resuming from ``out_dir``) and write the
    figures, tables and ``summary.json`` there.

    ``backend`` / ``ray_address`` / ``workers`` are those of :func:`mas_sim.runs.sweep.run_sweep`:
    ``backend="ray"`` with a cluster's address spreads the full run's points over its nodes.
    ``draw_only``: run nothing; draw from the points already in ``out_dir``'s run files (a run
    made in parts, part of it still missing; the notes say how many).
    """
    log = log if log is not None else sys.stderr
    start = time.perf_counter()
    out = Path(out_dir)
    report = ReproReport(out)
    relmas_ok = _relmas_scenarios(report)
    magma = {"magma": dict(config.magma)}

    def sweep(name: str, points: list[Point]) -> pd.DataFrame:
        print(f"reproduce: {name}: {len(points)} points", file=log)
        path = out / f"{name}_runs.csv"
        keys = {p.key() for p in points}
        if draw_only:
            if not path.exists():
                raise ConfigError(f"--draw-only: no run file {str(path)!r}")
            table = read_results(path)
            table = table[table["point_key"].isin(keys)]
            if len(table) < len(keys):
                report.notes.append(f"{name}: drawn from {len(table)} of {len(keys)} points "
                                    f"({len(keys) - len(table)} not run yet)")
            return table
        res = run_sweep(points, path, backend=backend, workers=workers,
                        ray_address=ray_address, resume=True, progress=progress, log=log)
        report.files.append(path)
        return res.table[res.table["point_key"].isin(keys)]

    # Fig. 3 -----------------------------------------------------------------------------------
    fig3 = sweep("fig3", fig3_points(config, relmas_ok))
    bounds = _bounds(config, report, backend=backend, workers=workers, ray_address=ray_address)
    report.files += _fig3(out, fig3, bounds, config, report)
    report.files += _moca_table(out, fig3)

    # Fig. 4 -----------------------------------------------------------------------------------
    fig4 = sweep("fig4", fig4_points(config, relmas_ok))
    report.files += _fig4(out, fig4, config)

    # Fig. 5 (RELMAS only; a run split by policy draws it in the part that has RELMAS) --------
    if "relmas" in config.policies:
        report.files += _fig5_sweep(out, config, magma, sweep, report)

    report.wall_s = time.perf_counter() - start
    extra: dict[str, Any] = {}
    if config.requests < FULL.requests and len(fig3) and len(fig4):
        n = workers or os.cpu_count() or 1
        extra["full_estimate_s"] = estimate_full_wall_s([fig3, fig4], config, FULL, n)
        extra["full_estimate_how"] = (
            "extrapolated from this run's measured point times (fig3 + fig4): linear in "
            "requests, seeds and MAGMA generations x population, divided by the workers")
    report.files.append(_summary(out, config, report, workers, extra))
    print(f"reproduce: done in {report.wall_s:.0f} s; results in {out}", file=log)
    for note in report.notes:
        print(f"reproduce: note: {note}", file=log)
    return report


def _fig5_sweep(out: Path, config: ReproConfig, magma: Mapping[str, Any],
                sweep: Callable[[str, list[Point]], pd.DataFrame],
                report: ReproReport) -> list[Path]:
    """Fig. 5's points over the shipped hidden sizes and the periods, or a note if none ships."""
    w5, q5 = config.fig5_scenario
    hidden = [h for h in HIDDEN_CANDIDATES
              if policy_unavailable("relmas", workload=w5, qos=q5, hidden=h) is None]
    if hidden:
        fig5_points = [replace(_point("relmas", w5, q5, s, config, magma), hidden=h,
                               period=us_to_cycles(t))
                       for h in hidden for t in config.periods_us for s in config.seeds]
        return _fig5(out, sweep("fig5", fig5_points))
    why = policy_unavailable("relmas", workload=w5, qos=q5)
    note = (f"Fig. 5 not produced: no shipped RELMAS checkpoint for {w5}/{q5} at any hidden "
            f"size in {list(HIDDEN_CANDIDATES)} ({why}).")
    report.notes.append(note)
    return [atomic_write_text(out / "fig5_NOTE.txt", note + "\n")]


def fig3_points(config: ReproConfig, relmas_ok: set[tuple[str, str]]) -> list[Point]:
    """Fig. 3's points: every policy on every (workload, QoS) and seed (RELMAS only on the
    scenarios of ``relmas_ok``, those with a checkpoint)."""
    magma = {"magma": dict(config.magma)}
    return [_point(policy, w, q, s, config, magma)
            for w in WORKLOADS for q in QOS for policy in config.policies for s in config.seeds
            if policy != "relmas" or (w, q) in relmas_ok]


def fig4_points(config: ReproConfig, relmas_ok: set[tuple[str, str]]) -> list[Point]:
    """Fig. 4's points: every policy on light / QoS-Medium at every DRAM bandwidth and seed."""
    magma = {"magma": dict(config.magma)}
    return [replace(_point(policy, "light", "medium", s, config, magma), bandwidth_gbps=bw)
            for policy in config.policies for bw in config.bandwidths_gbps for s in config.seeds
            if policy != "relmas" or ("light", "medium") in relmas_ok]


def _point(policy: str, workload: str, qos: str, seed: int, config: ReproConfig,
           options: Mapping[str, Mapping[str, Any]]) -> Point:
    return Point(policy=policy, workload=workload, qos=qos, seed=seed, requests=config.requests,
                 policy_options=tuple(options.get(policy, {}).items()))


def _relmas_scenarios(report: ReproReport) -> set[tuple[str, str]]:
    ok = set()
    missing: list[str] = []
    reason = ""
    for w in WORKLOADS:
        for q in QOS:
            why = policy_unavailable("relmas", workload=w, qos=q)
            if why is None:
                ok.add((w, q))
            else:
                missing.append(f"{w}/{q}")
                reason = reason or why
    if missing:
        report.notes.append(f"RELMAS left out of {len(missing)} of 9 scenarios "
                            f"({', '.join(missing)}); first reason: {reason}")
    return ok


# -- offline bound -------------------------------------------------------------------------------
def bound_task(task: tuple[str, str, int, int, float, float]) -> dict[str, Any]:
    """The offline bound of one (workload, qos, seed, requests) instance (a sweep task)."""
    from mas_sim.hardware import SystemSpec
    from mas_sim.runs.bound import workload_bound
    from mas_sim.workload.scenario import Scenario, build_workload

    workload, qos, seed, requests, limit, resolution = task
    system = SystemSpec.paper()
    wl = build_workload(system, Scenario(workload=workload, qos=qos, seed=seed,
                                         requests=requests))
    start = time.perf_counter()
    res = workload_bound(wl, system, time_limit_s=limit, max_requests=requests,
                         resolution_cycles=resolution)
    return {"workload": workload, "qos": qos, "seed": seed, "bound_sla": res.sla_satisfaction,
            "bound_optimal": res.optimal, "bound_wall_s": time.perf_counter() - start}


def _bounds(config: ReproConfig, report: ReproReport, *, backend: str, workers: int | None,
            ray_address: str | None) -> pd.DataFrame | None:
    if config.requests > config.bound_max_requests:
        report.notes.append(f"offline bound n/a: {config.requests} requests per run, more than "
                            f"{config.bound_max_requests} (CP-SAT would not finish)")
        return None
    try:
        import ortools  # noqa: F401
    except ImportError:
        report.notes.append("offline bound n/a: OR-Tools is not installed (extra 'exact')")
        return None
    tasks = [(w, q, s, config.requests, config.bound_time_limit_s,
              config.bound_resolution_cycles)
             for w in WORKLOADS for q in QOS for s in config.seeds]
    rows = [row for _, row in map_points(bound_task, tasks, backend=backend, workers=workers,
                                         ray_address=ray_address)]
    frame = pd.DataFrame(rows).sort_values(["workload", "qos", "seed"], key=_order)
    if not frame["bound_optimal"].all():
        n = int((~frame["bound_optimal"]).sum())
        report.notes.append(f"offline bound: CP-SAT proved optimality on {len(frame) - n} of "
                            f"{len(frame)} instances in {config.bound_time_limit_s:g} s; the "
                            f"others show its proven upper bound (looser)")
    return frame


# -- figures and tables --------------------------------------------------------------------------
_RANK = {name: i for i, name in enumerate((*WORKLOADS, *QOS, *POLICIES))}


def _order(col: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(col):
        return col
    return col.map(lambda v: _RANK.get(v, len(_RANK)))


def _save(fig: Figure, path: Path) -> Path:
    FigureCanvasAgg(fig)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120, bbox_inches="tight")
    return path


def _csv(frame: pd.DataFrame, path: Path) -> Path:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)
    return path


def _fig3(out: Path, runs: pd.DataFrame, bounds: pd.DataFrame | None, config: ReproConfig,
          report: ReproReport) -> list[Path]:
    stats = summarise(runs, ["workload", "qos", "policy"], "sla_satisfaction")
    if bounds is not None:
        b = bounds.groupby(["workload", "qos"], sort=False).agg(
            bound_mean=("bound_sla", "mean"), bound_all_optimal=("bound_optimal", "all"))
        stats = stats.merge(b.reset_index(), on=["workload", "qos"], how="left")
    else:
        stats["bound_mean"] = "n/a"
    stats = stats.sort_values(["workload", "qos", "policy"], key=_order)
    files = [_csv(stats, out / "fig3_sla.csv")]
    if bounds is not None:
        files.append(_csv(bounds, out / "fig3_bound.csv"))

    # Geometric mean of the seed-mean SLA: over each policy's scenarios, and over the scenarios
    # every policy has (RELMAS may lack checkpoints for some); gains use the common ones.
    present = [p for p in POLICIES if p in set(stats["policy"])]
    scen = {p: set(map(tuple, stats.loc[stats["policy"] == p, ["workload", "qos"]].to_numpy()))
            for p in present}
    common = set.intersection(*scen.values()) if scen else set()
    keyed = stats.set_index(["workload", "qos", "policy"])["mean"]

    def geo_over(p: str, scenarios: set[tuple[str, str]]) -> float:
        return geomean([float(keyed[(w, q, p)]) for w, q in sorted(scenarios)])

    geo = {p: geo_over(p, common) for p in present}
    best = max(geo, key=lambda p: geo[p])
    ref = "relmas" if "relmas" in geo else best
    rows = [{"policy": p, "geomean_sla": geo_over(p, scen[p]), "scenarios": len(scen[p]),
             "geomean_sla_common": geo[p], "common_scenarios": len(common),
             f"gain_of_{ref}_pct": 100.0 * (geo[ref] / geo[p] - 1.0)} for p in present]
    files.append(_csv(pd.DataFrame(rows), out / "fig3_geomean.csv"))

    fig = Figure(figsize=(15, 4.2))
    axes = fig.subplots(1, len(WORKLOADS), sharey=True)
    width = 0.8 / len(present)
    for ax, w in zip(axes, WORKLOADS, strict=True):
        for i, p in enumerate(present):
            sub = stats[(stats["workload"] == w) & (stats["policy"] == p)].set_index("qos")
            sub = sub.reindex(list(QOS))
            x = np.arange(len(QOS)) + (i - (len(present) - 1) / 2) * width
            ax.bar(x, sub["mean"], width, yerr=np.nan_to_num(sub["ci95"].to_numpy(float)),
                   capsize=2, label=LABELS.get(p, p))
        if bounds is not None:
            sb = stats[stats["workload"] == w].groupby("qos")["bound_mean"].first()
            sb = sb.reindex(list(QOS)).astype(float)
            for j, v in enumerate(sb):
                ax.hlines(v, j - 0.45, j + 0.45, colors="black", linestyles="dashed",
                          label="offline bound" if j == 0 else None)
        ax.set_xticks(range(len(QOS)), [f"QoS-{q.capitalize()}" for q in QOS])
        ax.set_title(f"{w} workload")
        ax.set_ylim(0, 1.05)
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("SLA satisfaction (mean, 95 % CI)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=len(labels), frameon=False,
               bbox_to_anchor=(0.5, 1.06))
    fig.suptitle(f"Fig. 3: {config.requests} requests, {len(config.seeds)} seeds", y=-0.02)
    files.append(_save(fig, out / "fig3_sla.png"))
    return files


def _fig4(out: Path, runs: pd.DataFrame, config: ReproConfig) -> list[Path]:
    stats = summarise(runs, ["policy", "bandwidth_gbps"], "sla_satisfaction")
    best = stats.groupby("policy")["mean"].transform("max")
    stats["normalised"] = np.where(best > 0, stats["mean"] / best, np.nan)
    stats["normalised_ci95"] = np.where(best > 0, stats["ci95"] / best, np.nan)
    stats = stats.sort_values(["policy", "bandwidth_gbps"], key=_order)
    files = [_csv(stats, out / "fig4_bandwidth.csv")]
    fig = Figure(figsize=(7, 4.2))
    ax = fig.subplots()
    for p in [p for p in POLICIES if p in set(stats["policy"])]:
        sub = stats[stats["policy"] == p].sort_values("bandwidth_gbps")
        ax.errorbar(sub["bandwidth_gbps"], sub["normalised"],
                    yerr=np.nan_to_num(sub["normalised_ci95"].to_numpy(float)), marker="o",
                    capsize=2, label=LABELS.get(p, p))
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(config.bandwidths_gbps), [f"{b:g}" for b in config.bandwidths_gbps])
    ax.invert_xaxis()
    ax.set_xlabel("DRAM bandwidth (GB/s)")
    ax.set_ylabel("SLA satisfaction / policy's best")
    ax.set_ylim(0, 1.15)  # the CI of a normalised mean can exceed [0, 1]: clip the view
    ax.set_title("Fig. 4: light workload, QoS-Medium")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    files.append(_save(fig, out / "fig4_bandwidth.png"))
    return files


def _fig5(out: Path, runs: pd.DataFrame) -> list[Path]:
    sla = summarise(runs, ["hidden", "period_us"], "sla_satisfaction")
    energy = summarise(runs, ["hidden", "period_us"], "scheduler_energy_overhead")
    stats = sla.merge(energy, on=["hidden", "period_us", "n"], suffixes=("_sla", "_overhead"))
    files = [_csv(stats, out / "fig5_relmas.csv")]
    fig = Figure(figsize=(11, 4))
    ax1, ax2 = fig.subplots(1, 2)
    for t, sub in stats.groupby("period_us"):
        sub = sub.sort_values("hidden")
        ax1.errorbar(sub["hidden"], sub["mean_sla"], yerr=np.nan_to_num(sub["ci95_sla"]),
                     marker="o", capsize=2, label=f"Ts = {t:g} us")
        ax2.plot(sub["hidden"], 100 * sub["mean_overhead"], marker="o", label=f"Ts = {t:g} us")
    for ax in (ax1, ax2):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("RELMAS hidden size")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    ax1.set_ylabel("SLA satisfaction")
    ax2.set_ylabel("scheduler energy overhead (%)")
    fig.suptitle("Fig. 5: RELMAS hidden size and scheduling period")
    files.append(_save(fig, out / "fig5_relmas.png"))
    return files


def _moca_table(out: Path, runs: pd.DataFrame) -> list[Path]:
    metrics = ["sla_satisfaction", "stp", "antt", "fairness", "fairness_priority_weighted"]
    table = runs.groupby("policy")[metrics].mean().reset_index()
    table = table.sort_values("policy", key=_order)
    reference = table[table["policy"] == "fcfs-h"]
    if len(reference):
        for m in ("sla_satisfaction", "stp", "fairness"):
            table[f"{m}_vs_fcfs_h"] = table[m] / float(reference[m].iloc[0])
    md = ["| policy | SLA | STP | ANTT | fairness | PP fairness |", "|---|---|---|---|---|---|"]
    for _, r in table.iterrows():
        md.append(f"| {LABELS.get(r['policy'], r['policy'])} | {r['sla_satisfaction']:.1%} | "
                  f"{r['stp']:.2f} | {r['antt']:.2f} | {r['fairness']:.2f} | "
                  f"{r['fairness_priority_weighted']:.2f} |")
    return [_csv(table, out / "moca_table.csv"),
            atomic_write_text(out / "moca_table.md", "\n".join(md) + "\n")]


def _summary(out: Path, config: ReproConfig, report: ReproReport, workers: int | None,
             extra: Mapping[str, Any]) -> Path:
    payload = {"config": {k: (dict(v) if k == "magma" else v)
                          for k, v in asdict(config).items()},
               "workers": workers, "wall_s": report.wall_s, "notes": report.notes,
               "files": sorted(str(f.relative_to(out)) for f in report.files
                               if f.is_relative_to(out))}
    payload.update(extra)
    return atomic_write_text(out / "summary.json", json.dumps(payload, indent=2,
                                                              default=_json_default) + "\n")


def _json_default(value: object) -> object:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return str(value)


def estimate_full_wall_s(runs: Sequence[pd.DataFrame], quick: ReproConfig, full: ReproConfig,
                         workers: int) -> float:
    """Wall time of the full run extrapolated from quick runs' measured point times: linear in
    requests, seeds and (for MAGMA) generations x population, divided by ``workers``."""
    q_evals = dict(quick.magma)["generations"] * dict(quick.magma)["population"]
    f_evals = dict(full.magma)["generations"] * dict(full.magma)["population"]
    scale = (full.requests / quick.requests) * (len(full.seeds) / len(quick.seeds))
    total = 0.0
    for frame in runs:
        magma = frame["policy"] == "magma"
        total += float(frame.loc[~magma, "point_wall_s"].sum()) * scale
        total += float(frame.loc[magma, "point_wall_s"].sum()) * scale * f_evals / q_evals
    return total / workers
