"""Does batching slow the b = 1 path? Wall time of plain runs (no batching) of two checkouts,
interleaved, and of batched runs for reference.

Usage::

    python benchmarks/bench_batching.py --before DIR [--rounds 5] [--requests 200]
        [--out benchmarks/results/batching.json]

``DIR`` is a checkout of the code before batching (e.g. ``git worktree add --detach DIR
e707f52^``); the current checkout is "after". Each round runs one process per checkout
(alternating), each timing :func:`mas_sim.simulate` of EDF-H on mixed at load 1.0 with the
trace kept. The batched runs (fixed-4, clipper) are timed in the current checkout.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

CHILD = """
import sys, time
from mas_sim import SystemSpec, simulate
from mas_sim.workload.scenario import Scenario, build_workload
requests, batching = int(sys.argv[1]), sys.argv[2]
system = SystemSpec.paper()
wl = build_workload(system, Scenario(workload="mixed", requests=requests, seed=1, load=1.0))
simulate(system, wl, "edf-h")  # warm the caches
start = time.perf_counter()
kw = {} if batching == "-" else {"batching": batching}
simulate(system, wl, "edf-h", **kw)
print(time.perf_counter() - start)
"""


def time_run(checkout: Path, requests: int, batching: str = "-") -> float:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    out = subprocess.run([sys.executable, "-c", CHILD, str(requests), batching], env=env,
                         cwd=checkout, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", required=True, type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/batching.json"))
    args = parser.parse_args(argv)
    after = Path(__file__).resolve().parent.parent
    before_s, after_s = [], []
    for r in range(args.rounds):
        before_s.append(time_run(args.before, args.requests))
        after_s.append(time_run(after, args.requests))
        print(f"round {r + 1}: before {before_s[-1]:.2f} s, after {after_s[-1]:.2f} s",
              flush=True)
    batched = {b: time_run(after, args.requests, b) for b in ("fixed-4", "clipper")}
    ratios = sorted(a / b for a, b in zip(after_s, before_s, strict=True))
    result = {"requests": args.requests, "before_s": before_s, "after_s": after_s,
              "after_over_before": ratios, "batched_s": batched, "time": time.time()}
    print(json.dumps(result, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
