"""Sweep backends: speed-up of the local process pool and of Ray over a serial run of the same
16-point grid, and Ray's start-up cost. Prints figures, writes JSON.

The grid: 4 policies x 4 seeds on the mixed workload, QoS-Medium, ``--requests`` requests
(default 300: about the size of the default `run`; Ray's start-up is inside its timing).

1. Serial: ``workers=1`` runs every point in this process (the cost-model and isolated-latency
   caches warm up once, as a worker's do).
2. Local: a process pool of ``--workers`` processes (started inside the timing).
3. Ray, cold: ``ray.init`` of a local runtime inside the timing, then the tasks.
4. Ray start-up alone: ``ray.init`` plus one no-op task, then ``ray.shutdown``.

All three must give the same table (wall-time columns aside); the script checks it. The goal on a
2-core machine is a speed-up of at least 1.7x; other processes on the machine lower it, so the
script also records the load average and ``cpu_capacity_speedup``, the speed-up of 2 processes
over 1 on a pure-Python busy loop measured just before: the ceiling at that moment.

Usage: python benchmarks/bench_sweep.py [--requests 300] [--workers 2]
                                        [--out benchmarks/results/sweep.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from mas_sim.runs.experiment import Point
from mas_sim.runs.sweep import deterministic, expand, parse_grid, read_results, run_sweep

GRID = "policy=fcfs-h,edf-h,prema-h,moca;seed=1..4"


def timed_sweep(points: list[Point], out: Path, **kwargs: Any) -> tuple[float, pd.DataFrame]:
    """Wall seconds of one sweep, and its table as read back."""
    start = time.perf_counter()
    run_sweep(points, out, progress=False, log=open(os.devnull, "w"), **kwargs)  # noqa: SIM115
    return time.perf_counter() - start, read_results(out)


def _noop(x: int) -> int:
    return x


def _spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def cpu_capacity(workers: int, n: int = 20_000_000) -> float:
    """Speed-up of ``workers`` processes over one on a pure-Python busy loop: the ceiling any
    backend can reach on this machine right now (other jobs on the cores lower it)."""
    from concurrent.futures import ProcessPoolExecutor

    start = time.perf_counter()
    for _ in range(workers):
        _spin(n)
    serial = time.perf_counter() - start
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_spin, [n // 10] * workers))  # start the workers outside the timing
        start = time.perf_counter()
        list(pool.map(_spin, [n] * workers))
        parallel = time.perf_counter() - start
    return serial / parallel


def ray_startup_s(workers: int) -> float | None:
    """Seconds for ray.init (local runtime) plus one no-op task; None without Ray."""
    try:
        import ray
    except ImportError:
        return None
    start = time.perf_counter()
    ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False,
             configure_logging=False)
    ray.get(ray.remote(_noop).remote(1))
    elapsed = time.perf_counter() - start
    ray.shutdown()
    return elapsed


def main() -> None:
    """Run the three backends, check they agree, print and write the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default="benchmarks/results/sweep.json")
    args = parser.parse_args()
    points = expand(parse_grid(GRID), Point(workload="mixed", requests=args.requests))
    load_before = os.getloadavg()[0]
    capacity = cpu_capacity(args.workers)
    figures: dict[str, object] = {"points": len(points), "grid": GRID, "requests": args.requests,
                                  "workers": args.workers, "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        serial_s, serial = timed_sweep(points, d / "serial.csv", workers=1)
        local_s, local = timed_sweep(points, d / "local.csv", workers=args.workers)
        figures.update(serial_s=serial_s, local_s=local_s, local_speedup=serial_s / local_s,
                       point_s_serial=float(serial["point_wall_s"].sum()),
                       # Summed per-point wall times in the pool: about point_s_serial on free
                       # cores, about workers x that when other jobs take the cores.
                       point_s_local=float(local["point_wall_s"].sum()))
        same = deterministic(serial).equals(deterministic(local))
        startup = ray_startup_s(args.workers)
        if startup is not None:
            ray_s, ray_table = timed_sweep(points, d / "ray.csv", backend="ray",
                                           workers=args.workers)
            figures.update(ray_s=ray_s, ray_speedup=serial_s / ray_s, ray_startup_s=startup,
                           ray_speedup_excluding_startup=serial_s / max(ray_s - startup, 1e-9))
            same = same and deterministic(serial).equals(deterministic(ray_table))
        else:
            figures["ray"] = "not installed (extra 'ray')"
    figures["identical_tables"] = same
    figures["cpu_capacity_speedup"] = capacity
    figures["load_average_before"] = load_before
    figures["load_average_after"] = os.getloadavg()[0]
    for key, value in figures.items():
        print(f"{key:32s} {value:.3f}" if isinstance(value, float) else f"{key:32s} {value}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
