"""RELMAS: deep-RL online scheduling (Blanco et al., DAC 2024) -- policy, networks, training.

The scheduler: :mod:`.policy`, with :mod:`.encoding` (state features), :mod:`.networks` (LSTM
actor and critic) and :mod:`.checkpoint` (files). The environment: :mod:`.reward` (per-tick
reward), :mod:`.rollout` (tick-by-tick simulation driver), :mod:`.env` (Gymnasium). Learning:
:mod:`.ddpg` (the algorithm, top to bottom), :mod:`.imitation` (DAgger warm start),
:mod:`.config` (``TrainConfig``), :mod:`.presets` (named recipes), :mod:`.scenarios` (training
workloads), :mod:`.train` (the loop), :mod:`.evaluation`, :mod:`.callbacks` and :mod:`.history`
(what happens around it). The command line is :mod:`mas_sim.cli.train`.

Only :class:`Relmas` is re-exported, lazily: importing this package does not import torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from policies.relmas.policy import Relmas

__all__ = ["Relmas"]


def __getattr__(name: str) -> Any:
    if name == "Relmas":
        from policies.relmas.policy import Relmas

        return Relmas
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
