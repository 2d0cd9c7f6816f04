"""Options shared by ``run``, ``compare`` (and ``sweep``): the scenario and the hardware."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from mas_sim.core.errors import ConfigError
from mas_sim.core.files import atomic_write_text
from mas_sim.hardware import SystemSpec
from mas_sim.workload import QOS_LEVELS, WORKLOAD_SETS
from mas_sim.workload.scenario import BASE_QOS, DEFAULT_LOAD, DEFAULT_PERIOD, Scenario


def add_scenario_options(parser: argparse.ArgumentParser) -> None:
    """--workload, --qos, --requests, --seed, --load, --bandwidth-gbps, --period-us, ..."""
    g = parser.add_argument_group("scenario")
    g.add_argument("--workload", default="mixed", choices=sorted(WORKLOAD_SETS),
                   help="workload set (RELMAS Table 2; default: mixed)")
    g.add_argument("--qos", default="medium", choices=sorted(QOS_LEVELS),
                   help="QoS level (default: medium)")
    g.add_argument("--requests", type=int, default=200, metavar="N",
                   help="number of requests (default: 200)")
    g.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default: 0)")
    g.add_argument("--load", type=float, default=DEFAULT_LOAD, metavar="RHO",
                   help=f"load factor rho (default: {DEFAULT_LOAD})")
    g.add_argument("--base-qos", type=float, default=BASE_QOS, metavar="F",
                   help=f"QoS-Medium factor (default: {BASE_QOS})")
    g.add_argument("--bandwidth-gbps", type=float, default=None, metavar="X",
                   help="DRAM bandwidth in GB/s (default: the hardware's, 16)")
    g.add_argument("--period-us", type=float, default=DEFAULT_PERIOD / 1000, metavar="T",
                   help=f"scheduling period in us (default: {DEFAULT_PERIOD / 1000:g})")
    g.add_argument("--hardware", default="paper", metavar="paper|FILE.toml",
                   help="hardware: the paper's system or a TOML file (default: paper)")
    g.add_argument("--costs", default="analytical", choices=["analytical", "zigzag"],
                   help="cost-model backend (default: analytical)")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")


def system_from_args(args: argparse.Namespace) -> SystemSpec:
    """The hardware of ``--hardware`` with ``--bandwidth-gbps`` applied."""
    paper = args.hardware == "paper"
    system = SystemSpec.paper() if paper else SystemSpec.from_toml(args.hardware)
    if args.bandwidth_gbps is not None:
        system = system.with_bandwidth_gbps(args.bandwidth_gbps)
    return system


def scenario_from_args(args: argparse.Namespace) -> Scenario:
    """The :class:`Scenario` of the command-line options."""
    if not args.period_us > 0:
        raise ConfigError(f"--period-us = {args.period_us!r}, expected a positive number")
    return Scenario(workload=args.workload, qos=args.qos, requests=args.requests,
                    seed=args.seed, load=args.load, period=args.period_us * 1000.0,
                    base_qos=args.base_qos, costs=args.costs)


def write_json(target: str, payload: dict[str, Any]) -> None:
    """Write ``payload`` to ``target`` (a path, or ``-`` for stdout)."""
    text = json.dumps(payload, sort_keys=True, indent=None if target == "-" else 2)
    if target == "-":
        print(text)
    else:
        atomic_write_text(Path(target), text + "\n")


def human(args: argparse.Namespace) -> Any:
    """Where human-readable output goes: stderr when JSON goes to stdout."""
    return sys.stderr if getattr(args, "json", None) == "-" else sys.stdout
