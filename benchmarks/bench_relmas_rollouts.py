"""RELMAS experience at scale: environment steps per second with 1 and N rollout workers, learner
updates per second, and where a tick's time goes.

Run from the repository root (long runs under ``nice -n 10``)::

    PYTHONPATH=. python benchmarks/bench_relmas_rollouts.py [--workers 1,2] [--episodes 4]
        [--requests 100] [--hidden 256] [--workload mixed] [--ray]

Rollouts: an untrained actor (the weights do not change the cost much; the noise does change
the schedules) plays ``--episodes`` training episodes of mixed / QoS-Medium through each
collector of :mod:`policies.relmas.collect`; steps/s = ticks / wall time of the whole batch,
and the workers' own clocks split a tick into encoding, acting and the environment (the
reward's forecast and the engine). Learner: DDPG updates on batches drawn from those
transitions (batch 32, states capped at 64 SJs). The workers' CPU seconds are
reported too: on a machine shared with other jobs, wall-clock speed-ups measure the share of
the cores the run got, while steps per worker CPU second do not. Prints a table, writes
``benchmarks/results/relmas_rollouts.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch

from mas_sim.core.files import atomic_write_text
from mas_sim.hardware import SystemSpec
from policies.relmas.collect import (
    EpisodeExperience,
    ProcessCollector,
    RayCollector,
    RolloutSpec,
    SerialCollector,
)
from policies.relmas.config import TrainConfig
from policies.relmas.ddpg import DDPG, DDPGConfig, ReplayBuffer, collate
from policies.relmas.encoding import num_actions, num_features
from policies.relmas.scenarios import period_of, scenario_for, training_normalisation

RESULTS = Path(__file__).resolve().parent / "results" / "relmas_rollouts.json"


def rollouts(spec: RolloutSpec, weights: dict[str, torch.Tensor], episodes: list[int],
             kind: str, workers: int) -> tuple[dict[str, float], list[EpisodeExperience]]:
    """Steps/s and the per-part seconds of one collector playing ``episodes``."""
    collector = (SerialCollector(spec) if kind == "serial" else
                 ProcessCollector(spec, workers) if kind == "process" else
                 RayCollector(spec, workers))
    try:
        started = time.perf_counter()
        out = collector.result(collector.submit(weights, episodes))
        wall = time.perf_counter() - started
    finally:
        collector.close()
    steps = sum(len(e.transitions) for e in out)
    parts = {k: float(sum(getattr(e, k) for e in out)) for k in ("encode_s", "act_s", "env_s")}
    cpu = float(sum(e.cpu_s for e in out))
    return {"workers": workers, "steps": steps, "wall_s": wall, "steps_per_s": steps / wall,
            "worker_cpu_s": cpu, "steps_per_cpu_s": steps / cpu,
            **{f"{k[:-2]}_us_per_step": 1e6 * v / steps for k, v in parts.items()}}, out


def learner(experience: list[EpisodeExperience], hidden: int, m: int, updates: int
            ) -> dict[str, float]:
    """DDPG updates per second on the collected transitions."""
    cfg = DDPGConfig(batch_size=32, max_rq=64)
    agent = DDPG(num_features(m), num_actions(m), hidden, cfg)
    buffer = ReplayBuffer(10**6)
    for e in experience:
        for t in e.transitions:
            buffer.add(t)
    rng = np.random.default_rng(0)
    started = time.perf_counter()
    for _ in range(updates):
        agent.update(collate(buffer.sample(rng, cfg.batch_size)))
    wall = time.perf_counter() - started
    return {"updates": updates, "wall_s": wall, "updates_per_s": updates / wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--episodes", type=int, default=4)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--workload", default="mixed")
    parser.add_argument("--updates", type=int, default=200)
    parser.add_argument("--ray", action="store_true", help="also time Ray actors")
    args = parser.parse_args()
    torch.set_num_threads(1)
    system = SystemSpec.paper()
    config = TrainConfig(workload=args.workload, hidden=args.hidden, requests=args.requests,
                         ddpg=DDPGConfig(max_rq=64))
    scenario = scenario_for(system, config)
    period = period_of(config)
    norm = training_normalisation(system, config, period, scenario)
    spec = RolloutSpec(system, scenario, norm, period, args.hidden, 64, args.requests, 0, 0.2)
    torch.manual_seed(0)
    from policies.relmas.networks import Actor

    weights = Actor(num_features(6), num_actions(6), args.hidden).state_dict()
    episodes = list(range(args.episodes))
    report: dict[str, object] = {"machine": platform.node(), "args": vars(args), "rollouts": []}
    rows = []
    base, experience = rollouts(spec, weights, episodes, "serial", 1)
    rows.append({"collector": "serial (this process)", **base})
    for w in (int(x) for x in args.workers.split(",")):
        row, _ = rollouts(spec, weights, episodes, "process", w)
        rows.append({"collector": f"{w} processes", **row})
        if args.ray:
            row, _ = rollouts(spec, weights, episodes, "ray", w)
            rows.append({"collector": f"{w} Ray actors", **row})
    report["rollouts"] = rows
    report["learner"] = learner(experience, args.hidden, 6, args.updates)
    print(f"{'collector':24} {'steps':>6} {'wall s':>7} {'steps/s':>8} {'/cpu s':>7} "
          f"{'encode':>7} {'act':>7} {'env':>7}  (us per step)")
    for r in rows:
        print(f"{r['collector']:24} {r['steps']:6d} {r['wall_s']:7.1f} {r['steps_per_s']:8.1f} "
              f"{r['steps_per_cpu_s']:7.1f} "
              f"{r['encode_us_per_step']:7.0f} {r['act_us_per_step']:7.0f} "
              f"{r['env_us_per_step']:7.0f}")
    lr = report["learner"]
    assert isinstance(lr, dict)
    print(f"learner: {lr['updates_per_s']:.1f} updates/s (batch 32, h = {args.hidden})")
    RESULTS.parent.mkdir(exist_ok=True)
    atomic_write_text(RESULTS, json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
