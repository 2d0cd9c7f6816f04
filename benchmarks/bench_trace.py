"""Replaying the whole shipped trace (8,819 requests of the Azure LLM code trace 2023) with FCFS-H.

Target (issue 18): under a minute. Two replays of the mixed workload, QoS-Medium, without the
sub-job trace, each timed from the scenario to the summary (loading and parsing the CSV,
drawing the requests, the simulation):

- ``as recorded`` (``time_scale=1``): 57 minutes of arrivals, the system mostly idle;
- ``at load 0.4`` (the default replay: time scaled so that the load factor is the calibrated
  0.4): the trace's bursts then overload the system for seconds at a time.

Usage: PYTHONPATH=. python benchmarks/bench_trace.py [--loads 0.4] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from mas_sim import SystemSpec, simulate
from mas_sim.core.files import atomic_write_text
from mas_sim.workload.scenario import Scenario, build_workload
from mas_sim.workload.trace import load_trace, read_trace, resolve

TRACE = "azure-code-2023"


def replay(time_scale: float | None, load: float) -> dict[str, Any]:
    """One whole-trace replay under FCFS-H: wall times and what the run did."""
    start = time.perf_counter()
    read_trace(resolve(TRACE))  # the parse, timed (load_trace caches it for the build)
    system = SystemSpec.paper()
    scenario = Scenario(arrivals=TRACE, requests=len(load_trace(TRACE)), time_scale=time_scale,
                        load=load)
    workload = build_workload(system, scenario)
    built = time.perf_counter()
    result = simulate(system, workload, "fcfs-h", seed=0, trace=False)
    end = time.perf_counter()
    s = result.summary
    return {"time_scale": time_scale, "load": None if time_scale is not None else load,
            "requests": s["requests"], "sla_satisfaction": s["sla_satisfaction"],
            "simulated_s": s["makespan_s"], "ticks": s["ticks"],
            "policy_calls": s["policy_calls"], "build_wall_s": built - start,
            "sim_wall_s": end - built, "total_wall_s": end - start}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", default="0.4", help="loads of the scaled replays")
    parser.add_argument("--out", default=None, help="write the figures as JSON")
    args = parser.parse_args()
    rows = [replay(1.0, 0.4)] + [replay(None, float(x)) for x in args.loads.split(",")]
    for r in rows:
        what = "as recorded" if r["time_scale"] is not None else f"at load {r['load']}"
        print(f"{TRACE} {what}: {r['requests']} requests, {r['simulated_s']:.1f} s simulated, "
              f"{r['ticks']} ticks, SLA {r['sla_satisfaction']:.3f}; wall {r['total_wall_s']:.1f} "
              f"s ({r['build_wall_s']:.1f} s building the workload)")
    if args.out:
        atomic_write_text(Path(args.out), json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
