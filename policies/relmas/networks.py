"""RELMAS's actor and critic (section 4): an LSTM over the RQ sequence and two projections.

Actor: ``LSTM(F -> h) -> Linear(h -> h/2) + ReLU -> Linear(h/2 -> G) + tanh``, one output per
step; the primer step's output is dropped by the caller. Output ``[.., 0]`` is the SJ's priority,
``[.., 1:]`` its M SA scores (SA = argmax).

Critic: the same stack on ``[state, action]`` rows (``F + G`` per step; the primer row gets a zero
action), ending in a linear ``h/2 -> 1`` head applied to the hidden state of the *last valid*
step: ``Q(s, a)``.

Padding. Batches pad sequences at the end. The LSTM is unidirectional, so the outputs of valid
steps never see the padding; the actor's padded outputs are masked by the loss and the critic
reads the hidden state at ``length - 1``. No packing is needed.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def macs_per_step(hidden: int, features: int, actions: int) -> int:
    """MACs of one actor step: ``4h(F + h) + h(h/2) + (h/2)G`` (RELMAS section 5.3)."""
    half = hidden // 2
    return 4 * hidden * (features + hidden) + hidden * half + half * actions


class Actor(nn.Module):
    """Deterministic policy mu(s): ``[B, T, F]`` states to ``[B, T, G]`` actions in [-1, 1]."""

    def __init__(self, features: int, actions: int, hidden: int) -> None:
        super().__init__()
        self.features = features
        self.actions = actions
        self.hidden = hidden
        self.lstm = nn.LSTM(features, hidden, batch_first=True)
        self.fc1 = nn.Linear(hidden, hidden // 2)
        self.fc2 = nn.Linear(hidden // 2, actions)

    def forward(self, states: Tensor) -> Tensor:
        """Actions for every step, the primer's included (callers drop step 0)."""
        out, _ = self.lstm(states)
        return torch.tanh(self.fc2(torch.relu(self.fc1(out))))


class Critic(nn.Module):
    """Q(s, a): ``[B, T, F]`` states and ``[B, T, G]`` actions (primer row zero) to ``[B]``."""

    def __init__(self, features: int, actions: int, hidden: int) -> None:
        super().__init__()
        self.features = features
        self.actions = actions
        self.hidden = hidden
        self.lstm = nn.LSTM(features + actions, hidden, batch_first=True)
        self.fc1 = nn.Linear(hidden, hidden // 2)
        self.fc2 = nn.Linear(hidden // 2, 1)

    def forward(self, states: Tensor, actions: Tensor, lengths: Tensor) -> Tensor:
        """Q of each sequence, read at its last valid step ``lengths - 1`` (lengths count the
        primer, so they are >= 1)."""
        out, _ = self.lstm(torch.cat([states, actions], dim=-1))
        last = out[torch.arange(out.shape[0]), lengths - 1]
        return self.fc2(torch.relu(self.fc1(last))).squeeze(-1)
