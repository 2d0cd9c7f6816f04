"""Train the shipped RELMAS checkpoints: light / heavy / mixed at QoS-Medium.

Writes ``policies/relmas/checkpoints/relmas_<workload>_medium.pt`` (the weights of the best
validation), with ``relmas_<workload>_medium.last.*`` beside it (the last state, resumable with
``mas-sim train relmas --resume``, its ``.csv`` learning data and ``.png`` curve), one workload
after the other, each under a wall-time budget.
Long: run it in the background and follow the log::

    cd /work/main && PYTHONPATH=. nohup /work/venv/bin/python scripts/train_relmas.py \\
        --minutes 30 > /work/notes/train_relmas.log 2>&1 &

Defaults aim at the issue-5 budget (30 minutes per workload on this 2-core machine, one thread):
hidden 256 (the paper's evaluation size), the most urgent 64 SJs per stored state, one update
round every 8 ticks, and a warm start that imitates EDF-H for the first episodes (``--imitate
none`` for pure DDPG, as the paper). Evaluation seeds 0..4 are held out (training seeds start at
10**6). Validation seeds 100..104 pick the best checkpoint, so report quality on seeds 0..4.
``--dry-run`` prints the configurations without training.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import replace
from pathlib import Path

from policies.relmas.ddpg import DDPGConfig
from policies.relmas.policy import CHECKPOINT_DIR
from policies.relmas.train import TrainConfig, best_path, train


def configs(args: argparse.Namespace) -> list[TrainConfig]:
    """One training configuration per requested workload."""
    ddpg = replace(DDPGConfig(), max_rq=args.max_rq, update_every=args.update_every,
                   batch_size=args.batch_size)
    imitate = None if args.imitate == "none" else args.imitate
    out_dir = Path(args.out_dir)
    return [TrainConfig(workload=w, qos="medium", hidden=args.hidden, episodes=args.episodes,
                        requests=args.requests, seed=args.seed,
                        eval_seeds=(100, 101, 102, 103, 104),
                        eval_requests=args.eval_requests, eval_every=args.eval_every,
                        out=str(out_dir / f"relmas_{w}_medium.last.pt"), imitate=imitate,
                        imitation_episodes=args.imitation_episodes if imitate else 0,
                        max_minutes=args.minutes, ddpg=ddpg)
            for w in args.workloads.split(",")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default="light,heavy,mixed")
    parser.add_argument("--minutes", type=float, default=30.0, help="wall budget per workload")
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--episodes", type=int, default=1000, help="upper bound; time stops first")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--eval-requests", type=int, default=100)
    parser.add_argument("--eval-every", type=int, default=2)
    parser.add_argument("--max-rq", type=int, default=64)
    parser.add_argument("--update-every", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--imitate", default="edf-h", help="heuristic to imitate, or none")
    parser.add_argument("--imitation-episodes", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out-dir", default=str(CHECKPOINT_DIR))
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    for config in configs(args):
        print(config, flush=True)
        if args.dry_run:
            continue
        result = train(config, progress=False)
        for row in result.history:
            print({k: round(v, 4) for k, v in row.items()}, flush=True)
        best = best_path(result.checkpoint)
        final = best.with_name(f"relmas_{config.workload}_medium.pt")
        if best.exists():  # absent if a resumed run never beat its earlier best
            os.replace(best, final)
        print(f"{config.workload}: best validation SLA {result.best_eval_sla:.3f} -> {final}",
              flush=True)


if __name__ == "__main__":
    main()
