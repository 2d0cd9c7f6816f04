"""RELMAS speed benchmark: decision time per SJ, MACs per step, training wall time per episode.

Run from the repository root (one core, as the goal states)::

    PYTHONPATH=. python benchmarks/bench_relmas.py [--requests 60] [--train-requests 10]
                                                   [--skip-training]

Decision time is measured two ways at h = 128 and 256 with an untrained actor (the weights do
not change the cost): inside a simulation of mixed / QoS-Medium (the engine's wall clock around
``schedule``, divided by the SJs decided: what ``decision_us_per_subjob`` reports), and as the
actor alone on RQs of 100 and 500 SJs. Training time per episode runs :func:`train` for one
episode of ``--train-requests`` requests at the default DDPG settings and at ``update_every=8,
max_rq=64``. Goal (issue 5): at most 20 us per SJ at h = 256 (the paper's features). Both SA
time features are timed (``latency``, the paper's; ``planned_finish``, which adds EDF-AC-H's
plan to the encoding, keys ``<h>_planned_finish``). Prints a table, writes
``benchmarks/results/relmas.json``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch

from mas_sim.core.files import atomic_write_text
from mas_sim.hardware import SystemSpec
from mas_sim.runs.simulate import simulate
from mas_sim.workload.scenario import DEFAULT_PERIOD, build_workload
from policies.relmas.ddpg import DDPGConfig
from policies.relmas.encoding import SA_TIMES, Normalisation, num_actions, num_features
from policies.relmas.networks import Actor, macs_per_step
from policies.relmas.policy import Relmas, simba_small_pj_per_mac
from policies.relmas.train import TrainConfig, train

RESULTS = Path(__file__).resolve().parent / "results" / "relmas.json"
GOAL_US = 20.0


def actor_only_us(actor: Actor, norm: Normalisation, view_size: int, repeats: int = 20) -> float:
    """Microseconds per SJ of one inference-mode actor pass over a random RQ of ``view_size``."""
    x = torch.rand(1, view_size + 1, actor.features)
    with torch.inference_mode():
        for _ in range(3):
            actor(x)
        start = time.perf_counter()
        for _ in range(repeats):
            actor(x)
    return (time.perf_counter() - start) / repeats / view_size * 1e6


def time_training(system: SystemSpec, train_requests: int) -> dict[str, dict[str, float]]:
    """Wall time of one training episode of ``train_requests`` requests, per DDPG variant and h."""
    training = {}
    variants = {"default": DDPGConfig(), "update_every_8_max_rq_64":
                replace(DDPGConfig(), update_every=8, max_rq=64)}
    with tempfile.TemporaryDirectory() as tmp:
        for name, ddpg in variants.items():
            for h in (128, 256):
                cfg = TrainConfig(workload="mixed", qos="medium", hidden=h, episodes=1,
                                  requests=train_requests, eval_seeds=(0,),
                                  eval_requests=1, eval_every=1, out=f"{tmp}/{name}_{h}.pt",
                                  ddpg=replace(ddpg, learning_starts=32))
                start = time.perf_counter()
                res = train(cfg, system=system, progress=False)
                wall = time.perf_counter() - start
                ticks = res.history[0]["steps"]
                training[f"{name}/h{h}"] = {"episode_wall_s": wall, "ticks": ticks,
                                           "ms_per_tick": wall / ticks * 1e3,
                                           "requests": train_requests}
                print(f"train {name:<26} h={h:<4} {wall:7.1f} s/episode "
                      f"({ticks:.0f} ticks, {wall / ticks * 1e3:.1f} ms/tick)")
    return training


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--train-requests", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-training", action="store_true",
                        help="decision time only (skip the training episodes, which take minutes)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    system = SystemSpec.paper()
    m = system.num_sas
    f, g = num_features(m), num_actions(m)
    workload = build_workload(system, workload="mixed", qos="medium", requests=args.requests,
                              seed=args.seed)
    report: dict[str, object] = {
        "machine": platform.processor() or platform.machine(), "torch": torch.__version__,
        "threads": torch.get_num_threads(), "scenario": "mixed/medium",
        "requests": args.requests, "goal_us_per_subjob_h256": GOAL_US,
        "pj_per_mac_simba_small": simba_small_pj_per_mac(), "hidden": {}}
    print(f"{'SA time':>15} {'h':>4} {'MACs/step':>10} {'in-sim us/SJ':>13} "
          f"{'actor us/SJ R=100':>18} {'R=500':>7} {'mean RQ':>8} {'pJ/SJ':>9}")
    for sa_time, h in itertools.product(SA_TIMES, (128, 256)):
        norm = Normalisation.for_profiles(workload.profiles, time_unit=DEFAULT_PERIOD,
                                          dram_bandwidth=system.dram_bandwidth, sa_time=sa_time)
        torch.manual_seed(args.seed)
        actor = Actor(f, g, h)
        policy = Relmas.from_actor(actor, norm)
        result = simulate(system, workload, policy, trace=False)
        s = result.summary
        row = {
            "macs_per_step": macs_per_step(h, f, g),
            "decision_us_per_subjob": s["decision_us_per_subjob"],
            "actor_only_us_per_subjob_r100": actor_only_us(actor, norm, 100),
            "actor_only_us_per_subjob_r500": actor_only_us(actor, norm, 500),
            "mean_rq": s["decisions"] / max(s["policy_calls"], 1),
            "policy_calls": s["policy_calls"],
            "energy_pj_per_subjob_decision": macs_per_step(h, f, g) * simba_small_pj_per_mac(),
            "meets_goal": bool(s["decision_us_per_subjob"] <= GOAL_US) if h == 256 else None,
        }
        key = str(h) if sa_time == "latency" else f"{h}_{sa_time}"
        report["hidden"][key] = row  # type: ignore[index]
        print(f"{sa_time:>15} {h:>4} {row['macs_per_step']:>10,} "
              f"{row['decision_us_per_subjob']:>13.2f} "
              f"{row['actor_only_us_per_subjob_r100']:>18.2f} "
              f"{row['actor_only_us_per_subjob_r500']:>7.2f} {row['mean_rq']:>8.0f} "
              f"{row['energy_pj_per_subjob_decision']:>9.0f}")
    report["training"] = (None if args.skip_training
                          else time_training(system, args.train_requests))
    atomic_write_text(RESULTS, json.dumps(report, indent=2, sort_keys=True) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
