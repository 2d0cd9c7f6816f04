"""RELMAS: deep-RL online scheduling (Blanco et al., DAC 2024) -- policy, networks, training.

Modules: :mod:`.encoding` (state features), :mod:`.networks` (LSTM actor and critic),
:mod:`.reward` (per-tick reward), :mod:`.rollout` (tick-by-tick simulation driver),
:mod:`.ddpg` (learning), :mod:`.checkpoint` (files), :mod:`.policy` (the scheduler),
:mod:`.train` (the training loop and ``mas-sim train relmas``).

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
