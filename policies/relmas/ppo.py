"""PPO (Schulman et al. 2017) on RELMAS's actor, with a discrete SA per sub-job (beyond the paper).

Why another algorithm beside DDPG (RESULTS.md section 8b): the SA of an SJ is a discrete choice
(the argmax of its scores), which DDPG explores with Gaussian noise on the scores (uniformly for
an untrained actor, hardly at all for a trained one) and learns through a critic over all
``R x G`` action values of a state, of which few take effect. Here the same LSTM actor
(:class:`~policies.relmas.networks.Actor`, so a checkpoint deploys exactly as DDPG's: priority =
output 0, SA = argmax of the scores) is read as a *stochastic* policy over the SJs that can
start in the coming period only:

- *Acting rows* (:func:`acting_rows`): the encoded SJs with no predecessor in the RQ (ready, or
  waiting only for a running layer). The other rows act deterministically, as deployed; they
  rarely start before the next tick re-decides them.
- On an acting row ``i``: SA ~ Categorical(softmax(``sa_temperature`` x scores_i)) and
  priority ~ Normal(output_i0, sigma), ``log sigma`` learned (one scalar).
- Each acting row is one sample of the clipped surrogate with the tick's advantage (rows of a
  tick share it): a factored ratio, so a tick with many acting rows does not multiply ratios.
- Advantages by GAE over the ticks of whole episodes (the next state is the next tick's full
  RQ); the value ``V(s)`` is the :class:`~policies.relmas.networks.Critic` network read with
  zero actions, so checkpoints keep their format.
- ``ref_coef`` > 0 adds ``ref_coef x KL(pi_ref || pi)`` on the acting rows, ``pi_ref`` the
  actor the run started from (``--init``): RL from an imitation student that may leave it only
  where the reward says so.

CPU only (``torch.set_num_threads(1)`` by the trainer).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from torch import Tensor, nn

from mas_sim.core.errors import ConfigError
from mas_sim.sim.view import SchedulerView
from policies.relmas.ddpg import pad
from policies.relmas.networks import Actor, Critic

Array32 = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class PPOConfig:
    """PPO hyper-parameters (common defaults; ``sa_temperature`` and ``priority_std`` set how
    much the policy explores)."""

    discount: float = 0.99
    """Discount of future rewards per tick."""
    gae_lambda: float = 0.95
    """GAE's lambda."""
    clip: float = 0.2
    """Clip range of the probability ratio."""
    epochs: int = 4
    """Passes over each round's ticks."""
    minibatch: int = 64
    """Ticks per gradient step."""
    actor_lr: float = 3e-4
    """Adam learning rate of the actor (and of log sigma)."""
    critic_lr: float = 1e-3
    """Adam learning rate of the value network."""
    sa_temperature: float = 5.0
    """SA logits = this x the actor's SA scores (in [-1, 1]): the largest possible logit gap
    is twice it, so it bounds how deterministic the sampled SAs can become."""
    priority_std: float = 0.1
    """Initial standard deviation of the sampled priorities (learned afterwards)."""
    entropy_coef: float = 0.0
    """Weight of the SA entropy bonus."""
    ref_coef: float = 0.0
    """Weight of KL(pi_ref || pi) on the acting rows, pi_ref the initial actor."""
    max_grad_norm: float = 0.5
    """Gradient-norm clip of both networks."""

    def __post_init__(self) -> None:
        for name in ("epochs", "minibatch"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ConfigError(f"ppo {name} = {value!r}, expected a positive integer")
        for name in ("discount", "gae_lambda"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"ppo {name} = {value!r}, expected a number in [0, 1]")
        for name in ("clip", "actor_lr", "critic_lr", "sa_temperature", "priority_std",
                     "max_grad_norm"):
            value = getattr(self, name)
            if not 0 < value < math.inf:
                raise ConfigError(f"ppo {name} = {value!r}, expected a finite number > 0")
        for name in ("entropy_coef", "ref_coef"):
            value = getattr(self, name)
            if not 0 <= value < math.inf:
                raise ConfigError(f"ppo {name} = {value!r}, expected a finite number >= 0")


def acting_rows(view: SchedulerView, k: int) -> IntArray:
    """Rows ``< k`` of the view's SJs with no predecessor in the RQ (module docstring)."""
    return np.flatnonzero(np.diff(view.pred_indptr[:k + 1]) == 0).astype(np.int64)


class StochasticActor(nn.Module):
    """The RELMAS actor and the log standard deviation of its sampled priorities."""

    def __init__(self, actor: Actor, priority_std: float) -> None:
        super().__init__()
        self.actor = actor
        self.log_std = nn.Parameter(torch.tensor(math.log(priority_std)))


@dataclass(frozen=True, eq=False)
class PPOStep:
    """One tick of experience: the state, what was sampled on its acting rows, the reward."""

    state: Array32
    """``[1 + K, F]`` (primer first)."""
    rows: IntArray
    """Acting rows (0-based SJ rows, < K)."""
    sa: IntArray
    """SA sampled on each acting row."""
    priority: Array32
    """Priority sampled on each acting row."""
    logp: Array32
    """Log-probability of each acting row's (SA, priority) when sampled."""
    reward: float
    done: bool


def sample(outputs: npt.NDArray[np.floating], rows: IntArray, temperature: float,
           log_std: float, rng: np.random.Generator,
           ) -> tuple[npt.NDArray[np.float64], IntArray, npt.NDArray[np.float64]]:
    """Priorities ``[K]`` and SAs ``[K]`` of ``[K, G]`` actor outputs: deterministic (output 0,
    argmax) except on ``rows``, sampled (module docstring); and the sampled rows' log-probs."""
    out = np.asarray(outputs, dtype=np.float64)
    priority = out[:, 0].copy()
    sa = np.argmax(out[:, 1:], axis=1).astype(np.int64)
    if not rows.size:
        return priority, sa, np.zeros(0)
    logits = temperature * out[rows, 1:]
    logits -= logits.max(axis=1, keepdims=True)
    logq = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    gumbel = -np.log(-np.log(rng.random(logits.shape)))
    chosen = np.argmax(logq + gumbel, axis=1)
    std = math.exp(log_std)
    z = rng.normal(size=rows.size)
    priority[rows] = out[rows, 0] + std * z
    sa[rows] = chosen
    logp = (logq[np.arange(rows.size), chosen] - 0.5 * z * z - log_std
            - 0.5 * math.log(2 * math.pi))
    return priority, sa, logp


def _log_probs(out: Tensor, sa: Tensor, priority: Tensor, temperature: float,
               log_std: Tensor) -> tuple[Tensor, Tensor]:
    """Log-probs of (sa, priority) under ``[N, G]`` outputs, and the SA log-softmax ``[N, M]``."""
    logq = torch.log_softmax(temperature * out[:, 1:], dim=-1)
    z = (priority - out[:, 0]) / log_std.exp()
    logp = (logq.gather(1, sa[:, None]).squeeze(1) - 0.5 * z * z - log_std
            - 0.5 * math.log(2 * math.pi))
    return logp, logq


def gae(rewards: npt.NDArray[np.float64], values: npt.NDArray[np.float64],
        dones: npt.NDArray[np.bool_], discount: float,
        lam: float) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Advantages and returns of consecutive ticks (episodes end where ``dones``; the value after
    a done tick is 0). ``values[t]`` = V(s_t)."""
    n = rewards.shape[0]
    adv = np.zeros(n)
    running = 0.0
    for t in range(n - 1, -1, -1):
        next_value = 0.0 if dones[t] or t == n - 1 else values[t + 1]
        if dones[t]:
            running = 0.0
        delta = rewards[t] + discount * next_value - values[t]
        running = delta + discount * lam * running
        adv[t] = running
    return adv, adv + values


class PPO:
    """The stochastic actor, the value network, their optimizers and the reference actor."""

    def __init__(self, features: int, actions: int, hidden: int, config: PPOConfig,
                 seed: int = 0) -> None:
        torch.manual_seed(seed)
        self.config = config
        self.actor = Actor(features, actions, hidden)
        self.critic = Critic(features, actions, hidden)
        self.policy = StochasticActor(self.actor, config.priority_std)
        self.reference: Actor | None = None
        self.actor_opt = torch.optim.Adam(self.policy.parameters(), lr=config.actor_lr)
        self.critic_opt = torch.optim.Adam(self.critic.parameters(), lr=config.critic_lr)

    def keep_reference(self) -> None:
        """Freeze a copy of the current actor as pi_ref (for ``ref_coef``)."""
        self.reference = copy.deepcopy(self.actor).eval()
        for p in self.reference.parameters():
            p.requires_grad_(False)

    @property
    def log_std(self) -> float:
        """log sigma of the sampled priorities."""
        return float(self.policy.log_std.detach())

    def values(self, states: list[Array32], batch: int = 256) -> npt.NDArray[np.float64]:
        """V(s) of every state (no gradient)."""
        out: list[npt.NDArray[np.float64]] = []
        with torch.no_grad():
            for i in range(0, len(states), batch):
                x, lengths = pad(states[i:i + batch], states[0].shape[1])
                zeros = torch.zeros(x.shape[0], x.shape[1], self.actor.actions)
                out.append(self.critic(x, zeros, lengths).double().numpy())
        return np.concatenate(out) if out else np.zeros(0)

    def update(self, steps: list[PPOStep], rng: np.random.Generator) -> dict[str, float]:
        """PPO epochs on consecutive ticks of whole episodes: mean losses and statistics."""
        cfg = self.config
        states = [s.state for s in steps]
        rewards = np.array([s.reward for s in steps])
        dones = np.array([s.done for s in steps])
        adv, returns = gae(rewards, self.values(states), dones, cfg.discount, cfg.gae_lambda)
        acting = np.array([i for i, s in enumerate(steps) if s.rows.size], dtype=np.int64)
        if acting.size:
            a = adv[acting]
            adv[acting] = (a - a.mean()) / (a.std() + 1e-8)
        f = states[0].shape[1]
        stats: dict[str, list[float]] = {"policy_loss": [], "value_loss": [], "kl_ref": [],
                                         "clip_frac": [], "entropy": []}
        for _ in range(cfg.epochs):
            for idx in np.array_split(rng.permutation(len(steps)),
                                      max(1, math.ceil(len(steps) / cfg.minibatch))):
                x, lengths = pad([states[i] for i in idx], f)
                zeros = torch.zeros(x.shape[0], x.shape[1], self.actor.actions)
                v = self.critic(x, zeros, lengths)
                value_loss = ((v - torch.as_tensor(returns[idx], dtype=torch.float32)) ** 2).mean()
                self.critic_opt.zero_grad()
                value_loss.backward()
                nn.utils.clip_grad_norm_(self.critic.parameters(), cfg.max_grad_norm)
                self.critic_opt.step()
                stats["value_loss"].append(float(value_loss.detach()))
                policy = self._policy_step(x, [steps[i] for i in idx], adv[idx])
                for key, value in policy.items():
                    stats[key].append(value)
        return {k: float(np.mean(v)) if v else math.nan for k, v in stats.items()}

    def _policy_step(self, x: Tensor, steps: list[PPOStep],
                     adv: npt.NDArray[np.float64]) -> dict[str, float]:
        cfg = self.config
        b_idx = [np.full(s.rows.size, b, dtype=np.int64) for b, s in enumerate(steps)]
        if not sum(i.size for i in b_idx):
            return {}
        batch = torch.from_numpy(np.concatenate(b_idx))
        rows = torch.from_numpy(np.concatenate([s.rows for s in steps])) + 1  # primer first
        sa = torch.from_numpy(np.concatenate([s.sa for s in steps]))
        priority = torch.from_numpy(np.concatenate([s.priority for s in steps]).astype(np.float32))
        old = torch.from_numpy(np.concatenate([s.logp for s in steps]).astype(np.float32))
        a = torch.as_tensor(np.concatenate([np.full(s.rows.size, adv[b])
                                            for b, s in enumerate(steps)]), dtype=torch.float32)
        out = self.actor(x)[batch, rows]
        logp, logq = _log_probs(out, sa, priority, cfg.sa_temperature, self.policy.log_std)
        ratio = (logp - old).exp()
        surrogate = torch.min(ratio * a, ratio.clamp(1 - cfg.clip, 1 + cfg.clip) * a)
        entropy = -(logq.exp() * logq).sum(-1).mean()
        loss = -surrogate.mean() - cfg.entropy_coef * entropy
        kl_value = math.nan
        if cfg.ref_coef > 0 and self.reference is not None:
            with torch.no_grad():
                ref = self.reference(x)[batch, rows]
            ref_logq = torch.log_softmax(cfg.sa_temperature * ref[:, 1:], dim=-1)
            kl = (ref_logq.exp() * (ref_logq - logq)).sum(-1)
            kl = kl + 0.5 * ((out[:, 0] - ref[:, 0]) / self.policy.log_std.exp()) ** 2
            loss = loss + cfg.ref_coef * kl.mean()
            kl_value = float(kl.mean().detach())
        self.actor_opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(self.policy.parameters(), cfg.max_grad_norm)
        self.actor_opt.step()
        clipped = ((ratio - 1).abs() > cfg.clip).float().mean()
        return {"policy_loss": float(-surrogate.mean().detach()), "kl_ref": kl_value,
                "clip_frac": float(clipped), "entropy": float(entropy.detach())}

    # -- state for checkpoints -------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Networks, log sigma, optimizers and the reference actor (for resuming)."""
        state: dict[str, Any] = {
            "actor": self.actor.state_dict(), "critic": self.critic.state_dict(),
            "log_std": self.log_std, "actor_opt": self.actor_opt.state_dict(),
            "critic_opt": self.critic_opt.state_dict()}
        if self.reference is not None:
            state["reference"] = self.reference.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Inverse of :meth:`state_dict` (an actor and critic alone also load)."""
        self.actor.load_state_dict(state["actor"])
        self.critic.load_state_dict(state["critic"])
        with torch.no_grad():
            self.policy.log_std.fill_(float(state.get("log_std", self.log_std)))
        if "actor_opt" in state:
            self.actor_opt.load_state_dict(state["actor_opt"])
        if "critic_opt" in state:
            self.critic_opt.load_state_dict(state["critic_opt"])
        if "reference" in state:
            self.keep_reference()
            assert self.reference is not None
            self.reference.load_state_dict(state["reference"])
