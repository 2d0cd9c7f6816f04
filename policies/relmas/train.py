"""The RELMAS training loop: DDPG (:mod:`.ddpg`) on simulated episodes, in small steps.

Read top to bottom (:class:`Trainer`):

1. :meth:`Trainer.__init__` builds the agent, the replay buffer and the encoder for the
   configured scenario (:mod:`.scenarios`), or restores them from ``config.resume``.
2. :meth:`Trainer.warm_start` (optional, beyond the paper): the actor first learns a heuristic by
   DAgger (:mod:`.imitation`), its target copies it, and the imitated actor is evaluated
   (history row of episode 0). The critic alone then learns for ``ddpg.critic_warmup`` update
   rounds before the actor follows it.
3. :meth:`Trainer.play_episode`: every episode is a fresh workload of *training* seed
   :func:`~policies.relmas.config.training_seed`. At each scheduler tick
   (:meth:`Trainer.play_tick`) the RQ is encoded (capped at ``ddpg.max_rq`` SJs), the actor acts
   with Gaussian exploration noise, the engine runs the period, and the transition
   ``(s_t, a_t, r_t, s_{t+1} = residual RQ, done)`` goes into the replay buffer; after
   ``learning_starts`` transitions every ``update_every``-th tick makes ``updates_per_step``
   DDPG updates (:meth:`Trainer.learn`).
4. Every ``eval_every`` episodes (and after the last) the deterministic policy runs over the
   whole RQ, as :class:`~policies.relmas.policy.Relmas` deploys a checkpoint by default, on the
   evaluation seeds (:mod:`.evaluation`).
5. Callbacks (:mod:`.callbacks`) save the resumable checkpoint, the best weights, the CSV
   history and the learning curve at each evaluation, and show progress. The replay buffer is
   not saved: a resumed run refills it before learning again, so it continues the work from
   the last evaluation but does not replay an uninterrupted run bit for bit.

The configuration is :class:`~policies.relmas.config.TrainConfig`; named recipes are in
:mod:`.presets`; the command line is ``mas-sim train relmas`` (:mod:`mas_sim.cli.train`).
CPU only: ``torch.set_num_threads(1)`` (the machine's cores run several experiments).
"""

from __future__ import annotations

import copy
import itertools
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mas_sim.core import stop as stop_signal
from mas_sim.core.errors import ConfigError
from mas_sim.hardware import SystemSpec
from mas_sim.sim.view import Schedule, SchedulerView
from policies.relmas.callbacks import (
    Callback,
    ChooseDeployCap,
    PlotHistory,
    ProgressBar,
    SaveCheckpoint,
    WriteHistory,
    best_path,
)
from policies.relmas.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from policies.relmas.collect import Collector, RolloutSpec, make_collector
from policies.relmas.config import (
    ANY,
    IMITATION_SEED_OFFSET,
    LINEAR_TIME_UNIT_PERIODS,
    TrainConfig,
    training_seed,
)
from policies.relmas.ddpg import DDPG, ReplayBuffer, Transition, collate
from policies.relmas.encoding import Array32, StateEncoder, decode, num_actions
from policies.relmas.evaluation import choose_deploy_cap, evaluate
from policies.relmas.history import CSV_COLUMNS, Row, plot_history, write_history
from policies.relmas.imitation import ImitationResult, imitate
from policies.relmas.networks import Actor, Critic
from policies.relmas.policy import Relmas
from policies.relmas.ppo import PPO
from policies.relmas.reward import Forecaster
from policies.relmas.rollout import Episode, Step
from policies.relmas.scenarios import (
    Scenario,
    period_of,
    scenario_choices,
    scenario_for,
    training_normalisation,
)

__all__ = [  # the names callers used before the split stay importable from here
    "ANY", "CSV_COLUMNS", "IMITATION_SEED_OFFSET", "LINEAR_TIME_UNIT_PERIODS", "Scenario",
    "TrainConfig", "TrainResult", "Trainer", "best_path", "choose_deploy_cap", "evaluate",
    "period_of", "play_tick", "plot_history", "scenario_choices", "scenario_for", "train",
    "training_normalisation", "training_seed", "write_history",
]

Decide = Callable[[SchedulerView, Array32], tuple[Schedule, Array32]]
"""``decide(view, state) -> (schedule, action)``: how a tick is acted on while collecting."""


def play_tick(ep: Episode, encoder: StateEncoder, decide: Decide) -> tuple[Transition, Step]:
    """Decide the pending tick of ``ep``, run it, and return the experience to store.

    The next state is the *residual* RQ only: the SJs of this RQ still waiting at the next
    decision, with the SA busy times then (one zero primer row once the run is over).
    """
    view = ep.view
    if view is None:
        raise RuntimeError("the episode is over")
    state = encoder(view)
    schedule, action = decide(view, state)
    step = ep.step(schedule)
    if step.next_view is None:
        next_state = encoder.empty(view.num_sas)
    else:
        next_state = encoder(step.next_view, step.residual)
    return Transition(state, action, step.reward, next_state, step.done), step


@dataclass
class TrainResult:
    """What a training run produced."""

    checkpoint: Path
    """The last state (resumable)."""
    history: list[Row]
    """One row per episode (see :data:`~policies.relmas.history.CSV_COLUMNS`)."""
    best_eval_sla: float
    """Best mean evaluation SLA satisfaction seen (-1 if nothing was evaluated)."""
    best_checkpoint: Path | None = None
    """The weights of that evaluation (``<stem>.best.pt``), if written."""
    best_episode: int | None = None
    """The episode of that evaluation (0: the imitated actor)."""
    deploy_cap: dict[str, float] | None = None
    """With ``choose_deploy_cap``: validation SLA over the whole RQ (``none``) and capped
    (``cap``) of the best weights."""


@dataclass
class _Best:
    """The best evaluation so far: its weights (copies) and where it was."""

    actor: Actor
    critic: Critic
    eval_sla: float
    episode: int


class Trainer:
    """The state of one training run and its steps (module docstring)."""

    def __init__(self, config: TrainConfig, *, system: SystemSpec | None = None,
                 scenario: Scenario | None = None, forecaster: Forecaster | None = None,
                 callbacks: Sequence[Callback] = ()) -> None:
        torch.set_num_threads(1)
        self.config = config
        self.system = system or SystemSpec.paper()
        self.scenario = scenario or scenario_for(self.system, config)
        self.period = period_of(config)
        self.forecaster = forecaster
        self.callbacks = list(callbacks)
        self.out = Path(config.out)
        cfg = config.ddpg
        m = self.system.num_sas
        self.norm = training_normalisation(self.system, config, self.period, self.scenario)
        self.agent: DDPG | PPO = self.make_agent(self.norm.features(m), num_actions(m))
        self.rng = np.random.default_rng(config.seed)
        self.history: list[Row] = []
        self.episode = 0
        """Episodes done."""
        self.steps = 0
        """Ticks (environment steps) collected."""
        self.updates = 0
        """DDPG update rounds made."""
        self.wall_before = 0.0
        """Training wall time of the earlier runs of a resumed training, s."""
        self.best: _Best | None = None
        self.due = 0
        """Update rounds owed to the ticks collected (rounds mode, :meth:`run_rounds`)."""
        self.seconds = {"learn_s": 0.0, "eval_s": 0.0, "rollout_s": 0.0, "env_s": 0.0}
        """Where the time went (:data:`~policies.relmas.history.CSV_COLUMNS`)."""
        self.resumed = config.resume is not None
        if config.resume is not None:
            self.restore(config.resume)
        elif config.init is not None:
            self.initialise(config.init)
        self.buffer = ReplayBuffer(cfg.buffer_size)
        self.encoder = StateEncoder(self.norm, cfg.max_rq)
        self.eval_policy = Relmas.from_actor(self.agent.actor, self.norm)  # the whole RQ
        self.started = time.perf_counter()

    def make_agent(self, features: int, actions: int) -> DDPG | PPO:
        """The learner's networks and optimizers (:class:`~policies.relmas.ddpg.DDPG` here)."""
        c = self.config
        return DDPG(features, actions, c.hidden, c.ddpg, seed=c.seed)

    @property
    def ddpg(self) -> DDPG:
        """The agent, as DDPG (the steps below that only DDPG takes)."""
        assert isinstance(self.agent, DDPG)
        return self.agent

    # -- resume and files ----------------------------------------------------------------------
    def _load(self, path: str, what: str) -> Checkpoint:
        ckpt = load_checkpoint(path, num_sas=self.system.num_sas, hidden=self.config.hidden)
        if ckpt.normalisation.model_names != self.norm.model_names:
            raise ConfigError(f"{what}: checkpoint models {list(ckpt.normalisation.model_names)}"
                              f" differ from the scenario's {list(self.norm.model_names)}")
        self.norm = ckpt.normalisation
        return ckpt

    def initialise(self, path: str) -> None:
        """Actor, critic (and their targets) and encoder scales of checkpoint ``path``."""
        ckpt = self._load(path, "init")
        self.agent.load_state_dict({"actor": ckpt.actor, "critic": ckpt.critic})

    def restore(self, path: str) -> None:
        """Networks, optimizers, progress, history and best weights of checkpoint ``path``."""
        ckpt = self._load(path, "resume")
        state = dict(ckpt.training or {})
        self.agent.load_state_dict({"actor": ckpt.actor, "critic": ckpt.critic,
                                    **dict(state.get("agent", {}))})
        self.episode = int(state.get("episode", 0))
        self.steps = int(state.get("steps", 0))
        self.updates = int(state.get("updates", 0))
        self.wall_before = float(state.get("wall_s", 0.0))
        self.due = int(state.get("due", 0))
        self.seconds.update({k: float(v) for k, v in state.get("seconds", {}).items()})
        self.history = [dict(row) for row in state.get("history", [])]
        if "rng" in state:
            self.rng.bit_generator.state = state["rng"]
        best = state.get("best")
        if best is not None:
            self.best = _Best(copy.deepcopy(self.agent.actor), copy.deepcopy(self.agent.critic),
                              float(best["eval_sla"]), int(best["episode"]))
            self.best.actor.load_state_dict(best["actor"])
            self.best.critic.load_state_dict(best["critic"])

    def training_state(self) -> dict[str, Any]:
        """What :meth:`restore` reads back (stored under ``training`` in the checkpoint)."""
        state: dict[str, Any] = {
            "agent": self.agent.state_dict(), "episode": self.episode, "steps": self.steps,
            "updates": self.updates, "wall_s": self.wall_s(), "rng": self.rng.bit_generator.state,
            "history": self.history, "due": self.due, "seconds": dict(self.seconds)}
        if self.best is not None:
            state["best"] = {"actor": self.best.actor.state_dict(),
                             "critic": self.best.critic.state_dict(),
                             "eval_sla": self.best.eval_sla, "episode": self.best.episode}
        return state

    def save(self, path: Path) -> None:
        """The resumable checkpoint, atomically."""
        save_checkpoint(path, actor=self.agent.actor, critic=self.agent.critic,
                        normalisation=self.norm, config=self.config.to_dict(),
                        training=self.training_state())

    def save_best(self, path: Path) -> None:
        """The best evaluation's weights (no resume state), atomically."""
        assert self.best is not None
        save_checkpoint(path, actor=self.best.actor, critic=self.best.critic,
                        normalisation=self.norm, config=self.config.to_dict())

    def wall_s(self) -> float:
        """Training wall time so far, earlier runs of a resumed training included, s."""
        return self.wall_before + time.perf_counter() - self.started

    # -- the steps -----------------------------------------------------------------------------
    def warm_start(self) -> None:
        """DAgger on ``config.imitation.teacher`` (:func:`policies.relmas.imitation.imitate`),
        then the target actor copies the imitated weights. Its workloads use training seeds
        from :data:`IMITATION_SEED_OFFSET` on, disjoint from the DDPG episodes' and the
        evaluation's."""
        from tqdm.auto import tqdm

        import policies

        imitation = self.config.imitation
        assert imitation is not None and self.encoder.max_rq is not None
        teacher = policies.make(imitation.teacher)
        seeds = itertools.count(IMITATION_SEED_OFFSET)
        workloads = (self.scenario(training_seed(self.config.seed, e), self.config.requests)
                     for e in seeds)

        def report(rnd: int, result: ImitationResult) -> None:
            tqdm.write(f"imitation round {rnd + 1}/{imitation.rounds}: {result.states[-1]} "
                       f"states, loss {result.loss[-1]:.4f}, SA agreement "
                       f"{result.sa_agreement[-1]:.3f}")

        imitate(self.agent.actor, teacher, self.system, workloads, self.period, self.encoder,
                self.encoder.max_rq, imitation, self.rng, on_round=report)
        if isinstance(self.agent, DDPG):
            self.agent.actor_target.load_state_dict(self.agent.actor.state_dict())

    def explore(self, view: SchedulerView, state: Array32) -> tuple[Schedule, Array32]:
        """The actor's action with exploration (:func:`~policies.relmas.ddpg.explore`), and its
        schedule."""
        cfg = self.config.ddpg
        action = self.ddpg.act(state, cfg.exploration_noise, self.rng, cfg.sa_epsilon)
        return Schedule(*decode(action, view)), action

    def update_due(self) -> bool:
        """Whether the tick just collected calls for an update round."""
        cfg = self.config.ddpg
        return len(self.buffer) >= cfg.learning_starts and self.steps % cfg.update_every == 0

    def learn(self, rounds: int | None = None) -> tuple[list[float], list[float]]:
        """``rounds`` update rounds (default: one if :meth:`update_due`) of ``updates_per_step``
        DDPG updates each: (critic losses, actor losses)."""
        cfg = self.config.ddpg
        critic_losses: list[float] = []
        actor_losses: list[float] = []
        if rounds is None:
            rounds = 1 if self.update_due() else 0
        if not rounds:
            return critic_losses, actor_losses
        started = time.perf_counter()
        for _ in range(rounds * cfg.updates_per_step):
            batch = collate(self.buffer.sample(self.rng, cfg.batch_size), cfg.reward_scale)
            c_loss, a_loss = self.ddpg.update(batch, actor=self.updates >= cfg.critic_warmup)
            self.updates += 1
            critic_losses.append(c_loss)
            if not math.isnan(a_loss):
                actor_losses.append(a_loss)
        self.seconds["learn_s"] += time.perf_counter() - started
        return critic_losses, actor_losses

    def play_episode(self) -> Row:
        """Collect and learn through one training episode; its history row (not evaluated)."""
        config = self.config
        ep = Episode(self.system, self.scenario(training_seed(config.seed, self.episode),
                                                config.requests),
                     self.period, self.forecaster, config.reward)
        total_reward = 0.0
        critic_losses: list[float] = []
        actor_losses: list[float] = []
        while not ep.done:
            started = time.perf_counter()
            transition, _ = play_tick(ep, self.encoder, self.explore)
            self.seconds["rollout_s"] += time.perf_counter() - started
            self.buffer.add(transition)
            total_reward += transition.reward
            self.steps += 1
            c_losses, a_losses = self.learn()
            critic_losses += c_losses
            actor_losses += a_losses
        self.episode += 1
        return self.row(total_reward, ep.outcomes.met, critic_losses, actor_losses)

    def row(self, reward: float, met: int, critic_losses: list[float],
            actor_losses: list[float]) -> Row:
        """The history row of the episode just done (not evaluated)."""
        rollout_mode = self.plays_in_rounds()
        return {"episode": float(self.episode), "steps": float(self.steps),
                "wall_s": self.wall_s(), "train_reward": reward,
                "train_sla": met / self.config.requests,
                "critic_loss": _mean(critic_losses), "actor_loss": _mean(actor_losses),
                "eval_sla": math.nan, "eval_sla_min": math.nan, "updates": float(self.updates),
                **self.seconds, "env_s": self.seconds["env_s"] if rollout_mode else math.nan}

    def run_rounds(self, collector: Collector) -> Iterator[Row]:
        """Rounds mode (``workers`` >= 1): the collector plays ``episodes_per_round``
        episodes with the weights of the round's start while this process makes the update
        rounds owed to the ticks collected before; yields each episode's row in order."""
        c = self.config
        while self.episode < c.episodes:
            episodes = range(self.episode, min(self.episode + c.episodes_per_round, c.episodes))
            handle = collector.submit(self.agent.actor.state_dict(), episodes)
            critic_losses: list[float] = []
            actor_losses: list[float] = []
            while self.due and not self.out_of_time():  # owed rounds left over carry on
                c_losses, a_losses = self.learn(1)
                critic_losses += c_losses
                actor_losses += a_losses
                self.due -= 1
            for exp in collector.result(handle):
                for transition in exp.transitions:
                    self.buffer.add(transition)
                    self.steps += 1
                    self.due += self.update_due()
                self.seconds["rollout_s"] += exp.encode_s + exp.act_s + exp.env_s
                self.seconds["env_s"] += exp.env_s
                self.episode += 1
                yield self.row(exp.reward, exp.met, critic_losses, actor_losses)

    def rollout_spec(self) -> RolloutSpec:
        """What the rollout workers need (:mod:`.collect`)."""
        c = self.config
        return RolloutSpec(self.system, self.scenario, self.norm, self.period, c.hidden,
                           c.ddpg.max_rq, c.requests, c.seed, c.ddpg.exploration_noise,
                           c.reward, self.forecaster, c.ddpg.sa_epsilon)

    def evaluate(self, row: Row) -> bool:
        """Evaluate the deterministic actor into ``row``; True if it beat every earlier
        evaluation (then its weights become :attr:`best`)."""
        c = self.config
        started = time.perf_counter()
        slas = evaluate(self.eval_policy, self.system, self.scenario, c.eval_seeds,
                        c.eval_requests, self.period, c.select_by)
        self.seconds["eval_s"] += time.perf_counter() - started
        row["eval_sla"], row["eval_sla_min"] = float(np.mean(slas)), float(np.min(slas))
        row["eval_s"] = self.seconds["eval_s"]
        best = max((r["eval_sla"] for r in self.history if not math.isnan(r["eval_sla"])),
                   default=-1.0)
        if row["eval_sla"] <= best:
            return False
        self.best = _Best(copy.deepcopy(self.agent.actor), copy.deepcopy(self.agent.critic),
                          row["eval_sla"], int(row["episode"]))
        return True

    def plays_in_rounds(self) -> bool:
        """Whether the run plays rounds through a collector (:meth:`run_rounds`) rather than the
        tick-by-tick loop of :meth:`play_episode`."""
        return self.config.workers > 0 or self.config.ray_address is not None

    def out_of_time(self) -> bool:
        """True once ``max_minutes`` of this run's wall time have passed."""
        limit = self.config.max_minutes
        return limit is not None and time.perf_counter() - self.started >= 60.0 * limit

    # -- the loop ------------------------------------------------------------------------------
    def run(self) -> TrainResult:
        """Train until ``episodes`` are done or ``max_minutes`` have passed (module docstring)."""
        c = self.config
        if c.imitation is not None and not self.resumed:
            self.warm_start()
            row = {k: math.nan for k in CSV_COLUMNS} | {"episode": 0.0, "steps": 0.0,
                                                         "wall_s": self.wall_s()}
            improved = self.evaluate(row)
            self.history.append(row)
            self._call("on_evaluation", row, improved)
        self._call("on_training_start")
        collector = None
        if self.plays_in_rounds():
            collector = make_collector(self.rollout_spec(), c.workers, c.ray_address)
            rows: Iterator[Row] = self.run_rounds(collector)
        else:
            rows = (self.play_episode() for _ in range(self.episode, c.episodes))
        try:
            for row in rows:
                stop_signal.check()  # a Ctrl-C swallowed by a finalizer still stops here
                stop = self.out_of_time()
                evaluated = (self.episode % c.eval_every == 0 or self.episode == c.episodes
                             or stop)
                improved = self.evaluate(row) if evaluated else False
                self.history.append(row)
                self._call("on_episode_end", row)
                if evaluated:
                    self._call("on_evaluation", row, improved)
                if stop:
                    break
        finally:
            if collector is not None:
                collector.close()
        self._call("on_training_end")
        return self.result()

    def result(self) -> TrainResult:
        """The run's :class:`TrainResult` so far."""
        best = self.best
        path = best_path(self.out)
        return TrainResult(self.out, self.history, -1.0 if best is None else best.eval_sla,
                           path if path.is_file() else None,
                           None if best is None else best.episode)

    def _call(self, hook: str, *args: Any) -> None:
        for callback in self.callbacks:
            getattr(callback, hook)(self, *args)


def default_callbacks(config: TrainConfig, progress: bool = True) -> list[Callback]:
    """Checkpoints, CSV history, learning curve, progress bar (if ``progress``) and, with
    ``config.choose_deploy_cap``, the deployment cap of the best weights."""
    callbacks: list[Callback] = [SaveCheckpoint(), WriteHistory(), PlotHistory()]
    if progress:
        callbacks.append(ProgressBar())
    if config.choose_deploy_cap:
        callbacks.append(ChooseDeployCap())
    return callbacks


def train(config: TrainConfig, *, system: SystemSpec | None = None,
          scenario: Scenario | None = None, forecaster: Forecaster | None = None,
          progress: bool = True, callbacks: Sequence[Callback] | None = None) -> TrainResult:
    """Train RELMAS as configured (module docstring) with :func:`default_callbacks` (or
    ``callbacks``); returns the checkpoint and the history."""
    if callbacks is None:
        callbacks = default_callbacks(config, progress)
    trainer_class = Trainer
    if config.learner == "relmas-ppo":
        from policies.relmas.ppo_train import PPOTrainer

        trainer_class = PPOTrainer
    result = trainer_class(config, system=system, scenario=scenario, forecaster=forecaster,
                           callbacks=callbacks).run()
    cap = next((cb for cb in callbacks if isinstance(cb, ChooseDeployCap)), None)
    if cap is not None:
        result.deploy_cap = cap.means
    return result


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else math.nan
