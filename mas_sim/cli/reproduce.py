"""``mas-sim reproduce relmas|bcedge``: regenerate the RELMAS paper's figures, or the batching
study against BCEdge's claim (PNG + CSV)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from typing import Any

from mas_sim.cli.options import check_outputs
from mas_sim.core.errors import ConfigError
from mas_sim.runs.sweep import BACKENDS


def add_parser(sub: Any) -> None:
    """Register ``reproduce``."""
    p = sub.add_parser(
        "reproduce", help="regenerate a paper's figures and tables",
        description="Regenerate RELMAS (DAC 2024) Fig. 3, 4, 5 and a MoCA-style table as PNG "
                    "and CSV files (relmas), or the batching study: utility, throughput, p99 "
                    "latency and SLO violations against load for none, fixed b, timeout, "
                    "clipper and bcedge (bcedge). Runs resume from the runs CSV files in --out.")
    p.add_argument("paper", choices=["relmas", "bcedge"])
    p.add_argument("--quick", action="store_true",
                   help="small runs (20 requests, 3 seeds, MAGMA 4 x 10): about 300 runs, "
                        "tens of minutes on 2 cores (README)")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="results folder (default: results/<paper>)")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="worker processes (default: every core)")
    p.add_argument("--policies", default=None, metavar="P1,P2",
                   help="only these of Fig. 3 / 4's policies (default: all), e.g. to run the "
                        "full reproduction without MAGMA first; runs of earlier calls are kept")
    p.add_argument("--backend", default="local", choices=BACKENDS,
                   help="local: a process pool; ray: Ray tasks (extra 'ray'), e.g. to spread "
                        "the full run over a cluster")
    p.add_argument("--ray-address", default=None, metavar="ADDR",
                   help="join a running Ray cluster (e.g. auto) instead of starting one")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    """Run the reproduction and list what it wrote."""
    from mas_sim.studies.relmas import FULL, QUICK, reproduce_relmas

    if args.out is None:
        args.out = f"results/{args.paper}"
    check_outputs(args, directory="out")
    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"--workers = {args.workers}, expected an integer >= 1")
    if args.paper == "bcedge":
        return _bcedge(args)
    config = QUICK if args.quick else FULL
    if args.policies is not None:
        names = [p.strip() for p in args.policies.split(",")]
        if "" in names or len(set(names)) != len(names):
            raise ConfigError(f"--policies {args.policies!r}: expected a comma-separated list "
                              f"of distinct policies, without empty entries")
        config = replace(config, policies=tuple(names))
    report = reproduce_relmas(args.out, config, workers=args.workers,
                              backend=args.backend, ray_address=args.ray_address,
                              progress=not args.no_progress, log=sys.stderr)
    for path in report.files:
        print(path)
    return 0


def _bcedge(args: argparse.Namespace) -> int:
    from mas_sim.studies.bcedge import FULL, QUICK, reproduce_bcedge

    if args.policies is not None or args.backend != "local" or args.ray_address is not None:
        raise ConfigError("--policies, --backend and --ray-address are options of "
                          "reproduce relmas, not bcedge")
    report = reproduce_bcedge(args.out, QUICK if args.quick else FULL, workers=args.workers,
                              progress=not args.no_progress, log=sys.stderr)
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    for path in report.files:
        print(path)
    return 0
