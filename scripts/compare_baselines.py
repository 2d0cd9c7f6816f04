"""Compare the baseline policies on light / heavy / mixed at one QoS level over several seeds.

An experiment script (not a test): writes one CSV row per run and prints a markdown table of
mean SLA satisfaction (and its spread over seeds) per policy and workload.

    python scripts/compare_baselines.py --requests 100 --seeds 1,2,3,4,5 --out results/baselines.csv

MAGMA runs with the generations x population given by --magma (default 20x20: the paper's
100x100 costs about a second per tick here, hours per mixed run).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

import policies
from mas_sim import SystemSpec, simulate
from mas_sim.core.files import atomic_path
from mas_sim.workload.scenario import Scenario, build_workload


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--seeds", default="1,2,3,4,5")
    parser.add_argument("--qos", default="medium")
    parser.add_argument("--workloads", default="light,heavy,mixed")
    parser.add_argument("--policies",
                        default="fcfs-h,prema-h,herald,edf-h,edf-ac-h,llf-h,moca,magma")
    parser.add_argument("--magma", default="20x20", help="generations x population")
    parser.add_argument("--relmas-checkpoint", default=None,
                        help="RELMAS checkpoint file (default: the shipped one per scenario)")
    parser.add_argument("--out", default="results/baselines.csv")
    args = parser.parse_args()
    generations, population = (int(x) for x in args.magma.split("x"))
    system = SystemSpec.paper()
    points = [(w, s, p) for w in args.workloads.split(",")
              for s in (int(x) for x in args.seeds.split(","))
              for p in args.policies.split(",")]
    rows = []
    for workload_name, seed, name in tqdm(points, desc="runs"):
        scenario = Scenario(workload=workload_name, qos=args.qos, requests=args.requests,
                            seed=seed)
        workload = build_workload(system, scenario)
        options: dict[str, object] = {}
        if name == "magma":
            options = {"generations": generations, "population": population}
        elif name == "relmas":  # the shipped checkpoint of this scenario, or the one given
            options = {"workload": workload_name, "qos": args.qos,
                       "checkpoint": args.relmas_checkpoint}
        result = simulate(system, workload, policies.make(name, **options),
                          period=scenario.period, seed=seed, trace=False)
        rows.append({"workload": workload_name, "seed": seed, "policy": name,
                     **{k: v for k, v in result.to_dict().items()
                        if not isinstance(v, dict)}})
        frame = pd.DataFrame(rows)
        with atomic_path(Path(args.out)) as tmp:
            frame.to_csv(tmp, index=False)
    frame = pd.DataFrame(rows)
    table = frame.groupby(["policy", "workload"])["sla_satisfaction"].agg(["mean", "std"])
    wide = table["mean"].unstack().round(3)
    spread = table["std"].unstack().round(3)
    print(wide.to_string())
    print()
    print("std over seeds:")
    print(spread.to_string())
    decision = frame.groupby("policy")["decision_us_per_subjob"].mean().round(2)
    print()
    print(decision.to_string())


if __name__ == "__main__":
    main()
