"""Cost-model benchmark: how fast the zoo's tables build, and how the analytical model agrees with
ZigZag where ZigZag tables are shipped.

    PYTHONPATH=. python benchmarks/bench_costmodel.py [benchmarks/results/costmodel.json]
    PYTHONPATH=. python benchmarks/bench_costmodel.py --agreement-only   # the table alone

Prints a summary and writes JSON:

- ``tables_s``: wall time to build the profiles of every zoo model on the paper's system,
  uncached, graphs built from the zoo included (median of 5 runs);
- ``tables_costmodel_only_s``: the same with the graphs built beforehand (cost model alone);
- ``tables_cached_s``: the same call again, everything cached;
- ``agreement``: per model and SA class with a shipped ZigZag table, the ratios ZigZag /
  analytical of latency and DRAM traffic over the model's MAC layers (every layer counts, repeated
  shapes included: median, 10th and 90th percentile), and of the model's total latency. The
  benchmark never runs ZigZag: classes without shipped rows are left out.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import models
from mas_sim.core.files import atomic_write_text
from mas_sim.hardware import SystemSpec
from mas_sim.hardware.costmodel import clear_cache, layer_costs, profile, system_tables

RUNS = 5


def _median_time(fn: Callable[[], object], *, clear: bool) -> float:
    times = []
    for _ in range(RUNS):
        if clear:
            clear_cache()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _agreement(system: SystemSpec, names: list[str]) -> list[dict[str, Any]]:
    """Ratios ZigZag / analytical per (model, SA class), for models with shipped ZigZag data."""
    from mas_sim.hardware.costmodel import zigzag_backend

    rows: list[dict[str, Any]] = []
    for name in names:
        if not zigzag_backend.has_table(name):
            continue
        graph = models.get(name)
        mac = np.array([graph.nodes[n]["op"] in ("conv", "fc")
                        for n in profile(name, system).layers])
        shipped = {sa_key for sa_key, _ in zigzag_backend.read_table(name)}
        for sa in system.sa_classes:
            if zigzag_backend.sa_key(sa) not in shipped:  # never run ZigZag from the benchmark
                continue
            ana = layer_costs(name, sa)
            zz = layer_costs(name, sa, backend="zigzag")
            lat = zz.latency_cycles[mac] / ana.latency_cycles[mac]
            dram = zz.dram_bytes[mac] / np.maximum(ana.dram_bytes[mac], 1.0)
            rows.append({
                "model": name, "sa": sa.name, "layers": int(mac.sum()),
                "latency_ratio_median": float(np.median(lat)),
                "latency_ratio_p10": float(np.percentile(lat, 10)),
                "latency_ratio_p90": float(np.percentile(lat, 90)),
                "dram_ratio_median": float(np.median(dram)),
                "dram_ratio_p10": float(np.percentile(dram, 10)),
                "dram_ratio_p90": float(np.percentile(dram, 90)),
                "total_latency_ratio": float(zz.latency_cycles.sum() / ana.latency_cycles.sum()),
            })
    return rows


def _print_agreement(agreement: list[dict[str, Any]]) -> None:
    if not agreement:
        print("no ZigZag tables shipped: agreement table skipped")
        return
    print("ZigZag / analytical over MAC layers: median [p10, p90]")
    print(f"{'model':12s} {'SA':14s} {'layers':>6s} {'latency':>22s} {'DRAM traffic':>22s} "
          f"{'total lat':>9s}")
    for r in agreement:
        lat = (f"{r['latency_ratio_median']:.2f} [{r['latency_ratio_p10']:.2f}, "
               f"{r['latency_ratio_p90']:.2f}]")
        dram = (f"{r['dram_ratio_median']:.2f} [{r['dram_ratio_p10']:.2f}, "
                f"{r['dram_ratio_p90']:.2f}]")
        print(f"{r['model']:12s} {r['sa']:14s} {r['layers']:6d} {lat:>22s} {dram:>22s} "
              f"{r['total_latency_ratio']:9.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="benchmarks/results/costmodel.json")
    parser.add_argument("--agreement-only", action="store_true",
                        help="print the ZigZag agreement table only (no timing, no JSON)")
    args = parser.parse_args()

    system = SystemSpec.paper()
    names = list(models.available())
    if args.agreement_only:
        _print_agreement(_agreement(system, names))
        return
    graphs = {name: models.get(name) for name in names}
    layers = sum(g.number_of_nodes() for g in graphs.values())

    tables_s = _median_time(lambda: system_tables(system), clear=True)
    only_s = _median_time(lambda: [profile(g, system) for g in graphs.values()], clear=True)
    system_tables(system)
    cached_s = _median_time(lambda: system_tables(system), clear=False)
    print(f"zoo: {len(names)} models, {layers} layers; system {system.name}: "
          f"{len(system.sa_classes)} SA classes")
    print(f"tables uncached (median of {RUNS}): {tables_s * 1e3:.1f} ms "
          f"(cost model alone {only_s * 1e3:.1f} ms), cached {cached_s * 1e6:.0f} us")

    try:
        agreement = _agreement(system, names)
    except ImportError:
        agreement = []
    _print_agreement(agreement)

    result = {"models": len(names), "layers": layers, "sa_classes": len(system.sa_classes),
              "runs": RUNS, "tables_s": tables_s, "tables_costmodel_only_s": only_s,
              "tables_cached_s": cached_s, "agreement": agreement}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out, json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
