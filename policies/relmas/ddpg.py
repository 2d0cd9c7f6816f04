"""DDPG (Lillicrap et al. 2015) as RELMAS adapts it (section 4.2), CleanRL style.

- The actor and critic are the LSTM networks of :mod:`.networks`; a state is the encoded RQ
  (primer row first) and an action one ``G``-vector per SJ, so both are variable-length.
- Replay buffer of ``(s_t, a_t, r_t, s_{t+1}, done)``. ``s_{t+1}`` encodes ONLY the residual RQ:
  the SJs of ``RQ_t`` not started by ``t + Ts``, with the SA busy times at ``t + Ts`` (the paper
  found that leaving out the stochastic new arrivals lets DDPG learn cause and effect).
- Target networks follow with soft updates ``theta' <- tau theta + (1 - tau) theta'``.
- Exploration: Gaussian noise on the actions, clipped to [-1, 1]; beyond the paper, optionally
  also an epsilon-random SA per SJ (``sa_epsilon``, :func:`explore`): the SA is the argmax of
  the scores, and Gaussian noise on them explores SAs almost uniformly for an untrained actor
  and hardly at all for a trained one (RESULTS.md section 8b).
- Batches pad sequences at the end; :func:`collate` returns lengths, and the networks never read
  past them (see :mod:`.networks`).
- After an imitation warm start (:mod:`.imitation`, beyond the paper) the critic alone learns for
  ``critic_warmup`` update rounds, so the actor is not pushed by a critic that knows nothing yet.

CPU only; the trainer sets ``torch.set_num_threads(1)``.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F
from torch import Tensor

from mas_sim.core.errors import ConfigError
from policies.relmas.networks import Actor, Critic

Array32 = npt.NDArray[np.float32]


@dataclass(frozen=True)
class DDPGConfig:
    """Learning hyper-parameters (the paper gives none; these are common DDPG defaults)."""

    discount: float = 0.9
    """Discount factor of future rewards per tick."""
    tau: float = 0.005
    """Soft-update rate of the target networks."""
    actor_lr: float = 1e-4
    """Adam learning rate of the actor."""
    critic_lr: float = 1e-3
    """Adam learning rate of the critic."""
    batch_size: int = 32
    """Transitions (sequences) per update."""
    buffer_size: int = 50_000
    """Replay buffer capacity, transitions."""
    learning_starts: int = 256
    """Transitions collected before the first update."""
    updates_per_step: int = 1
    """Gradient updates per update round."""
    update_every: int = 1
    """Collected transitions (ticks) between update rounds; > 1 trades sample efficiency for
    wall time (an update on a batch of RQ sequences costs far more than simulating a tick)."""
    exploration_noise: float = 0.2
    """Standard deviation of the Gaussian noise added to actions while collecting."""
    sa_epsilon: float = 0.0
    """Beyond the paper: probability that an SJ's SA is drawn uniformly while collecting (the
    stored action then scores that SA 1 and the others at most 0.99, so its argmax is the SA
    played); 0 explores SAs through the Gaussian noise alone, as the paper."""
    reward_scale: float = 1.0
    """Rewards are multiplied by this before learning (the RQ sum can be large)."""
    max_grad_norm: float = 1.0
    """Gradient-norm clip of both networks (LSTMs are prone to exploding gradients)."""
    max_rq: int = 256
    """Cap on SJs per stored state (the most urgent first; see :mod:`.encoding`)."""
    critic_warmup: int = 0
    """Update rounds at the start in which only the critic learns (useful after imitation)."""

    def __post_init__(self) -> None:
        for name in ("batch_size", "buffer_size", "learning_starts", "updates_per_step",
                     "update_every", "max_rq"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ConfigError(f"ddpg {name} = {value!r}, expected a positive integer")
        if not isinstance(self.critic_warmup, int) or self.critic_warmup < 0:
            raise ConfigError(f"ddpg critic_warmup = {self.critic_warmup!r}, expected an "
                              "integer >= 0")
        for name in ("discount", "tau"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"ddpg {name} = {value!r}, expected a number in [0, 1]")
        for name in ("actor_lr", "critic_lr", "reward_scale", "max_grad_norm"):
            if not 0 < getattr(self, name) < math.inf:
                raise ConfigError(f"ddpg {name} = {getattr(self, name)!r}, expected a finite "
                                  "number > 0")
        if not 0.0 <= self.sa_epsilon <= 1.0:
            raise ConfigError(f"ddpg sa_epsilon = {self.sa_epsilon!r}, expected a number in "
                              "[0, 1]")
        if not 0 <= self.exploration_noise < math.inf:
            raise ConfigError(f"ddpg exploration_noise = {self.exploration_noise!r}, "
                              "expected a finite number >= 0")


@dataclass(frozen=True, eq=False)
class Transition:
    """One experience. States are ``[1 + R, F]`` (primer first), the action ``[R, G]``."""

    state: Array32
    action: Array32
    reward: float
    next_state: Array32
    """The residual RQ at ``t + Ts`` (primer first), ``[1 + R', F]``."""
    done: bool


class ReplayBuffer:
    """A ring of variable-length transitions, sampled uniformly."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.items: list[Transition] = []
        self._next = 0

    def __len__(self) -> int:
        return len(self.items)

    def add(self, t: Transition) -> None:
        """Store ``t``, overwriting the oldest once full."""
        if len(self.items) < self.capacity:
            self.items.append(t)
        else:
            self.items[self._next] = t
        self._next = (self._next + 1) % self.capacity

    def sample(self, rng: np.random.Generator, batch_size: int) -> list[Transition]:
        """``batch_size`` transitions drawn with replacement."""
        idx = rng.integers(len(self.items), size=batch_size)
        return [self.items[i] for i in idx]


@dataclass(frozen=True, eq=False)
class Batch:
    """Padded tensors of a list of transitions. Actions carry a zero primer row."""

    states: Tensor
    """``[B, T, F]``."""
    actions: Tensor
    """``[B, T, G]``; row 0 (primer) and padding are zero."""
    lengths: Tensor
    """``[B]`` valid steps of each state, primer included."""
    mask: Tensor
    """``[B, T]`` True on valid SJ steps (primer and padding False)."""
    rewards: Tensor
    next_states: Tensor
    next_lengths: Tensor
    dones: Tensor


def explore(actions: npt.NDArray[np.floating], noise: float, sa_epsilon: float,
            rng: np.random.Generator | None) -> Array32:
    """Exploratory ``[R, G]`` actions: Gaussian noise of standard deviation ``noise`` (clipped
    to [-1, 1]), then, with probability ``sa_epsilon`` per SJ, a uniformly drawn SA ``m``
    (score ``m`` set to 1, the others capped at 0.99, so the argmax plays ``m``). The generator
    is used only for what is asked (none with ``noise = sa_epsilon = 0``)."""
    out = np.asarray(actions, dtype=np.float64)
    if noise > 0 or sa_epsilon > 0:
        assert rng is not None, "exploration needs a generator"
    if noise > 0:
        assert rng is not None
        out = np.clip(out + rng.normal(0.0, noise, size=out.shape), -1.0, 1.0)
    if sa_epsilon > 0 and out.shape[0]:
        assert rng is not None
        rows = np.flatnonzero(rng.random(out.shape[0]) < sa_epsilon)
        if rows.size:
            sas = rng.integers(out.shape[1] - 1, size=rows.size)
            out = out.copy()
            out[rows, 1:] = np.minimum(out[rows, 1:], 0.99)
            out[rows, 1 + sas] = 1.0
    return out.astype(np.float32)


def pad(seqs: list[Array32], width: int) -> tuple[Tensor, Tensor]:
    """``[B, T, width]`` zero-padded tensor of ``[T_i, width]`` arrays, and the lengths."""
    lengths = torch.tensor([s.shape[0] for s in seqs], dtype=torch.long)
    out = torch.zeros(len(seqs), int(lengths.max()), width)
    for i, s in enumerate(seqs):
        out[i, :s.shape[0]] = torch.from_numpy(s)
    return out, lengths


def collate(items: list[Transition], reward_scale: float = 1.0) -> Batch:
    """Pad a list of transitions into a :class:`Batch`."""
    f = items[0].state.shape[1]
    g = items[0].action.shape[1]
    states, lengths = pad([t.state for t in items], f)
    actions = torch.zeros(states.shape[0], states.shape[1], g)
    for i, t in enumerate(items):
        actions[i, 1:1 + t.action.shape[0]] = torch.from_numpy(t.action)
    steps = torch.arange(states.shape[1])
    mask = (steps[None, :] >= 1) & (steps[None, :] < lengths[:, None])
    next_states, next_lengths = pad([t.next_state for t in items], f)
    rewards = torch.tensor([t.reward * reward_scale for t in items], dtype=torch.float32)
    dones = torch.tensor([float(t.done) for t in items], dtype=torch.float32)
    return Batch(states, actions, lengths, mask, rewards, next_states, next_lengths, dones)


def with_zero_primer(actions: Tensor, lengths: Tensor) -> Tensor:
    """Actor outputs with the primer step and padding zeroed (the critic's action input)."""
    steps = torch.arange(actions.shape[1])
    valid = (steps[None, :] >= 1) & (steps[None, :] < lengths[:, None])
    return actions * valid.unsqueeze(-1)


class DDPG:
    """Actor, critic, their targets and optimizers; one ``update`` is one gradient step of each."""

    def __init__(self, features: int, actions: int, hidden: int, config: DDPGConfig,
                 seed: int = 0) -> None:
        torch.manual_seed(seed)
        self.config = config
        self.actor = Actor(features, actions, hidden)
        self.critic = Critic(features, actions, hidden)
        self.actor_target = copy.deepcopy(self.actor)
        self.critic_target = copy.deepcopy(self.critic)
        self.actor_opt = torch.optim.Adam(self.actor.parameters(), lr=config.actor_lr)
        self.critic_opt = torch.optim.Adam(self.critic.parameters(), lr=config.critic_lr)

    # -- acting ----------------------------------------------------------------------------------
    @torch.inference_mode()
    def act(self, state: Array32, noise: float = 0.0,
            rng: np.random.Generator | None = None, sa_epsilon: float = 0.0) -> Array32:
        """``[R, G]`` actions for a ``[1 + R, F]`` state, explored by :func:`explore`."""
        out = self.actor(torch.from_numpy(state)[None])[0, 1:].numpy()
        return explore(out, noise, sa_epsilon, rng)

    # -- learning --------------------------------------------------------------------------------
    def critic_loss(self, b: Batch) -> Tensor:
        """Mean of ``(Q(s, a) - (r + discount (1 - done) Q'(s', mu'(s'))))^2`` over the batch."""
        with torch.no_grad():
            next_a = with_zero_primer(self.actor_target(b.next_states), b.next_lengths)
            q_next = self.critic_target(b.next_states, next_a, b.next_lengths)
            target = b.rewards + self.config.discount * (1.0 - b.dones) * q_next
        return F.mse_loss(self.critic(b.states, b.actions, b.lengths), target)

    def critic_update(self, b: Batch) -> float:
        """One gradient step on :meth:`critic_loss`."""
        loss = self.critic_loss(b)
        self.critic_opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.critic.parameters(), self.config.max_grad_norm)
        self.critic_opt.step()
        return float(loss.detach())

    def actor_update(self, b: Batch) -> float:
        """One step on ``-Q(s, mu(s))`` (the critic is not updated by it)."""
        a = with_zero_primer(self.actor(b.states), b.lengths)
        loss = -self.critic(b.states, a, b.lengths).mean()
        self.actor_opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.actor.parameters(), self.config.max_grad_norm)
        self.actor_opt.step()
        return float(loss.detach())

    def soft_update(self) -> None:
        """Move the targets a fraction ``tau`` towards the online networks."""
        tau = self.config.tau
        with torch.no_grad():
            for net, target in ((self.actor, self.actor_target),
                                (self.critic, self.critic_target)):
                for p, tp in zip(net.parameters(), target.parameters(), strict=True):
                    tp.mul_(1.0 - tau).add_(p, alpha=tau)

    def update(self, b: Batch, actor: bool = True) -> tuple[float, float]:
        """Critic step, actor step (unless ``actor`` is False), soft target update:
        (critic loss, actor loss or NaN)."""
        critic_loss = self.critic_update(b)
        actor_loss = self.actor_update(b) if actor else float("nan")
        self.soft_update()
        return critic_loss, actor_loss

    # -- state for checkpoints -------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Networks, targets and optimizer states (for resuming)."""
        return {"actor": self.actor.state_dict(), "critic": self.critic.state_dict(),
                "actor_target": self.actor_target.state_dict(),
                "critic_target": self.critic_target.state_dict(),
                "actor_opt": self.actor_opt.state_dict(),
                "critic_opt": self.critic_opt.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Inverse of :meth:`state_dict`."""
        self.actor.load_state_dict(state["actor"])
        self.critic.load_state_dict(state["critic"])
        self.actor_target.load_state_dict(state.get("actor_target", state["actor"]))
        self.critic_target.load_state_dict(state.get("critic_target", state["critic"]))
        if "actor_opt" in state:
            self.actor_opt.load_state_dict(state["actor_opt"])
        if "critic_opt" in state:
            self.critic_opt.load_state_dict(state["critic_opt"])
