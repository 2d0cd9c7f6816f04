"""Tenant targets and arrival processes: policies x arrivals x seeds, one CSV row per run.

An experiment script (not a test). Every run has the same tenants (``--targets``, default two at
0.95, three at 0.8, three at 0.6) on the same scenario; the table printed at the end gives, per
arrival process and policy, the mean over seeds (with the 95 % Student-t half-width) of the
overall SLA, the number of tenants that met their target, the worst tenant's hit rate / target
and Jain's index of hit rate / target, and the paired difference in tenants met against
``--reference``.

    PYTHONPATH=. python scripts/tenant_study.py --seeds 100..109 --arrivals pareto \\
        --policies edf-ac-h,tenant-edf,tenant-edf:gain=2 --out results/tenants_val.csv

A policy is ``name`` or ``name:key=value:key=value`` (values read as JSON, else text); its
label in the table is the whole string. Runs go one after the other, in this process.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from mas_sim.core.files import atomic_path
from mas_sim.studies.stats import mean_ci

METRICS = ("sla_satisfaction", "tenants_met", "tenant_worst_ratio", "tenant_jain")


def parse_policy(spec: str) -> tuple[str, dict[str, Any]]:
    """``"tenant-edf:gain=2"`` -> ``("tenant-edf", {"gain": 2})``."""
    name, *opts = spec.split(":")
    options: dict[str, Any] = {}
    for opt in opts:
        key, _, text = opt.partition("=")
        try:
            options[key] = json.loads(text)
        except json.JSONDecodeError:
            options[key] = text
    return name, options


def seeds(text: str) -> list[int]:
    """``"1..5"`` or ``"1,2,3"``."""
    lo, dots, hi = text.partition("..")
    if dots:
        return list(range(int(lo), int(hi) + 1))
    return [int(s) for s in text.split(",")]


def run(point: dict[str, Any]) -> dict[str, Any]:
    """One run."""
    import policies
    from mas_sim import SystemSpec, simulate
    from mas_sim.sim.engine import EngineConfig
    from mas_sim.workload.scenario import Scenario, build_workload

    system = SystemSpec.paper()
    scenario = Scenario(**point["scenario"])
    workload = build_workload(system, scenario)
    name, options = parse_policy(point["policy"])
    config = EngineConfig(period=scenario.period, tenant_window=point["window"])
    result = simulate(system, workload, policies.make(name, **options), config=config,
                      seed=scenario.seed, trace=False)
    summary = result.to_dict()
    row = {"arrivals": scenario.arrivals, "trace_start": scenario.trace_start,
           "seed": scenario.seed, "policy": point["policy"],
           "window": point["window"], **{k: summary[k] for k in METRICS},
           "sim_wall_s": summary["sim_wall_s"]}
    for tenant, rate in summary["tenant_hit_rate"].items():
        row[f"hit.{tenant}"] = rate
    for tenant, target in summary["tenant_target"].items():
        row[f"target.{tenant}"] = target
    return row


def table(frame: pd.DataFrame, reference: str) -> str:
    """Per arrival process: mean +- 95 % half-width per policy of every metric, the rank by SLA,
    and the paired differences (over the seeds both ran) in tenants met and SLA against
    ``reference``."""
    lines = []
    for arrivals, group in frame.groupby("arrivals", sort=False):
        lines.append(f"\n### arrivals = {arrivals} ({group['seed'].nunique()} seeds)\n")
        lines.append("| policy | SLA | rank | tenants met | worst hit/target | Jain(hit/target) | "
                     f"tenants met - {reference} | SLA - {reference} |")
        lines.append("|---|---|---|---|---|---|---|---|")
        ref = group[group["policy"] == reference].set_index("seed")
        sla = group.groupby("policy", sort=False)["sla_satisfaction"].mean()
        rank = sla.rank(ascending=False, method="min").astype(int)
        for policy, g in group.groupby("policy", sort=False):
            cells = []
            for m in METRICS:
                mean, ci = mean_ci(g[m].to_numpy())
                cells.append(f"{mean:.3f} +- {ci:.3f}")
            cells.insert(1, str(rank[policy]))
            for m in ("tenants_met", "sla_satisfaction"):
                diff = (g.set_index("seed")[m] - ref[m]).dropna().to_numpy()
                d_mean, d_ci = mean_ci(diff)
                cells.append(f"{d_mean:+.3f} +- {d_ci:.3f}")
            lines.append(f"| {policy} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="100..109")
    parser.add_argument("--arrivals", default="pareto,poisson,azure-code-2023")
    parser.add_argument("--policies", default="fcfs-h,prema-h,herald,edf-h,edf-ac-h,llf-h,moca,"
                                              "tenant-edf")
    parser.add_argument("--targets", default="0.95x2,0.8x3,0.6x3")
    parser.add_argument("--workload", default="mixed")
    parser.add_argument("--qos", default="medium")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--load", type=float, default=0.4)
    parser.add_argument("--window", type=int, default=64,
                        help="tenant window of the engine (ended requests per tenant)")
    parser.add_argument("--trace-stride", type=float, default=0.0,
                        help="replayed traces: the k-th seed of --seeds replays the window "
                             "starting k x this many seconds into the trace (default 0: every "
                             "seed the trace's first requests, only the draws differ)")
    parser.add_argument("--reference", default="edf-ac-h")
    parser.add_argument("--out", default="results/tenant_study.csv")
    parser.add_argument("--analyse", action="store_true",
                        help="run nothing: print the tables of the runs in --out")
    parser.add_argument("--resume", action="store_true",
                        help="keep the runs already in --out and run only the others")
    args = parser.parse_args()
    synthetic = ("pareto", "poisson")
    points = [{"scenario": {"workload": args.workload, "qos": args.qos,
                            "requests": args.requests, "load": args.load, "seed": seed,
                            "arrivals": arrivals, "tenant_targets": args.targets,
                            **({} if arrivals in synthetic or not args.trace_stride
                               else {"trace_start": k * args.trace_stride})},
               "policy": policy, "window": args.window}
              for arrivals in args.arrivals.split(",")
              for k, seed in enumerate(seeds(args.seeds))
              for policy in args.policies.split(",")]
    rows: list[dict[str, Any]] = []
    out = Path(args.out)
    if args.resume and out.exists():  # keep the runs already done
        rows = pd.read_csv(out).to_dict("records")
        done = {(r["arrivals"], r["seed"], r["policy"]) for r in rows}
        points = [p for p in points if (p["scenario"]["arrivals"], p["scenario"]["seed"],
                                        p["policy"]) not in done]
    if args.analyse:
        rows = pd.read_csv(out).to_dict("records")
        points = []
    for k, point in enumerate(points, start=1):
        row = run(point)
        rows.append(row)
        print(f"[{k}/{len(points)}] {row['arrivals']} seed {row['seed']} {row['policy']}: "
              f"SLA {row['sla_satisfaction']:.3f}, tenants met {row['tenants_met']}",
              file=sys.stderr, flush=True)
        with atomic_path(out) as tmp:
            pd.DataFrame(rows).to_csv(tmp, index=False)
    frame = pd.DataFrame(rows)
    order = {p: i for i, p in enumerate(args.policies.split(","))}
    frame = frame.sort_values(["arrivals", "policy", "seed"],
                              key=lambda c: c.map(order) if c.name == "policy" else c,
                              kind="stable")
    print(table(frame, args.reference))


if __name__ == "__main__":
    main()
