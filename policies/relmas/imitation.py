"""Imitation warm start for RELMAS (beyond the paper): DAgger on a heuristic teacher.

The paper trains RELMAS with DDPG from scratch, for far longer than a laptop budget. To start
DDPG from a policy that already meets deadlines, the actor first learns to reproduce a strong
list scheduler (EDF-H by default) with DAgger (Ross et al., 2011):

1. Round 0 runs the *teacher* on training workloads; later rounds run the *actor* itself (so the
   data covers the states the actor's own mistakes lead to). Either way every tick is labelled
   with the teacher's decision on that tick's view.
2. Labels: the teacher's order as a priority target ``1 - 2 r / (span - 1)`` for rank ``r``
   (``span`` = the state cap, so the scale does not depend on the RQ length, which a causal LSTM
   cannot know at step ``r``) and the teacher's SA as a class.
3. After each round the actor trains on all data so far: mean squared error on the priority
   output plus cross-entropy on the SA scores (scaled by ``sa_temperature`` into logits). The
   actor's architecture and outputs are the paper's; only the loss is supervised.

The SA cross-entropy of *ready* SJs weighs ``ready_weight`` times more than that of the others.
Why: an SJ's SA takes effect only when it is dispatched, and only ready SJs are dispatched at
this tick; the SAs of waiting SJs are re-decided at later ticks, and with equal weights the
actor's SA choices were weakest on the first SJ of each request (mostly the ready one). The
weight 4 of the shipped checkpoints did not measurably close that gap (RESULTS.md section 9); it
stays because it is what the shipped checkpoints were trained with.
What closed the gap is an input, not a weight: with the SA time features set to EDF-AC-H's
planned finishes (``sa_time="planned_finish"``, :mod:`.encoding`) the student of EDF-AC-H agrees
with its teacher's SA more often and meets more deadlines than EDF-H on mixed (RESULTS.md
section 1).

An RL agent is then fine-tuned from these weights by :func:`policies.relmas.train.train`.
Cost: the teacher's simulation is cheap; the updates dominate (one thread).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F

from mas_sim.core.errors import ConfigError
from mas_sim.hardware import SystemSpec
from mas_sim.sim.engine import EngineConfig, Simulation
from mas_sim.sim.view import Policy, Schedule, SchedulerView
from mas_sim.workload import Workload
from policies.relmas.ddpg import pad
from policies.relmas.encoding import Array32, StateEncoder, decode
from policies.relmas.networks import Actor

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class ImitationConfig:
    """DAgger hyper-parameters."""

    teacher: str = "edf-h"
    """Registry name of the heuristic to imitate."""
    rounds: int = 4
    """DAgger rounds; round 0 is acted by the teacher, the others by the actor."""
    states_per_round: int = 5_000
    """Labelled ticks collected per round: training workloads are simulated until there are
    this many (light workloads have few ticks per request, heavy ones many)."""
    epochs: int = 2
    """Passes over the aggregated data after each round."""
    batch_size: int = 32
    """States per gradient step."""
    lr: float = 1e-3
    """Adam learning rate."""
    sa_temperature: float = 5.0
    """SA scores (tanh outputs in [-1, 1]) are multiplied by this to give cross-entropy logits."""
    max_states: int = 40_000
    """Cap on stored states; the oldest go first (the data of early rounds)."""
    ready_weight: float = 4.0
    """Weight of a ready SJ's SA cross-entropy relative to a waiting SJ's (see module docstring)."""

    def __post_init__(self) -> None:
        for name in ("rounds", "states_per_round", "epochs", "batch_size", "max_states"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ConfigError(f"imitation {name} = {value!r}, expected a positive integer")
        for name in ("lr", "sa_temperature", "ready_weight"):
            if not 0 < getattr(self, name) < math.inf:
                raise ConfigError(f"imitation {name} = {getattr(self, name)!r}, expected a "
                                  "finite number > 0")


@dataclass(frozen=True, eq=False)
class Demonstration:
    """One labelled tick: the state and the teacher's decision on its SJs."""

    state: Array32
    """``[1 + K, F]`` encoded RQ (primer first), capped like the deployed actor's input."""
    priority: npt.NDArray[np.float32]
    """``[K]`` priority targets in [-1, 1] (the teacher's rank, first = 1)."""
    sa: IntArray
    """``[K]`` the teacher's SA of each SJ."""
    ready: npt.NDArray[np.bool_]
    """``[K]`` whether each SJ was ready (its SA takes effect if it is dispatched now)."""


def label(state: Array32, teacher: Schedule, span: int,
          ready: npt.ArrayLike) -> Demonstration:
    """The :class:`Demonstration` of ``teacher``'s decision on the first ``K`` SJs of ``state``.

    The rank is taken among those K SJs (the SJs beyond the cap get the tail rule anyway);
    ``ready`` is the view's ready flags (the first K are kept).
    """
    k = state.shape[0] - 1
    order = np.argsort(-teacher.priority[:k], kind="stable")
    rank = np.empty(k)
    rank[order] = np.arange(k)
    priority = (1.0 - 2.0 * rank / max(max(span, k) - 1, 1)).astype(np.float32)
    return Demonstration(state, priority, np.asarray(teacher.sa[:k], dtype=np.int64),
                         np.asarray(ready, dtype=np.bool_)[:k].copy())


class _Labeller:
    """A :class:`Policy` that records the teacher's decision on every view and acts with
    ``actor_act`` (the actor) or, when None, with the teacher."""

    name = "dagger"

    def __init__(self, teacher: Policy, encoder: StateEncoder, span: int,
                 actor_act: Callable[[Array32], Array32] | None,
                 out: list[Demonstration]) -> None:
        self.teacher, self.encoder, self.span = teacher, encoder, span
        self.actor_act, self.out = actor_act, out

    def reset(self, system: SystemSpec, seed: int | None = None) -> None:
        self.teacher.reset(system, seed)

    def schedule(self, view: SchedulerView) -> Schedule:
        state = self.encoder(view)
        taught = self.teacher.schedule(view)
        self.out.append(label(state, taught, self.span, view.ready))
        if self.actor_act is None:
            return taught
        return Schedule(*decode(self.actor_act(state), view))


def collect(teacher: Policy, system: SystemSpec, workloads: Iterator[Workload], period: float,
            encoder: StateEncoder, span: int, min_states: int,
            actor_act: Callable[[Array32], Array32] | None = None) -> list[Demonstration]:
    """Simulate workloads drawn from ``workloads`` (acted by ``actor_act``, or the teacher when
    None) until at least ``min_states`` ticks are labelled, and return them (all the ticks of
    the last workload too). Stops early if ``workloads`` runs out."""
    out: list[Demonstration] = []
    labeller = _Labeller(teacher, encoder, span, actor_act, out)
    for workload in workloads:
        labeller.reset(system, 0)
        Simulation(system, workload, labeller, EngineConfig(period=period)).run()
        if len(out) >= min_states:
            break
    return out


def imitation_loss(actor: Actor, batch: Sequence[Demonstration], sa_temperature: float,
                   ready_weight: float = 1.0) -> tuple[torch.Tensor, float]:
    """Priority MSE + SA cross-entropy (ready SJs weighted ``ready_weight``) over the valid SJ
    steps of ``batch``; also the fraction of SJs whose argmax SA equals the teacher's."""
    states, lengths = pad([d.state for d in batch], batch[0].state.shape[1])
    out = actor(states)[:, 1:]  # drop the primer step
    steps = torch.arange(out.shape[1])
    mask = steps[None, :] < (lengths[:, None] - 1)
    prio = torch.zeros(out.shape[:2])
    sa = torch.zeros(out.shape[:2], dtype=torch.long)
    ready = torch.zeros(out.shape[:2])
    for i, d in enumerate(batch):
        prio[i, :d.priority.shape[0]] = torch.from_numpy(d.priority)
        sa[i, :d.sa.shape[0]] = torch.from_numpy(d.sa)
        ready[i, :d.ready.shape[0]] = torch.from_numpy(d.ready.astype(np.float32))
    valid = mask.sum().clamp(min=1)
    mse = (((out[..., 0] - prio) ** 2) * mask).sum() / valid
    logits = out[..., 1:] * sa_temperature
    ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), sa.reshape(-1),
                         reduction="none").reshape(mask.shape)
    weight = mask * (1.0 + (ready_weight - 1.0) * ready)
    ce = (ce * weight).sum() / weight.sum().clamp(min=1e-9)
    agree = float(((logits.argmax(-1) == sa) & mask).sum()) / float(valid)
    return mse + ce, agree


@dataclass
class ImitationResult:
    """What :func:`imitate` did, round by round."""

    states: list[int]
    """Aggregated labelled states after each round."""
    sa_agreement: list[float]
    """Training-batch agreement with the teacher's SA in the last epoch of each round."""
    loss: list[float]
    """Mean loss of the last epoch of each round."""


def imitate(actor: Actor, teacher: Policy, system: SystemSpec,
            workloads: Iterator[Workload], period: float,
            encoder: StateEncoder, span: int, config: ImitationConfig,
            rng: np.random.Generator,
            on_round: Callable[[int, ImitationResult], None] | None = None) -> ImitationResult:
    """Train ``actor`` in place by DAgger (module docstring). ``workloads`` yields the training
    workloads (a fresh one each time); ``on_round`` is called after each round's training."""
    opt = torch.optim.Adam(actor.parameters(), lr=config.lr)
    data: list[Demonstration] = []
    result = ImitationResult([], [], [])

    @torch.inference_mode()
    def act(state: Array32) -> Array32:
        return actor(torch.from_numpy(state)[None])[0, 1:].numpy()

    for rnd in range(config.rounds):
        actor.eval()
        data += collect(teacher, system, workloads, period, encoder, span,
                        config.states_per_round, None if rnd == 0 else act)
        data = data[-config.max_states:]
        actor.train()
        losses: list[float] = []
        agreements: list[float] = []
        for _ in range(config.epochs):
            losses, agreements = [], []
            perm = rng.permutation(len(data))
            for start in range(0, len(data), config.batch_size):
                batch = [data[i] for i in perm[start:start + config.batch_size]]
                loss, agree = imitation_loss(actor, batch, config.sa_temperature,
                                             config.ready_weight)
                opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(actor.parameters(), 1.0)
                opt.step()
                losses.append(float(loss.detach()))
                agreements.append(agree)
        result.states.append(len(data))
        result.loss.append(float(np.mean(losses)) if losses else float("nan"))
        result.sa_agreement.append(float(np.mean(agreements)) if agreements else float("nan"))
        if on_round is not None:
            on_round(rnd, result)
    actor.eval()
    return result
