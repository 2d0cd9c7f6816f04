"""Benchmark: build time of the seven zoo graphs, and the cost of models.get / models.summary.

Prints one line per model (layers, MACs, params, build time) and writes JSON.

    PYTHONPATH=. python benchmarks/bench_zoo.py [--repeat 20] [--json benchmarks/results/zoo.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import models
from models.zoo import ZOO


def _best_of(fn: object, repeat: int) -> float:
    """Median wall time of ``fn()`` over ``repeat`` runs, seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--json", type=Path, default=Path("benchmarks/results/zoo.json"))
    args = parser.parse_args(argv)

    rows = []
    for name, build in ZOO.items():
        graph = build()
        build_s = _best_of(build, args.repeat)
        frame = models.summary(name)
        rows.append({"model": name, "layers": graph.number_of_nodes(),
                     "edges": graph.number_of_edges(),
                     "macs": frame.attrs["total_macs"], "params": frame.attrs["total_params"],
                     "build_ms": build_s * 1e3,
                     "get_copy_ms": _best_of(lambda n=name: models.get(n), args.repeat) * 1e3})
        print(f"{name:13s} layers {rows[-1]['layers']:4d}  MACs {rows[-1]['macs']:>15,}  "
              f"params {rows[-1]['params']:>11,}  build {rows[-1]['build_ms']:6.2f} ms  "
              f"get {rows[-1]['get_copy_ms']:5.2f} ms")
    total_ms = _best_of(lambda: [build() for build in ZOO.values()], args.repeat) * 1e3
    print(f"all seven graphs built in {total_ms:.1f} ms (median of {args.repeat})")

    result = {"benchmark": "zoo", "python": sys.version.split()[0], "repeat": args.repeat,
              "build_all_ms": total_ms, "models": rows}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    # Write-then-rename: no half-written file on disk.
    fd, tmp = tempfile.mkstemp(dir=args.json.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as handle:
        json.dump(result, handle, indent=2)
    os.replace(tmp, args.json)
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
