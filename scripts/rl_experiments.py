"""Issue 19's evidence: validation SLA of trained RELMAS checkpoints and heuristics, and the
learning curves of several runs in one figure.

Run from the repository root (validation or held-out seeds only, never the test seeds 1-5)::

    PYTHONPATH=. python scripts/rl_experiments.py evaluate --workload mixed --seeds 100..119 \
        --requests 100 --policies edf-h,edf-ac-h --checkpoint ddpg=run.best.pt --out table.csv
    PYTHONPATH=. python scripts/rl_experiments.py curves --out curves.png \
        --ref EDF-H=0.873 "DDPG, paper reward=run.csv" "PPO=ppo.csv"

``evaluate`` prints one line per policy (mean, min and max SLA satisfaction over the seeds) and
writes one CSV row per policy and seed; a checkpoint runs as it deploys (its recorded
``deploy_max_rq``) unless ``--max-rq`` is given. ``curves`` draws the evaluation SLA in the
histories (``<stem>.csv`` of ``mas-sim train relmas``) against training wall time and against
environment steps, with heuristics' levels as dashed lines.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import time
from pathlib import Path

import numpy as np

import policies
from mas_sim.cli.config_options import int_list
from mas_sim.core.files import atomic_path, atomic_write_text
from mas_sim.hardware import SystemSpec
from mas_sim.sim.view import Policy
from policies.relmas.config import TrainConfig
from policies.relmas.evaluation import evaluate
from policies.relmas.history import read_history
from policies.relmas.policy import Relmas
from policies.relmas.scenarios import period_of, scenario_for


def _labelled(text: str) -> tuple[str, str]:
    label, _, value = text.rpartition("=")
    if not label:
        raise argparse.ArgumentTypeError(f"{text!r}: expected LABEL=VALUE")
    return label, value


def run_evaluate(args: argparse.Namespace) -> None:
    """SLA satisfaction of each policy on each seed (module docstring)."""
    system = SystemSpec.paper()
    config = TrainConfig(workload=args.workload, qos=args.qos)
    scenario = scenario_for(system, config)
    period = period_of(config)
    entries: list[tuple[str, Policy]] = [
        (name, policies.make(name)) for name in args.policies.split(",") if name]
    for label, path in args.checkpoint:
        max_rq = "checkpoint" if args.max_rq is None else (args.max_rq or None)
        entries.append((label, Relmas(checkpoint=path, max_rq=max_rq)))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["policy", "workload", "qos", "seed", "requests", "sla", "wall_s"])
    for label, policy in entries:
        slas = []
        for seed in args.seeds:
            started = time.perf_counter()
            sla = evaluate(policy, system, scenario, [seed], args.requests, period)[0]
            slas.append(sla)
            writer.writerow([label, args.workload, args.qos, seed, args.requests, sla,
                             round(time.perf_counter() - started, 2)])
        print(f"{label:40} SLA mean {np.mean(slas):.4f}  min {np.min(slas):.3f}  "
              f"max {np.max(slas):.3f}  ({len(slas)} seeds)", flush=True)
        if args.out is not None:
            atomic_write_text(args.out, buf.getvalue())


def run_curves(args: argparse.Namespace) -> None:
    """Evaluation SLA against wall time and environment steps (module docstring)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.2))
    FigureCanvasAgg(fig)
    by_time = fig.add_subplot(1, 2, 1)
    by_steps = fig.add_subplot(1, 2, 2)
    for label, path in args.runs:
        rows = [r for r in read_history(Path(path)) if not math.isnan(r["eval_sla"])]
        if not rows:
            continue
        line, = by_time.plot([r["wall_s"] / 60 for r in rows], [r["eval_sla"] for r in rows],
                             marker=".", label=label)
        by_steps.plot([r["steps"] for r in rows], [r["eval_sla"] for r in rows], marker=".",
                      color=line.get_color(), label=label)
    for i, (label, value) in enumerate(args.ref):
        for ax in (by_time, by_steps):
            ax.axhline(float(value), color=f"C{7 + i % 3}", linestyle="--", linewidth=1,
                       label=label if ax is by_time else None)
    by_time.set_xlabel("training wall time, minutes")
    by_steps.set_xlabel("environment steps (ticks)")
    for ax in (by_time, by_steps):
        ax.set_ylabel("validation SLA satisfaction")
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
    by_time.legend(fontsize=7, loc="lower right")
    if args.title:
        fig.suptitle(args.title)
    fig.tight_layout()
    with atomic_path(args.out) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    print(f"wrote {args.out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    e = sub.add_parser("evaluate", help="SLA of policies and checkpoints on seeds")
    e.add_argument("--workload", default="mixed")
    e.add_argument("--qos", default="medium")
    e.add_argument("--seeds", type=int_list, default=tuple(range(100, 120)))
    e.add_argument("--requests", type=int, default=100)
    e.add_argument("--policies", default="", help="heuristics, comma-separated")
    e.add_argument("--checkpoint", type=_labelled, action="append", default=[],
                   metavar="LABEL=PATH")
    e.add_argument("--max-rq", type=int, default=None,
                   help="cap the checkpoints' RQ (0: the whole RQ; default: as deployed)")
    e.add_argument("--out", type=Path, default=None)
    e.set_defaults(handler=run_evaluate)
    c = sub.add_parser("curves", help="learning curves of several runs")
    c.add_argument("runs", type=_labelled, nargs="+", metavar="LABEL=HISTORY_CSV")
    c.add_argument("--ref", type=_labelled, action="append", default=[], metavar="LABEL=SLA")
    c.add_argument("--title", default="")
    c.add_argument("--out", type=Path, required=True)
    c.set_defaults(handler=run_curves)
    args = parser.parse_args()
    args.handler(args)


if __name__ == "__main__":
    main()
