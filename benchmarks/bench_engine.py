"""Engine speed and memory (issue: the first runnable mas-sim). Prints figures, writes JSON.

1. Engine alone: sub-jobs simulated per second when each sub-job is planned exactly once (a
   policy that schedules a request's layers on arrival: ``requeue_unstarted=False``), mixed
   workload, 2,000 requests; beside SimPy's raw timeout-event rate measured in the same run.
2. End to end: FCFS-H on mixed / QoS-Medium at the calibrated defaults, 2,000 requests: wall
   time, policy decisions per second, re-plan factor (decisions per executed sub-job).
3. Peak memory (max RSS of a fresh process) of runs without trace at 5,000 and 50,000
   requests, planned once: it must not grow with the number of requests.

Usage: python benchmarks/bench_engine.py [--requests 2000] [--out benchmarks/results/engine.json]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import simpy

from mas_sim import EngineConfig, SystemSpec, simulate
from mas_sim.sim.view import Schedule, SchedulerView
from mas_sim.workload.scenario import Scenario, build_workload


class PlanOnArrival:
    """Each new SJ goes to its fastest SA, in deadline order; planned once (no re-queueing)."""

    name = "plan-on-arrival"

    def reset(self, system: SystemSpec, seed: int | None = None) -> None:
        """Stateless."""

    def schedule(self, view: SchedulerView) -> Schedule:
        """Fastest SA; priority = minus the RQ position (deadline order)."""
        return Schedule(-np.arange(view.size, dtype=np.float64),
                        np.argmin(view.latency, axis=1).astype(np.int64))


def simpy_timeout_rate(events: int = 200_000) -> float:
    """Raw SimPy: timeouts processed per second by one process."""
    env = simpy.Environment()

    def proc(env: simpy.Environment):  # type: ignore[no-untyped-def]
        for _ in range(events):
            yield env.timeout(1.0)

    env.process(proc(env))
    start = time.perf_counter()
    env.run()
    return events / (time.perf_counter() - start)


def engine_alone(requests: int) -> dict[str, float]:
    system = SystemSpec.paper()
    # Loose deadlines (QoS factor 1000) so that (almost) every admitted sub-job executes: the
    # figure is about executing sub-jobs, not about dropping them.
    workload = build_workload(system, Scenario(workload="mixed", requests=requests, seed=1,
                                               base_qos=1000.0))
    config = EngineConfig(requeue_unstarted=False)
    result = simulate(system, workload, PlanOnArrival(), config=config, trace=False)
    wall = result.summary["sim_wall_s"]
    return {"requests": requests, "subjobs": result.summary["subjobs"], "wall_s": wall,
            "subjobs_per_s": result.summary["subjobs"] / wall,
            "replan_factor": result.summary["replan_factor"]}


def end_to_end(requests: int) -> dict[str, float]:
    system = SystemSpec.paper()
    workload = build_workload(system, Scenario(workload="mixed", qos="medium",
                                               requests=requests, seed=1))
    result = simulate(system, workload, "fcfs-h", trace=False)
    s = result.summary
    return {"requests": requests, "wall_s": s["sim_wall_s"], "policy_wall_s": s["policy_wall_s"],
            "subjobs": s["subjobs"], "decisions": s["decisions"],
            "decisions_per_s": s["decisions"] / s["sim_wall_s"],
            "replan_factor": s["replan_factor"], "sla_satisfaction": s["sla_satisfaction"],
            "ticks": s["ticks"], "policy_calls": s["policy_calls"]}


def memory_child(requests: int) -> None:
    """Run without trace on a lazily generated workload and print the max RSS (KiB)."""
    system = SystemSpec.paper()
    workload = build_workload(system, Scenario(workload="mixed", requests=requests, seed=1),
                              lazy=True)
    simulate(system, workload, PlanOnArrival(), config=EngineConfig(requeue_unstarted=False),
             trace=False)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def peak_memory_mib(requests: int) -> float:
    out = subprocess.run([sys.executable, __file__, "--memory-child", str(requests)],
                         check=True, capture_output=True, text=True).stdout
    return int(out.strip().splitlines()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--memory-requests", default="5000,50000")
    parser.add_argument("--out", default="benchmarks/results/engine.json")
    parser.add_argument("--memory-child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child is not None:
        memory_child(args.memory_child)
        return
    figures: dict[str, object] = {"simpy_timeouts_per_s": simpy_timeout_rate()}
    print(f"SimPy raw timeouts/s: {figures['simpy_timeouts_per_s']:,.0f}")
    figures["engine_alone"] = alone = engine_alone(args.requests)
    print(f"engine alone: {alone['subjobs_per_s']:,.0f} sub-jobs/s "
          f"({alone['subjobs']} sub-jobs in {alone['wall_s']:.2f} s)")
    figures["end_to_end_fcfs"] = e2e = end_to_end(args.requests)
    print(f"FCFS-H end to end: {e2e['wall_s']:.1f} s for {args.requests} requests "
          f"(policy {e2e['policy_wall_s']:.1f} s); {e2e['decisions_per_s']:,.0f} decisions/s; "
          f"re-plan factor {e2e['replan_factor']:.1f}; SLA {e2e['sla_satisfaction']:.1%}")
    memory = {}
    for n in (int(x) for x in args.memory_requests.split(",") if x):
        memory[n] = peak_memory_mib(n)
        print(f"peak RSS without trace, {n} requests: {memory[n]:.0f} MiB")
    figures["peak_rss_mib"] = memory
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
