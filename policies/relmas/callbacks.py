"""Callbacks of the RELMAS trainer (Stable-Baselines3 style): what happens around the loop.

The loop (:class:`policies.relmas.train.Trainer`) calls, in this order:
``on_training_start`` once (after a resume or the imitation warm start), ``on_episode_end``
after every episode's row is in the history, ``on_evaluation`` after an evaluated row (with
whether it beat every earlier evaluation), and ``on_training_end`` once.

Files. The resumable checkpoint ``out`` is the one source of truth: it holds the networks, the
optimizers, the progress, the history and the best weights so far. The other outputs are derived
from it and written after it (``<stem>.best.pt``, ``<stem>.csv``, ``<stem>.png``), each
atomically, and a resumed run derives them again first, so an interruption at any instant
(Ctrl-C or SIGKILL) leaves valid files, and ``--resume`` continues from the last evaluation with
no history row lost or repeated.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policies.relmas.history import Row, plot_history, write_history

if TYPE_CHECKING:
    from policies.relmas.train import Trainer


class Callback:
    """A hook on the training loop; every method does nothing unless overridden."""

    def on_training_start(self, trainer: Trainer) -> None:
        """Before the first episode of this run (``trainer.resumed`` tells a resumed run)."""

    def on_episode_end(self, trainer: Trainer, row: Row) -> None:
        """After each episode; ``row`` is the last of ``trainer.history``."""

    def on_evaluation(self, trainer: Trainer, row: Row, improved: bool) -> None:
        """After an evaluated row; ``improved``: its mean SLA beat every earlier evaluation."""

    def on_training_end(self, trainer: Trainer) -> None:
        """After the last episode of this run (budget, episode count or wall time)."""


def best_path(out: Path) -> Path:
    """Where the best-evaluated weights go: ``<stem>.best.pt`` beside ``out``."""
    return out.with_name(out.stem + ".best" + out.suffix)


class SaveCheckpoint(Callback):
    """The resumable checkpoint at every evaluation, then the best weights (no resume state)."""

    def on_training_start(self, trainer: Trainer) -> None:
        if trainer.resumed and trainer.best is not None:
            trainer.save_best(best_path(trainer.out))

    def on_evaluation(self, trainer: Trainer, row: Row, improved: bool) -> None:
        trainer.save(trainer.out)
        if improved:
            trainer.save_best(best_path(trainer.out))


class WriteHistory(Callback):
    """``<stem>.csv``: the history rows (:mod:`.history`)."""

    def on_training_start(self, trainer: Trainer) -> None:
        if trainer.resumed:
            self.on_evaluation(trainer, {}, False)

    def on_evaluation(self, trainer: Trainer, row: Row, improved: bool) -> None:
        write_history(trainer.out.with_suffix(".csv"), trainer.history)


class PlotHistory(Callback):
    """``<stem>.png``: the learning curve."""

    def on_evaluation(self, trainer: Trainer, row: Row, improved: bool) -> None:
        c = trainer.config
        plot_history(trainer.out.with_suffix(".png"), trainer.history,
                     f"RELMAS h={c.hidden} on {c.workload} / QoS-{c.qos}")


class ProgressBar(Callback):
    """A tqdm bar over the episodes with the last reward and evaluation."""

    def __init__(self) -> None:
        self._bar: Any = None

    def on_training_start(self, trainer: Trainer) -> None:
        from tqdm.auto import tqdm

        self._bar = tqdm(total=trainer.config.episodes, initial=trainer.episode,
                         unit="episode", desc="training RELMAS")

    def on_episode_end(self, trainer: Trainer, row: Row) -> None:
        self._bar.update(1)
        self._bar.set_postfix(reward=f"{row['train_reward']:.2f}", eval=f"{row['eval_sla']:.3f}")

    def on_training_end(self, trainer: Trainer) -> None:
        self._bar.close()


class ChooseDeployCap(Callback):
    """After training, pick the best checkpoint's default RQ cap on the evaluation seeds
    (:func:`policies.relmas.evaluation.choose_deploy_cap`); ``means`` holds both SLAs."""

    def __init__(self) -> None:
        self.means: dict[str, float] | None = None

    def on_training_end(self, trainer: Trainer) -> None:
        from policies.relmas.evaluation import choose_deploy_cap

        path = best_path(trainer.out)
        if not path.is_file():
            return
        c = trainer.config
        self.means = choose_deploy_cap(path, c.ddpg.max_rq, trainer.system, trainer.scenario,
                                       c.eval_seeds, c.eval_requests, trainer.period)
        print(f"{path}: validation SLA over the whole RQ {self.means['none']:.3f}, capped at "
              f"{c.ddpg.max_rq} {self.means['cap']:.3f}; the better is its default",
              file=sys.stderr)
