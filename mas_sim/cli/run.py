"""``mas-sim run``: one policy on one scenario; summary, JSON, traces and a Gantt chart."""

from __future__ import annotations

import argparse
from typing import Any

import policies
from mas_sim.cli.options import add_scenario_options, human, write_json
from mas_sim.core.files import atomic_path
from mas_sim.runs.experiment import Point, run_point
from mas_sim.runs.experiment import record as experiment_record
from mas_sim.runs.simulate import Result


def add_parser(sub: Any) -> None:
    """Register ``run``."""
    p = sub.add_parser("run", help="run one policy on a scenario",
                       description="Run one policy on a scenario and report its metrics.")
    p.add_argument("--policy", default="fcfs-h", metavar="NAME",
                   help=f"policy (one of {', '.join(policies.available())}; default fcfs-h)")
    p.add_argument("--checkpoint", default=None, metavar="PATH",
                   help="RELMAS checkpoint (default: the shipped one for the scenario)")
    add_scenario_options(p)
    add_output_options(p)
    p.set_defaults(handler=main)


def add_output_options(p: argparse.ArgumentParser) -> None:
    """--json, --trace, --jobs, --chrome-trace, --gantt."""
    g = p.add_argument_group("outputs")
    g.add_argument("--json", default=None, metavar="PATH|-",
                   help="write the summary as JSON ('-': stdout, human output to stderr)")
    g.add_argument("--trace", default=None, metavar="PATH.csv", help="sub-job trace CSV")
    g.add_argument("--jobs", default=None, metavar="PATH.csv", help="job table CSV")
    g.add_argument("--chrome-trace", default=None, metavar="PATH.json",
                   help="Chrome/Perfetto trace")
    g.add_argument("--gantt", default=None, metavar="PATH.png", help="Gantt chart")


def point_from_args(args: argparse.Namespace, policy_name: str) -> Point:
    """The experiment :class:`Point` of the command-line options, for ``policy_name``."""
    return Point(policy=policy_name, workload=args.workload, qos=args.qos, seed=args.seed,
                 requests=args.requests, load=args.load, base_qos=args.base_qos,
                 bandwidth_gbps=args.bandwidth_gbps, period_us=args.period_us,
                 hardware=args.hardware, costs=args.costs,
                 checkpoint=getattr(args, "checkpoint", None))


def run_one(args: argparse.Namespace, policy_name: str, *, trace: bool) -> Result:
    """Simulate one policy on the scenario of ``args``
    (:func:`mas_sim.runs.experiment.run_point`)."""
    return run_point(point_from_args(args, policy_name), trace=trace,
                     progress=not args.no_progress)


def record(result: Result, args: argparse.Namespace) -> dict[str, Any]:
    """The JSON object of one run: scenario fields plus the summary."""
    return experiment_record(point_from_args(args, result.policy), result)


def write_outputs(result: Result, args: argparse.Namespace, suffix: str = "") -> None:
    """Write the trace, job table, Chrome trace and Gantt chart the options ask for."""
    if args.trace:
        with atomic_path(_suffixed(args.trace, suffix)) as tmp:
            result.subjobs.to_csv(tmp, index=False)
    if args.jobs:
        with atomic_path(_suffixed(args.jobs, suffix)) as tmp:
            result.jobs.to_csv(tmp, index=False)
    if args.chrome_trace:
        result.to_chrome_trace(_suffixed(args.chrome_trace, suffix))
    if args.gantt:
        result.save_gantt(_suffixed(args.gantt, suffix), title=f"{result.policy}")


def _suffixed(path: str, suffix: str) -> str:
    if not suffix:
        return path
    stem, dot, ext = path.rpartition(".")
    return f"{stem}_{suffix}.{ext}" if dot else f"{path}_{suffix}"


def main(args: argparse.Namespace) -> int:
    """Run, print a summary, write what was asked."""
    wants_trace = bool(args.trace or args.chrome_trace or args.gantt)
    result = run_one(args, args.policy, trace=wants_trace)
    out = human(args)
    s = result.summary
    print(f"{result.policy} on {args.workload}/{args.qos}, {s['requests']} requests "
          f"(seed {args.seed}): SLA satisfaction {s['sla_satisfaction']:.1%} "
          f"(met {s['met']}, missed {s['missed']}, dropped {s['dropped']}); "
          f"energy {s['energy_j'] * 1e3:.3f} mJ; makespan {s['makespan_s'] * 1e3:.3f} ms; "
          f"simulated in {s['sim_wall_s']:.2f} s", file=out)
    write_outputs(result, args)
    if args.json:
        write_json(args.json, record(result, args))
    return 0
