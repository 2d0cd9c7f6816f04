"""Policy speed: MAGMA's wall time per tick and every policy's decision time per sub-job.

RELMAS (the shipped mixed / QoS-Medium checkpoint, torch on one thread) is timed on the same
ready queues over the whole RQ, as the paper runs it, and capped at 64 SJs, as the checkpoint
deploys; the JSON gives MAGMA's time per tick over RELMAS's (the issue's "thousands of times").

The ready queue is built the way the engine builds it: requests of the mixed workload (real zoo
layers costed on the paper's system by :func:`mas_sim.hardware.costmodel.profile`; random
costs if the cost model is unavailable) with some layers already done, sorted by deadline,
about ``--sjs`` SJs.

    PYTHONPATH=. python benchmarks/bench_policies.py [--sjs 100] [--ticks 3] [--json PATH]

Prints a table and writes JSON (default ``benchmarks/results/policies.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

import policies
from mas_sim.core.errors import CheckpointError
from mas_sim.hardware import SystemSpec
from mas_sim.hardware.profile import ModelProfile
from mas_sim.sim.view import Policy, SchedulerView, validate_schedule
from policies.magma import Magma

MODELS = ("squeezenet", "yolo_lite", "kws", "alexnet", "resnet50")
HEURISTICS = ("fcfs-h", "prema-h", "herald", "edf-h", "edf-ac-h", "llf-h", "moca")
"""Policies timed per sub-job beside MAGMA."""


def load_profiles(system: SystemSpec, rng: np.random.Generator) -> tuple[dict[str, ModelProfile],
                                                                         str]:
    """Real profiles of some zoo models, or random chains if the cost model is not available."""
    try:
        from mas_sim.hardware.costmodel import profile
        return {name: profile(name, system) for name in MODELS}, "zoo+costmodel"
    except Exception:  # any failure of a module under development: fall back, and say so
        profiles = {}
        for name in MODELS:
            n = int(rng.integers(10, 40))
            profiles[name] = ModelProfile(
                name, tuple(f"l{i}" for i in range(n)), tuple(() if i == 0 else (i - 1,)
                                                             for i in range(n)),
                rng.uniform(1e4, 1e6, (n, system.num_sas)),
                rng.uniform(0.5, 20.0, (n, system.num_sas)), np.zeros((n, system.num_sas)))
        return profiles, "synthetic"


def ready_queue(profiles: dict[str, ModelProfile], system: SystemSpec, sjs: int,
                rng: np.random.Generator, now: float = 1e7) -> SchedulerView:
    """A deadline-sorted RQ of about ``sjs`` SJs: request suffixes whose earlier layers ran."""
    rows: list[tuple[float, float, int, int, str]] = []
    meta: dict[int, tuple[str, int, float]] = {}
    job = 0
    while len(rows) < sjs:
        name = str(rng.choice(list(profiles)))
        prof = profiles[name]
        done = int(rng.integers(0, prof.num_layers))
        iso = float(prof.latency.min(axis=1).sum())
        arrival = now - float(rng.uniform(0, 0.5)) * iso
        deadline = arrival + float(rng.uniform(1.0, 3.0)) * iso
        meta[job] = (name, int(rng.choice([1, 3, 9])), iso)
        rows.extend((deadline, arrival, job, layer, name) for layer in range(done, prof.num_layers))
        job += 1
    rows.sort()
    index = {(r[2], r[3]): i for i, r in enumerate(rows)}
    preds = [tuple(index[(r[2], u)] for u in profiles[r[4]].predecessors[r[3]]
                   if (r[2], u) in index) for r in rows]
    lat = np.array([profiles[r[4]].latency[r[3]] for r in rows])
    bw = np.array([profiles[r[4]].bandwidth[r[3]] for r in rows])
    remaining: dict[int, float] = {}
    for r, row in zip(rows, lat, strict=True):
        remaining[r[2]] = remaining.get(r[2], 0.0) + float(row.min())
    busy = rng.uniform(0, 2e5, system.num_sas) * (rng.random(system.num_sas) < 0.7)
    names = tuple(profiles)

    def arr(values: Any, dtype: Any) -> np.ndarray:
        out = np.asarray(values, dtype=dtype)
        out.setflags(write=False)
        return out

    return SchedulerView(
        now=now, period=1e5, latency=arr(lat, np.float64), bandwidth=arr(bw, np.float64),
        energy=arr(np.zeros_like(lat), np.float64),
        deadline=arr([r[0] for r in rows], np.float64),
        arrival=arr([r[1] for r in rows], np.float64),
        job_id=arr([r[2] for r in rows], np.int64),
        model_id=arr([names.index(r[4]) for r in rows], np.int64),
        layer_index=arr([r[3] for r in rows], np.int64),
        ready=arr([not p for p in preds], np.bool_),
        release=arr([now] * len(rows), np.float64),
        pred_indptr=arr(np.cumsum([0] + [len(p) for p in preds]), np.int64),
        pred_indices=arr([u for p in preds for u in p], np.int64),
        priority=arr([meta[r[2]][1] for r in rows], np.int64),
        tenant=arr([r[2] % 8 for r in rows], np.int64),
        isolated_latency=arr([meta[r[2]][2] for r in rows], np.float64),
        remaining_work=arr([remaining[r[2]] for r in rows], np.float64),
        sa_busy_for=arr(busy, np.float64), dram_bandwidth=system.dram_bandwidth,
        running_bandwidth=arr(np.where(busy > 0, rng.uniform(1, 10, system.num_sas), 0.0),
                              np.float64),
        model_names=names,
    )


def time_policy(policy: Policy, views: list[SchedulerView], system: SystemSpec,
                repeat: int) -> list[float]:
    """Wall seconds of ``policy.schedule`` on each view, best of ``repeat`` runs each."""
    times = []
    for view in views:
        best = float("inf")
        for _ in range(repeat):
            policy.reset(system, seed=0)
            start = time.perf_counter()
            schedule = policy.schedule(view)
            best = min(best, time.perf_counter() - start)
            validate_schedule(schedule, view, policy.name)
        times.append(best)
    return times


def time_relmas(views: list[SchedulerView], system: SystemSpec, mean_sjs: float,
                magma_tick_s: float) -> dict[str, dict[str, float]]:
    """RELMAS's time per tick on ``views`` (``mean_sjs`` SJs on average), whole RQ and capped at
    64, and MAGMA's multiple of it."""
    try:
        import torch

        torch.set_num_threads(1)
        variants = {"relmas": policies.make("relmas", workload="mixed", qos="medium",
                                            max_rq=None),
                    "relmas_cap64": policies.make("relmas", workload="mixed", qos="medium",
                                                  max_rq=64)}
    except (ImportError, CheckpointError) as exc:  # torch or the shipped checkpoint missing
        print(f"RELMAS not timed: {exc}")
        return {}
    out = {}
    for label, policy in variants.items():
        # best of 5 per view: torch's lazy initialisation on the first call is not counted
        secs = statistics.mean(time_policy(policy, views, system, repeat=5))
        out[label] = {"tick_s": secs, "us_per_subjob": secs / mean_sjs * 1e6,
                      "magma_100x100_over_relmas": magma_tick_s / secs}
        print(f"{label}: {secs * 1e3:.2f} ms/tick, MAGMA 100x100 takes "
              f"{magma_tick_s / secs:,.0f} times as long")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sjs", type=int, default=100, help="SJs per ready queue (about)")
    parser.add_argument("--ticks", type=int, default=3, help="ready queues (ticks) to time")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default="benchmarks/results/policies.json")
    args = parser.parse_args()
    system = SystemSpec.paper()
    rng = np.random.default_rng(args.seed)
    profiles, source = load_profiles(system, rng)
    views = [ready_queue(profiles, system, args.sjs, rng) for _ in range(args.ticks)]
    sizes = [v.size for v in views]
    print(f"paper system, {source} layers, ready queues of {sizes} SJs, one core")

    results: dict[str, Any] = {}
    magma = Magma(generations=100, population=100)
    tick_s = time_policy(magma, views, system, repeat=1)
    results["magma_100x100"] = {"tick_s": tick_s, "mean_tick_s": statistics.mean(tick_s),
                                "predicted_hits": magma.last_hits}
    print(f"MAGMA 100 gen x 100 ind: {statistics.mean(tick_s):.3f} s/tick "
          f"({', '.join(f'{t:.3f}' for t in tick_s)})")
    heuristics: list[Policy] = [policies.make(name) for name in HEURISTICS]
    mean_sjs = statistics.mean(sizes)
    decision: dict[str, float] = {"magma": statistics.mean(tick_s) / mean_sjs * 1e6}
    for policy in heuristics:
        secs = time_policy(policy, views, system, repeat=5)
        decision[policy.name] = statistics.mean(secs) / mean_sjs * 1e6
    results["decision_us_per_subjob"] = decision
    results["relmas"] = time_relmas(views, system, mean_sjs, statistics.mean(tick_s))
    for label, row in results["relmas"].items():
        decision[label] = row["us_per_subjob"]
    print(f"{'policy':<13} {'us / SJ':>10}")
    for name, us in decision.items():
        print(f"{name:<13} {us:>10.2f}")
    results["setup"] = {"sjs": sizes, "ticks": args.ticks, "seed": args.seed, "layers": source,
                        "system": "paper", "python": platform.python_version(),
                        "numpy": np.__version__, "cpu_count": os.cpu_count()}
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as tmp:
        json.dump(results, tmp, indent=2)
    os.replace(tmp.name, path)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
