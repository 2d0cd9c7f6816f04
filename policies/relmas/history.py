"""The training history: one row per episode, written as CSV and drawn as a learning curve.

Both files are rewritten whole and atomically at every save (:mod:`mas_sim.core.files`), from
the rows kept in the resumable checkpoint, so they are valid at every instant and a resumed run
rewrites them with no row lost or repeated.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from mas_sim.core.files import atomic_path, atomic_write_text

Row = dict[str, float]
"""One episode's figures (:data:`CSV_COLUMNS`); NaN where not measured."""

#: Columns of the history. ``steps``: ticks (environment steps) so far; ``wall_s``: training
#: wall time so far (resumed runs continue the count); ``eval_sla`` / ``eval_sla_min``: mean and
#: worst SLA satisfaction over the evaluation seeds (NaN between evaluations). Where the time
#: goes, cumulative seconds of this process: ``learn_s`` (DDPG updates, ``updates`` of them),
#: ``eval_s`` (evaluations); summed over the rollout workers: ``rollout_s`` (playing episodes)
#: and its ``env_s`` part (the reward's forecast and the engine; NaN without workers).
CSV_COLUMNS = ("episode", "steps", "wall_s", "train_reward", "train_sla", "critic_loss",
               "actor_loss", "eval_sla", "eval_sla_min", "updates", "learn_s", "eval_s",
               "rollout_s", "env_s")


def write_history(path: Path, history: list[Row]) -> None:
    """The rows as CSV (an empty cell for NaN), atomically."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in history:
        writer.writerow({k: ("" if math.isnan(v) else v)
                         for k, v in ((k, row.get(k, math.nan)) for k in CSV_COLUMNS)})
    atomic_write_text(path, buf.getvalue())


def read_history(path: Path) -> list[Row]:
    """Inverse of :func:`write_history` (empty or absent cells are NaN)."""
    with path.open(newline="") as f:
        return [{k: (math.nan if row.get(k) in ("", None) else float(row[k]))
                 for k in CSV_COLUMNS} for row in csv.DictReader(f)]


def plot_history(path: Path, history: list[Row], title: str) -> None:
    """Learning curve (evaluation SLA and training reward per episode) as a PNG, atomically."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ev = [(r["episode"], r["eval_sla"]) for r in history if not math.isnan(r["eval_sla"])]
    if ev:
        ax.plot(*zip(*ev, strict=True), marker="o", label="eval SLA satisfaction")
    ax.set_xlabel("episode")
    ax.set_ylabel("SLA satisfaction (held-out seeds)")
    ax.set_ylim(0, 1)
    ax2 = ax.twinx()
    ax2.plot([r["episode"] for r in history], [r["train_reward"] for r in history],
             color="tab:gray", alpha=0.5, label="train reward")
    ax2.set_ylabel("episode reward")
    ax.set_title(title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
