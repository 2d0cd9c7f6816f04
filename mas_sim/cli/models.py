"""``mas-sim models``: the zoo; ``mas-sim models show NAME``: layers and cost tables."""

from __future__ import annotations

import argparse
from typing import Any

from mas_sim.cli.options import add_settings, system_from_args


def add_parser(sub: Any) -> None:
    """Register ``models``."""
    p = sub.add_parser("models", help="list the DNN zoo, or show one model",
                       description="List the zoo, or show one model's layers and costs.")
    p.add_argument("action", nargs="?", choices=["list", "show"], default="list")
    p.add_argument("name", nargs="?", default=None, help="model to show")
    add_settings(p, only=("hardware", "bandwidth_gbps", "costs"))
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    """List or show."""
    import pandas as pd

    import models

    if args.action == "list":
        rows = []
        for name in models.available():
            graph = models.get(name)
            nodes = graph.nodes.values()
            rows.append({"model": name, "layers": graph.number_of_nodes(),
                         "MACs": sum(int(d["macs"]) for d in nodes),
                         "params": sum(int(d["params"]) for d in nodes),
                         "input": "x".join(str(x) for x in graph.graph.get("input_shape", ()))})
        print(pd.DataFrame(rows).to_string(index=False))
        return 0
    if args.name is None:
        from mas_sim.core.errors import ConfigError

        raise ConfigError("models show needs a model name (see: mas-sim models)")
    from mas_sim.hardware import costmodel

    summary = models.summary(args.name)
    with pd.option_context("display.max_rows", None, "display.width", 200):
        print(summary.to_string(index=False))
        system = system_from_args(args)
        for sa in system.sa_classes:
            table = costmodel.evaluate(args.name, sa, backend=args.costs)
            print(f"\n{sa.name} ({sa.dataflow}, {sa.pes} PEs x {sa.macs_per_pe} MACs): "
                  f"total {table['latency_cycles'].sum():,.0f} cycles, "
                  f"{table['energy_pj'].sum() / 1e6:,.1f} uJ")
            print(table.to_string(index=False))
    return 0
