"""``mas-sim sweep``: a grid of runs on a local process pool or Ray, into one results table."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from mas_sim.cli.options import (
    add_policy_option,
    add_scenario_options,
    add_settings,
    parse_policy_options,
    point_from_args,
)
from mas_sim.core.errors import ConfigError
from mas_sim.runs.sweep import AXES, BACKENDS, FORMATS

#: Columns of the printed summary, beside the grid's axes.
SHOWN = ("sla_satisfaction", "met", "missed", "dropped", "antt", "energy_j", "tenants_met")
MAX_PRINTED_ROWS = 40


def add_parser(sub: Any) -> None:
    """Register ``sweep``."""
    p = sub.add_parser(
        "sweep", help="run a grid of scenarios and policies into one table",
        description="Run every point of a grid (the cartesian product of its axes; the other "
                    "options are fixed values) and write one row per point: the point and "
                    "every field of `run --json`.",
        epilog='example: mas-sim sweep --grid "policy=fcfs-h,edf-h;seed=1..3;'
               'bandwidth_gbps=8,16" --workload light --requests 50 --out sweep.csv')
    p.add_argument("--grid", required=True, metavar="'axis=a,b;axis2=c'",
                   help=f"axes among: {', '.join(AXES)}; integer axes also take a..b")
    p.add_argument("--out", required=True, metavar="FILE",
                   help=f"results table ({', '.join(FORMATS)}; Parquet needs pyarrow)")
    p.add_argument("--backend", default="local", choices=BACKENDS,
                   help="local: a process pool; ray: Ray tasks (extra 'ray')")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="processes (local) or CPUs of the local Ray runtime (default: all "
                        "cores; 1 runs in this process)")
    p.add_argument("--ray-address", default=None, metavar="ADDR",
                   help="join a running Ray cluster (e.g. auto or ray://host:10001) instead of "
                        "starting a local runtime")
    p.add_argument("--resume", action="store_true",
                   help="skip the points already in --out and append the others")
    g = p.add_argument_group("fixed values (the axes of --grid override them)")
    add_settings(g, only=("policy",))
    add_policy_option(p)
    add_scenario_options(p)
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    """Check everything, run the points, print a summary."""
    import pandas as pd

    from mas_sim.runs.sweep import expand, parse_grid, run_sweep

    if not args.resume and Path(args.out).exists():
        raise ConfigError(f"--out {args.out!r} exists: pass --resume to run only its missing "
                          f"points, or name a new file")
    grid = parse_grid(args.grid)
    base = point_from_args(args)
    running = dict(grid.axes).get("policy", (base.policy,))
    points = expand(grid, base, parse_policy_options(args.policy_option, running=running))
    report = run_sweep(points, args.out, backend=args.backend, workers=args.workers,
                       ray_address=args.ray_address, resume=args.resume,
                       progress=not args.no_progress, log=sys.stderr)
    keys = {p.key() for p in points}
    table = report.table[report.table["point_key"].isin(keys)] if len(report.table) else None
    if table is not None and len(table):
        cols = [*grid.names, *(c for c in SHOWN if c in table.columns)]
        shown = table[cols]
        if len(shown) > MAX_PRINTED_ROWS:
            print(f"(first {MAX_PRINTED_ROWS} of {len(shown)} rows; all in {args.out})")
            shown = shown.head(MAX_PRINTED_ROWS)
        with pd.option_context("display.width", 200):
            print(shown.to_string(index=False))
    return 0
