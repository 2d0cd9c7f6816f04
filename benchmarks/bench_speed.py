"""Speed figures of issue 16's table, a stored baseline, and before / after comparisons.

Each figure runs in a fresh process (so a JIT's on-disk cache is warm but nothing else is) and
is measured on the wall clock and on the CPU clock (which moves less with other work on the
machine); the figures are written as JSON. Three modes:

- measure: ``python benchmarks/bench_speed.py [--only a,b] [--repeat 3] [--json PATH]``;
- guard: ``--baseline`` also prints, per figure, the ratio to the stored baseline
  (``benchmarks/speed_baseline.json``; > 1 is faster); it never fails (timings on a shared
  machine vary by tens of percent): read the ratios. ``--save-baseline`` writes it;
- interleaved before / after: ``--against /path/to/other/checkout`` runs every repeat of every
  figure on this tree and on the other one alternately (the other tree's code through
  ``PYTHONPATH``; this file works with the old flat layout too) and prints the speed-ups.

Figures (all on the paper's system; "mixed" = mixed workload, QoS-Medium):

==================================  ====================================================== =====
``fcfs_h_2000_s``                   FCFS-H, mixed, 2,000 requests, seed 1, no trace, wall   lower
``edf_ac_h_2000_s``                 EDF-AC-H, same scenario                                 lower
``engine_alone_subjobs_per_s``      each sub-job planned once (bench_engine.py's policy)    higher
``magma_100x100_s_per_tick``        MAGMA 100 x 100 on bench_policies.py's ready queues     lower
``relmas_h256_us_per_subjob``       random actor h = 256, paper features, mixed, 60 req.    lower
``relmas_h128_planned_us_per_subjob``  h = 128, planned-finish features                    lower
``gym_steps_per_s``                 ``mas_sim/Scheduling-v0``, random actions, mixed, 100   higher
``cli_run_20_s``                    ``python -m mas_sim run --requests 20`` (process wall)  lower
``cli_run_20_cold_jit_s``           the same with an empty numba cache (every kernel the    lower
                                    run uses compiled first: ``NUMBA_CACHE_DIR`` set to a
                                    new folder)
``cli_compare_s``                   README main command: ``compare --out DIR`` (200 req.)   lower
``cli_help_s``                      ``python -m mas_sim --help``                            lower
==================================  ====================================================== =====
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_BASELINE = HERE / "speed_baseline.json"

#: Figure name -> True if higher is better.
HIGHER_IS_BETTER = {
    "fcfs_h_2000_s": False, "edf_ac_h_2000_s": False, "engine_alone_subjobs_per_s": True,
    "magma_100x100_s_per_tick": False, "relmas_h256_us_per_subjob": False,
    "relmas_h128_planned_us_per_subjob": False, "gym_steps_per_s": True,
    "cli_run_20_s": False, "cli_run_20_cold_jit_s": False, "cli_compare_s": False,
    "cli_help_s": False,
}


# -- the figures (each runs in its own process) ---------------------------------------------
class Clock:
    """Wall and CPU seconds of a block (CPU time: this process and its finished children)."""

    def __enter__(self) -> Clock:
        self.wall0, self.cpu0 = time.perf_counter(), _cpu()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall0
        self.cpu = _cpu() - self.cpu0


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


Figure = tuple[float, float]
"""A figure measured on the wall clock and on the CPU clock (the same formula, each time)."""


def _build_workload(system: Any, **kw: Any) -> Any:
    try:
        from mas_sim.workload.scenario import Scenario, build_workload
    except ImportError:  # the flat layout before the layer packages
        from mas_sim.scenario import Scenario, build_workload  # type: ignore[no-redef]
    return build_workload(system, Scenario(**kw))


def _end_to_end(policy: str) -> Figure:
    from mas_sim import SystemSpec, simulate

    system = SystemSpec.paper()
    workload = _build_workload(system, workload="mixed", qos="medium", requests=2000, seed=1)
    with Clock() as c:
        simulate(system, workload, policy, trace=False)
    return c.wall, c.cpu


def fcfs_h_2000_s() -> Figure:
    return _end_to_end("fcfs-h")


def edf_ac_h_2000_s() -> Figure:
    return _end_to_end("edf-ac-h")


def engine_alone_subjobs_per_s() -> Figure:
    import numpy as np

    from mas_sim import EngineConfig, Schedule, SystemSpec, simulate

    class PlanOnArrival:
        name = "plan-on-arrival"

        def reset(self, system: Any, seed: int | None = None) -> None:
            pass

        def schedule(self, view: Any) -> Any:
            return Schedule(-np.arange(view.size, dtype=np.float64),
                            np.argmin(view.latency, axis=1).astype(np.int64))

    system = SystemSpec.paper()
    workload = _build_workload(system, workload="mixed", requests=2000, seed=1, base_qos=1000.0)
    with Clock() as c:
        result = simulate(system, workload, PlanOnArrival(),
                          config=EngineConfig(requeue_unstarted=False), trace=False)
    n = float(result.summary["subjobs"])
    return n / c.wall, n / c.cpu


def magma_100x100_s_per_tick() -> Figure:
    import numpy as np

    sys.path.insert(0, str(Path.cwd() / "benchmarks"))  # the measured tree's own copy
    from bench_policies import load_profiles, ready_queue

    from mas_sim import SystemSpec
    from policies.magma import Magma

    system = SystemSpec.paper()
    rng = np.random.default_rng(0)
    profiles, _ = load_profiles(system, rng)
    views = [ready_queue(profiles, system, 100, rng) for _ in range(3)]
    magma = Magma(generations=100, population=100)
    magma.reset(system, seed=0)
    magma.schedule(views[0])  # warm-up (lazy initialisation, JIT cache load)
    with Clock() as c:
        for view in views:
            magma.reset(system, seed=0)
            magma.schedule(view)
    return c.wall / len(views), c.cpu / len(views)


def _relmas_us(hidden: int, sa_time: str) -> Figure:
    import torch

    from mas_sim import SystemSpec, simulate
    from policies.relmas.encoding import Normalisation, num_actions, num_features
    from policies.relmas.networks import Actor
    from policies.relmas.policy import Relmas

    torch.set_num_threads(1)
    system = SystemSpec.paper()
    m = system.num_sas
    workload = _build_workload(system, workload="mixed", qos="medium", requests=60, seed=0)
    norm = Normalisation.for_profiles(workload.profiles, time_unit=100_000.0,
                                      dram_bandwidth=system.dram_bandwidth, sa_time=sa_time)
    torch.manual_seed(0)
    policy = CpuTimed(Relmas.from_actor(Actor(num_features(m), num_actions(m), hidden), norm))
    summary = simulate(system, workload, policy, trace=False).summary
    return (float(summary["decision_us_per_subjob"]),
            policy.cpu / summary["decisions"] * 1e6)


class CpuTimed:
    """A policy wrapper that adds up the CPU time of ``schedule`` (the engine times its wall)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.name, self.cpu = inner, inner.name, 0.0

    def reset(self, system: Any, seed: int | None = None) -> None:
        self.inner.reset(system, seed)

    def schedule(self, view: Any) -> Any:
        start = time.process_time()
        out = self.inner.schedule(view)
        self.cpu += time.process_time() - start
        return out


def relmas_h256_us_per_subjob() -> Figure:
    return _relmas_us(256, "latency")


def relmas_h128_planned_us_per_subjob() -> Figure:
    return _relmas_us(128, "planned_finish")


def gym_steps_per_s() -> Figure:
    import gymnasium as gym
    import mas_sim.gym  # noqa: F401  (registers the id, old and new layouts)
    import torch

    torch.set_num_threads(1)
    env = gym.make("mas_sim/Scheduling-v0", workload="mixed", requests=100)
    env.action_space.seed(0)
    env.reset(seed=0)
    steps = 0
    with Clock() as c:
        for episode in range(3):
            env.reset(seed=episode)
            done = False
            while not done:
                _, _, terminated, truncated, _ = env.step(env.action_space.sample())
                done = terminated or truncated
                steps += 1
    return steps / c.wall, steps / c.cpu


def _cli(*args: str, env: dict[str, str] | None = None) -> Figure:
    with Clock() as c:
        subprocess.run([sys.executable, "-m", "mas_sim", *args], check=True, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return c.wall, c.cpu


def cli_run_20_s() -> Figure:
    return _cli("run", "--requests", "20", "--no-progress")


def cli_run_20_cold_jit_s() -> Figure:
    # numba looks in NUMBA_CACHE_DIR before the source tree's __pycache__: an empty one is a
    # machine that never compiled the kernels (a tree without numba is unaffected).
    with tempfile.TemporaryDirectory() as cache:
        return _cli("run", "--requests", "20", "--no-progress",
                    env=dict(os.environ, NUMBA_CACHE_DIR=cache))


def cli_compare_s() -> Figure:
    with tempfile.TemporaryDirectory() as tmp:
        return _cli("compare", "--out", tmp, "--no-progress")


def cli_help_s() -> Figure:
    return _cli("--help")


FIGURES: dict[str, Callable[[], Figure]] = {f.__name__: f for f in (
    fcfs_h_2000_s, edf_ac_h_2000_s, engine_alone_subjobs_per_s, magma_100x100_s_per_tick,
    relmas_h256_us_per_subjob, relmas_h128_planned_us_per_subjob, gym_steps_per_s,
    cli_run_20_s, cli_run_20_cold_jit_s, cli_compare_s, cli_help_s)}
"""Cheap figures first (the CLI ones spawn their own process)."""


# -- driving -------------------------------------------------------------------------------
def measure_once(name: str, tree: Path) -> Figure:
    """One measurement of figure ``name`` in a fresh process running ``tree``'s code."""
    env = dict(os.environ, PYTHONPATH=str(tree), OMP_NUM_THREADS=os.environ.get(
        "OMP_NUM_THREADS", "1"))
    out = subprocess.run([sys.executable, __file__, "--child", name], cwd=tree, env=env,
                         check=True, capture_output=True, text=True).stdout
    wall, cpu = out.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


CLOCKS = ("wall", "cpu")
"""Every figure is measured on both: CPU time moves less with the others' load on the machine."""


def speedup(name: str, new: float, old: float) -> float:
    """How many times faster ``new`` is than ``old`` (> 1: faster)."""
    return new / old if HIGHER_IS_BETTER[name] else old / new


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=None, help="comma-separated figures (default: all)")
    parser.add_argument("--repeat", type=int, default=3, help="measurements per figure")
    parser.add_argument("--json", default=None, help="write the measurements here")
    parser.add_argument("--baseline", default=None, nargs="?", const=str(DEFAULT_BASELINE),
                        help="print ratios to this stored baseline (default path if no value)")
    parser.add_argument("--save-baseline", default=None, nargs="?", const=str(DEFAULT_BASELINE),
                        help="store the medians as the baseline")
    parser.add_argument("--against", default=None, metavar="TREE",
                        help="another checkout to time interleaved with this one")
    parser.add_argument("--tree", default=str(ROOT), metavar="TREE",
                        help="the checkout to measure (default: the one holding this file)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(*FIGURES[args.child]())
        return
    names = list(FIGURES) if args.only is None else args.only.split(",")
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        parser.error(f"unknown figure(s) {unknown}; expected some of {list(FIGURES)}")
    trees = {"this": Path(args.tree).resolve()}
    if args.against:
        trees["other"] = Path(args.against).resolve()
    runs: dict[str, dict[str, list[Figure]]] = {t: {} for t in trees}
    for name in names:
        for _ in range(args.repeat):
            for label, tree in trees.items():
                runs[label].setdefault(name, []).append(measure_once(name, tree))
        for k, clock in enumerate(CLOCKS):
            line = f"{name:<36}{clock:>5}" + "".join(
                f"  {label}: {_range([f[k] for f in runs[label][name]])}" for label in trees)
            if args.against:
                ratios = [speedup(name, a[k], b[k]) for a, b in zip(
                    runs["this"][name], runs["other"][name], strict=True)]
                line += f"  speed-up x{min(ratios):.2f}..{max(ratios):.2f}"
            print(line, flush=True)
    medians = {n: {clock: statistics.median(f[k] for f in v) for k, clock in enumerate(CLOCKS)}
               for n, v in runs["this"].items()}
    if args.baseline:
        print(f"\nratio to the baseline {args.baseline} (> 1: faster than the baseline)")
        for line in baseline_ratios(medians, Path(args.baseline)):
            print(line)
    report = {"median": medians, "runs": runs, "python": sys.version.split()[0],
              "machine": os.uname().machine, "cpus": os.cpu_count()}
    for path in (args.json, args.save_baseline):
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
            print(f"wrote {path}")


def baseline_ratios(medians: dict[str, dict[str, float]], path: Path) -> list[str]:
    """One line per figure of ``medians`` also in the stored baseline at ``path``: the ratios.

    A stored figure is ``{"wall": s, "cpu": s}`` or, in files written before the CPU clock was
    measured, one number (the wall clock).
    """
    stored = json.loads(path.read_text())["median"]
    lines = []
    for name, value in medians.items():
        if name not in stored:
            lines.append(f"  {name:<36}  not in the baseline")
            continue
        old = stored[name] if isinstance(stored[name], dict) else {"wall": stored[name]}
        lines.append(f"  {name:<36}" + "".join(
            f"  {clock} x{speedup(name, value[clock], old[clock]):.2f}"
            for clock in CLOCKS if clock in old))
    return lines


def _range(values: list[float]) -> str:
    lo, hi = min(values), max(values)
    fmt = "{:,.0f}" if hi >= 1000 else "{:.3g}"
    return fmt.format(lo) if lo == hi else f"{fmt.format(lo)}..{fmt.format(hi)}"


if __name__ == "__main__":
    main()
