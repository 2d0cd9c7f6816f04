"""Why DDPG alone does not learn RELMAS: measurements of the signal and of the exploration.

Run from the repository root (validation seeds only; minutes)::

    PYTHONPATH=. python scripts/relmas_diagnostics.py [--workload mixed] [--requests 40]
        [--seeds 100..104] [--out diagnostics.json]

1. **Does the paper's reward rank policies as the SLA does?** Each policy (the heuristics, an
   untrained actor, the same actor with DDPG's exploration noise) plays the same validation
   workloads through :class:`~policies.relmas.rollout.Episode`; the episode's summed reward is
   set beside its SLA satisfaction, and the rank correlation over policies is reported. If the
   reward ranked them differently, maximising it would not meet more deadlines.
2. **The reward's scale**: per-tick mean, spread and range, and its correlation with the
   length of the ready queue (the reward is a sum over the queue's SJs, so long queues dominate
   the critic's targets).
3. **Exploration on the SA head**: on the states EDF-H visits, the share of SJs whose argmax SA
   changes when Gaussian noise of DDPG's standard deviation is added to the actor's scores
   (untrained actor, and the shipped paper-feature mixed checkpoint), and the share of SJs that
   are ready (their SA takes effect at this tick).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

import policies
from mas_sim.cli.config_options import int_list
from mas_sim.core.files import atomic_write_text
from mas_sim.hardware import SystemSpec
from mas_sim.sim.view import Schedule, SchedulerView
from policies.relmas.checkpoint import load_checkpoint
from policies.relmas.config import TrainConfig
from policies.relmas.encoding import StateEncoder, decode, num_actions, num_features
from policies.relmas.networks import Actor
from policies.relmas.policy import CHECKPOINT_DIR
from policies.relmas.rollout import Episode
from policies.relmas.scenarios import period_of, scenario_for, training_normalisation

HEURISTICS = ("edf-ac-h", "edf-h", "prema-h", "llf-h", "moca", "fcfs-h", "herald")


def _rank(values: list[float]) -> np.ndarray:
    return np.argsort(np.argsort(values)).astype(float)


def spearman(a: list[float], b: list[float]) -> float:
    """Spearman's rank correlation (no ties expected)."""
    return float(np.corrcoef(_rank(a), _rank(b))[0, 1])


def play(system: SystemSpec, workload: Any, period: float,
         decide: Any) -> tuple[float, float, list[tuple[float, int]]]:
    """(summed reward, SLA, [(tick reward, RQ length)]) of one episode."""
    ep = Episode(system, workload, period)
    ticks: list[tuple[float, int]] = []
    while ep.view is not None:
        view = ep.view
        step = ep.step(decide(view))
        ticks.append((step.reward, view.size))
    return sum(r for r, _ in ticks), ep.outcomes.met / len(workload.requests), ticks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", default="mixed")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--seeds", type=int_list, default=tuple(range(100, 105)))
    parser.add_argument("--noise", type=float, default=0.2)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    system = SystemSpec.paper()
    config = TrainConfig(workload=args.workload, hidden=256)
    scenario = scenario_for(system, config)
    period = period_of(config)
    norm = training_normalisation(system, config, period, scenario)
    encoder = StateEncoder(norm, 64)
    torch.manual_seed(0)
    untrained = Actor(num_features(6), num_actions(6), 256).eval()
    rng = np.random.default_rng(0)

    def actor_decide(actor: Actor, noise: float) -> Any:
        def decide(view: SchedulerView) -> Schedule:
            state = encoder(view)
            with torch.inference_mode():
                a = actor(torch.from_numpy(state)[None])[0, 1:].numpy()
            if noise:
                a = np.clip(a + rng.normal(0, noise, a.shape), -1, 1)
            return Schedule(*decode(a, view))
        return decide

    deciders: dict[str, Any] = {}
    for name in HEURISTICS:
        policy = policies.make(name)
        policy.reset(system, 0)
        deciders[name] = policy.schedule
    deciders["untrained actor"] = actor_decide(untrained, 0.0)
    deciders[f"untrained actor + noise {args.noise}"] = actor_decide(untrained, args.noise)
    report: dict[str, Any] = {"args": {k: str(v) for k, v in vars(args).items()}, "policies": {}}
    all_ticks: list[tuple[float, int]] = []
    for name, decide in deciders.items():
        rewards, slas = [], []
        for seed in args.seeds:
            total, sla, ticks = play(system, scenario(seed, args.requests), period, decide)
            rewards.append(total)
            slas.append(sla)
            all_ticks += ticks
        report["policies"][name] = {"reward": float(np.mean(rewards)),
                                    "sla": float(np.mean(slas))}
        print(f"{name:32} reward {np.mean(rewards):9.2f}  SLA {np.mean(slas):.3f}", flush=True)
    names = list(report["policies"])
    report["spearman_reward_sla"] = spearman(
        [report["policies"][n]["reward"] for n in names],
        [report["policies"][n]["sla"] for n in names])
    r = np.array([t[0] for t in all_ticks])
    q = np.array([t[1] for t in all_ticks], dtype=float)
    report["tick_reward"] = {"mean": float(r.mean()), "std": float(r.std()),
                             "min": float(r.min()), "max": float(r.max()),
                             "corr_with_rq_length": float(np.corrcoef(r, q)[0, 1]),
                             "rq_length_mean": float(q.mean()), "rq_length_max": float(q.max())}
    print(f"rank correlation of reward and SLA over policies: "
          f"{report['spearman_reward_sla']:.2f}")
    print("tick reward:", {k: round(v, 3) for k, v in report["tick_reward"].items()})

    # 3. Exploration on the SA head, on EDF-H's states.
    states: list[tuple[np.ndarray, np.ndarray]] = []
    edf = policies.make("edf-h")
    edf.reset(system, 0)

    def record(view: SchedulerView) -> Schedule:
        states.append((encoder(view), np.asarray(view.ready[:64], dtype=bool)))
        return edf.schedule(view)

    for seed in args.seeds[:2]:
        play(system, scenario(seed, args.requests), period, record)
    shipped = load_checkpoint(CHECKPOINT_DIR / "relmas_mixed_medium_h256.pt")
    if shipped.normalisation != norm:
        raise SystemExit("the shipped checkpoint encodes states differently from this run")
    report["exploration"] = {}
    for label, actor in (("untrained", untrained), ("shipped h256", shipped.build_actor())):
        flips, ready, gaps = [], [], []
        for state, ready_rows in states:
            with torch.inference_mode():
                a = actor(torch.from_numpy(state)[None])[0, 1:].numpy()
            scores = a[:, 1:]
            noisy = np.clip(scores + rng.normal(0, args.noise, scores.shape), -1, 1)
            flips.append(np.mean(scores.argmax(1) != noisy.argmax(1)))
            top = np.sort(scores, axis=1)
            gaps.append(np.median(top[:, -1] - top[:, -2]))
            ready.append(ready_rows.mean() if ready_rows.size else 0.0)
        report["exploration"][label] = {"sa_flip_share": float(np.mean(flips)),
                                        "median_top2_gap": float(np.median(gaps)),
                                        "ready_share": float(np.mean(ready))}
        print(f"{label:14} SA changed by noise on {np.mean(flips):.1%} of SJs; median gap "
              f"between the two best scores {np.median(gaps):.3f}; ready SJs "
              f"{np.mean(ready):.1%}")
    if args.out is not None:
        atomic_write_text(args.out, json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
