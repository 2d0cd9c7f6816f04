"""How close the policies come to the exact offline bound on small instances where it is proven.

An experiment script (not a test): for each seed, builds a small scenario, solves the offline
bound with CP-SAT (no DRAM contention, so an upper bound on any schedule in the engine) and runs
the policies; prints the met counts and the gap, and writes one CSV row per (seed, policy).
Only instances whose bound CP-SAT proves optimal within ``--time-limit`` count.

    PYTHONPATH=. python scripts/bound_gap.py --workload light --qos high --requests 12 \\
        --seeds 1..10 --out results/bound_gap.csv
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

import policies
from mas_sim import SystemSpec, simulate
from mas_sim.core.files import atomic_path
from mas_sim.runs.bound import workload_bound
from mas_sim.runs.sweep import parse_grid
from mas_sim.workload.scenario import Scenario, build_workload


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", default="light")
    parser.add_argument("--qos", default="high")
    parser.add_argument("--requests", type=int, default=12)
    parser.add_argument("--load", type=float, default=None,
                        help="load factor (default: calibrated)")
    parser.add_argument("--seeds", default="1..10", help="as a sweep axis: 1..10 or 1,2,3")
    parser.add_argument("--policies", default="fcfs-h,prema-h,herald,edf-h,edf-ac-h,llf-h,moca,"
                        "relmas")
    parser.add_argument("--time-limit", type=float, default=20.0, help="CP-SAT seconds")
    parser.add_argument("--out", default="results/bound_gap.csv")
    args = parser.parse_args()
    seeds = dict(parse_grid(f"seed={args.seeds}").axes)["seed"]
    extra = {} if args.load is None else {"load": args.load}
    system = SystemSpec.paper()
    rows = []
    for seed in tqdm(seeds, desc="instances"):
        scenario = Scenario(workload=args.workload, qos=args.qos, requests=args.requests,
                            seed=seed, **extra)
        workload = build_workload(system, scenario)
        bound = workload_bound(workload, system, time_limit_s=args.time_limit)
        for name in args.policies.split(","):
            options = ({"workload": args.workload, "qos": args.qos} if name == "relmas" else {})
            result = simulate(system, workload, policies.make(name, **options),
                              period=scenario.period, seed=seed, trace=False)
            met = int((result.jobs["status"] == "met").sum())
            rows.append({"seed": seed, "policy": name, "met": met, "bound_met": bound.met,
                         "bound_optimal": bound.optimal, "requests": args.requests})
    frame = pd.DataFrame(rows)
    with atomic_path(Path(args.out)) as tmp:
        frame.to_csv(tmp, index=False)
    proven = frame[frame["bound_optimal"]]
    print(f"{proven['seed'].nunique()} of {frame['seed'].nunique()} instances proven optimal")
    table = proven.groupby("policy")[["met", "bound_met"]].sum()
    table["of bound"] = table["met"] / table["bound_met"]
    print(table.sort_values("of bound", ascending=False).to_string())


if __name__ == "__main__":
    main()
