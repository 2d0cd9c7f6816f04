"""``mas-sim run``: one policy on one scenario; summary, JSON, traces and a Gantt chart."""

from __future__ import annotations

import argparse
import os
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mas_sim.cli.options import (
    add_policy_option,
    add_scenario_options,
    add_settings,
    check_outputs,
    human,
    parse_policy_options,
    point_from_args,
    scenario_label,
    write_json,
)
from mas_sim.core.errors import ConfigError
from mas_sim.runs.experiment import Point

if TYPE_CHECKING:
    import pandas as pd

    from mas_sim.runs.simulate import Result


def add_parser(sub: Any) -> None:
    """Register ``run``."""
    p = sub.add_parser("run", help="run one policy on a scenario",
                       description="Run one policy on a scenario and report its metrics.")
    add_settings(p, only=("policy",))
    add_policy_option(p)
    add_scenario_options(p)
    add_output_options(p)
    p.set_defaults(handler=main)


def add_output_options(p: argparse.ArgumentParser) -> None:
    """--json, --trace, --jobs, --chrome-trace, --gantt, --html."""
    g = p.add_argument_group("outputs")
    g.add_argument("--json", default=None, metavar="PATH|-",
                   help="write the summary as JSON ('-': stdout, human output to stderr)")
    g.add_argument("--trace", default=None, metavar="PATH.csv", help="sub-job trace CSV")
    g.add_argument("--jobs", default=None, metavar="PATH.csv", help="job table CSV")
    g.add_argument("--chrome-trace", default=None, metavar="PATH.json",
                   help="Chrome/Perfetto trace")
    g.add_argument("--gantt", default=None, metavar="PATH.png", help="Gantt chart")
    g.add_argument("--html", default=None, metavar="PATH.html",
                   help="self-contained HTML report: table, SLA breakdowns, interactive Gantt "
                        "charts (extra 'viz'; static charts without it), settings")


def run_one(point: Point, args: argparse.Namespace, *, trace: bool) -> Result:
    """Simulate ``point`` (:func:`mas_sim.runs.experiment.run_point`)."""
    from mas_sim.runs.experiment import run_point

    return run_point(point, trace=trace, progress=not args.no_progress)


def write_outputs(result: Result, args: argparse.Namespace, suffix: str = "") -> None:
    """Write the trace, job table, Chrome trace and Gantt chart the options ask for."""
    from mas_sim.core.files import atomic_path

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


def check_html_target(path: str) -> None:
    """Refuse, before anything runs, an ``--html`` path in a missing or unwritable directory
    (tried by creating and removing a file there, which also holds for root and read-only
    file systems)."""
    target = Path(path)
    parent = target.parent
    if not parent.is_dir():
        raise ConfigError(f"--html {path!r}: directory {str(parent)!r} does not exist, expected "
                          f"an existing directory")
    if target.is_dir():
        raise ConfigError(f"--html {path!r} is a directory, expected a file path")
    try:
        fd, probe = tempfile.mkstemp(prefix=".mas-sim-probe-", dir=parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ConfigError(f"--html {path!r}: cannot write in {str(parent)!r} ({exc.strerror}), "
                          f"expected a writable directory") from None


def write_html(path: str, results: list[Result], points: list[Point], title: str,
               table: pd.DataFrame) -> None:
    """Write the HTML report of ``results`` (same scenario; run as ``points``) to ``path``,
    atomically."""
    from mas_sim.output import report
    from mas_sim.output.report import ReportRun, write_report

    system = results[0].system
    columns = points[0].columns()
    settings = {**{k: v for k, v in columns.items() if k not in ("policy", "policy_options")},
                "policies": ", ".join(r.policy for r in results),
                "sub-accelerators": ", ".join(system.sa_labels),
                "DRAM bandwidth (GB/s)": f"{system.dram_bandwidth:g}",
                "mas-sim": _version()}
    runs = [ReportRun(r.policy, r.subjobs, r.jobs, r.summary) for r in results]
    try:
        write_report(path, runs, sa_labels=system.sa_labels,
                     dram_bandwidth=system.dram_bandwidth, title=title, table=table,
                     settings=settings)
    except OSError as exc:
        raise ConfigError(f"--html {path!r}: cannot write ({exc.strerror or exc})") from None
    n = sum(len(r.subjobs) for r in results)
    if n > report.LARGE_REPORT_SUBJOBS:
        warnings.warn(f"--html {path!r} holds {n:,} sub-jobs ({os.path.getsize(path) / 1e6:.0f} "
                      f"MB): it takes seconds to open and zooming lags; a report of fewer "
                      f"schedulers (--policies) or requests is faster (RESULTS.md section 11)",
                      stacklevel=1)


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("mas-sim")
    except metadata.PackageNotFoundError:
        return "unknown"


def main(args: argparse.Namespace) -> int:
    """Run, print a summary, write what was asked."""
    from mas_sim.runs.experiment import record

    options = parse_policy_options(args.policy_option, running=[args.policy])
    point = point_from_args(args, policy_options=options)
    if args.html:
        check_html_target(args.html)
    check_outputs(args)
    wants_trace = bool(args.trace or args.chrome_trace or args.gantt or args.html)
    result = run_one(point, args, trace=wants_trace)
    out = human(args)
    s = result.summary
    print(f"{result.policy} on {scenario_label(args)}, {s['requests']} requests "
          f"(seed {args.seed}): SLA satisfaction {s['sla_satisfaction']:.1%} "
          f"(met {s['met']}, missed {s['missed']}, dropped {s['dropped']}); "
          f"energy {s['energy_j'] * 1e3:.3f} mJ; makespan {s['makespan_s'] * 1e3:.3f} ms; "
          f"simulated in {s['sim_wall_s']:.2f} s", file=out)
    if "tenants_met" in s:
        print(f"tenants: {s['tenants_met']} of {s['tenants_with_target']} met their hit-rate "
              f"target; worst hit rate / target {s['tenant_worst_ratio']:.2f}", file=out)
    write_outputs(result, args)
    if args.json:
        write_json(args.json, record(point, result))
    if args.html:
        from mas_sim.cli.compare import table_frame

        write_html(args.html, [result], [point], table=table_frame([record(point, result)]),
                   title=f"mas-sim run: {result.policy} on {scenario_label(args)}, "
                         f"{s['requests']} requests (seed {args.seed})")
    return 0
