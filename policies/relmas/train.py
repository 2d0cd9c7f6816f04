"""Training RELMAS with DDPG on simulated episodes (``mas-sim train relmas``: :func:`train_main`).

Read top to bottom:

1. Every episode is a fresh workload (``build_workload`` of the configured scenario) from a
   *training* seed ``10**6 x (1 + seed) + episode``; evaluation seeds (default 0..4) are never
   used for training (a clash is refused).
2. At each scheduler tick the RQ is encoded (capped at ``max_rq`` SJs), the actor acts with
   Gaussian exploration noise, the engine runs the period, and the transition
   ``(s_t, a_t, r_t, s_{t+1} = residual RQ, done)`` goes into the replay buffer; after
   ``learning_starts`` transitions every ``update_every``-th tick makes ``updates_per_step``
   DDPG updates.
3. Optionally (``imitation``, beyond the paper) the actor first learns a heuristic by DAgger
   (:mod:`.imitation`), its targets copy it, and the critic alone learns for
   ``ddpg.critic_warmup`` update rounds before the actor follows the critic: a warm start for
   short budgets. The imitated actor is evaluated first (history row of episode 0).
4. Every ``eval_every`` episodes the deterministic policy (over the whole RQ, as
   :class:`Relmas` deploys a checkpoint by default) runs on the evaluation seeds; the SLA
   satisfaction goes to ``<out>.csv`` and the learning curve to ``<out>.png``, and the checkpoint
   ``<out>`` is saved atomically with the optimizer states, so ``resume`` continues the run (the
   replay buffer is not saved: a resumed run refills it before learning again). The weights of
   the best evaluation so far also go to ``<out stem>.best.pt`` (no resume state). Evaluation
   seeds select that checkpoint: measure final quality on other seeds.

CPU only: ``torch.set_num_threads(1)`` (the machine's cores run several experiments).
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mas_sim.core.errors import ConfigError, unknown_name
from mas_sim.core.files import atomic_path, atomic_write_text
from mas_sim.hardware import SystemSpec
from mas_sim.hardware.profile import ModelProfile
from mas_sim.sim.engine import EngineConfig, Simulation
from mas_sim.sim.view import Schedule, SchedulerView
from mas_sim.workload import QOS_LEVELS, WORKLOAD_SETS, Workload
from policies.relmas.checkpoint import load_checkpoint, save_checkpoint, set_deploy_max_rq
from policies.relmas.ddpg import DDPG, DDPGConfig, ReplayBuffer, Transition, collate
from policies.relmas.encoding import (
    SA_TIMES,
    TIME_ENCODINGS,
    Array32,
    Normalisation,
    StateEncoder,
    decode,
    num_actions,
    num_features,
)
from policies.relmas.imitation import ImitationConfig, ImitationResult, imitate
from policies.relmas.policy import Relmas
from policies.relmas.reward import Forecaster
from policies.relmas.rollout import Episode, Outcomes, Step

#: The value of ``workload`` / ``qos`` that trains one policy for every set / level.
ANY = "any"


Scenario = Callable[[int, int], Workload]
"""``scenario(seed, requests) -> Workload`` builds one episode's workload."""


@dataclass(frozen=True)
class TrainConfig:
    """What to train on and for how long."""

    workload: str = "mixed"
    """Workload set: light, heavy or mixed; ``any`` trains a generalist (:func:`scenario_for`)."""
    qos: str = "medium"
    """QoS level: low, medium or high; ``any`` trains a generalist over the three levels."""
    hidden: int = 256
    """LSTM hidden size h of actor and critic."""
    episodes: int = 100
    """Training episodes in all (a resumed run counts the episodes already done)."""
    requests: int = 100
    """Requests per training episode."""
    seed: int = 0
    """Seeds the networks, the noise, the sampling and the training workloads."""
    eval_seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    """Workload seeds of the held-out evaluation (never used for training)."""
    eval_requests: int = 200
    """Requests per evaluation run."""
    eval_every: int = 5
    """Evaluate (and save) every this many episodes, and after the last."""
    out: str = "relmas.pt"
    """Checkpoint path; the CSV and PNG go beside it (same stem)."""
    resume: str | None = None
    """Checkpoint to continue from (its networks, optimizers and progress)."""
    load: float | None = None
    """Load factor rho of the workloads (None: the scenario default)."""
    period: float | None = None
    """Scheduling period Ts, cycles (None: the scenario default)."""
    imitation: ImitationConfig | None = None
    """DAgger warm start on a heuristic (:mod:`.imitation`); None: pure DDPG, as the paper."""
    max_minutes: float | None = None
    """Stop (evaluate and save) once this much wall time has passed, minutes."""
    time_encoding: str = "log"
    """Encoding of latencies and busy times, ``"log"`` or ``"linear"`` (:mod:`.encoding`)."""
    time_unit_periods: float | None = None
    """The encoder's time unit in scheduling periods (None: 1 for ``log``,
    :data:`LINEAR_TIME_UNIT_PERIODS` for ``linear``); ``log1p(t / unit)`` is linear below it."""
    sa_time: str = "latency"
    """Per-SA time features: ``"latency"`` (the paper) or ``"planned_finish"`` (encoding)."""
    ddpg: DDPGConfig = field(default_factory=DDPGConfig)
    """Learning hyper-parameters."""

    def __post_init__(self) -> None:
        for name in ("hidden", "episodes", "requests", "eval_requests", "eval_every"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} = {value!r}, expected a positive integer")
        if self.workload != ANY and self.workload not in WORKLOAD_SETS:
            raise ConfigError(unknown_name("workload", self.workload, [*WORKLOAD_SETS, ANY]))
        if self.qos != ANY and self.qos not in QOS_LEVELS:
            raise ConfigError(unknown_name("QoS level", self.qos, [*QOS_LEVELS, ANY]))
        if self.time_encoding not in TIME_ENCODINGS:
            raise ConfigError(unknown_name("time encoding", self.time_encoding, TIME_ENCODINGS))
        if self.sa_time not in SA_TIMES:
            raise ConfigError(unknown_name("SA time feature", self.sa_time, SA_TIMES))
        if self.time_unit_periods is not None and not (
                math.isfinite(self.time_unit_periods) and self.time_unit_periods > 0):
            raise ConfigError(f"time_unit_periods = {self.time_unit_periods!r}, expected a "
                              "positive number of periods")
        if self.hidden % 2:
            raise ConfigError(f"hidden = {self.hidden}, expected an even number (FC h/2)")
        if not self.eval_seeds:
            raise ConfigError("eval_seeds is empty, expected at least one seed")
        clash = set(self.eval_seeds) & {training_seed(self.seed, e) for e in range(self.episodes)}
        if clash:
            raise ConfigError(f"eval_seeds {sorted(clash)} are also training seeds")

    def to_dict(self) -> dict[str, Any]:
        """Plain values (lists for tuples), as stored in the checkpoint."""
        d = asdict(self)
        d["eval_seeds"] = list(self.eval_seeds)
        return d


#: Time unit of the linear encoding, in scheduling periods: the zoo's layers then encode as
#: about 0.003 to 10 (a log encoding uses one period).
LINEAR_TIME_UNIT_PERIODS = 10.0

#: Training seeds of the imitation rounds start here (DDPG episodes use 0, 1, ...).
IMITATION_SEED_OFFSET = 500_000


def training_seed(seed: int, episode: int) -> int:
    """Workload seed of training episode ``episode`` (disjoint from small evaluation seeds)."""
    return 10**6 * (1 + seed) + episode


@dataclass
class TrainResult:
    """What a training run produced."""

    checkpoint: Path
    """The saved checkpoint."""
    history: list[dict[str, float]]
    """One row per episode (see :data:`CSV_COLUMNS`)."""
    best_eval_sla: float
    """Best mean evaluation SLA satisfaction seen."""


CSV_COLUMNS = ("episode", "steps", "wall_s", "train_reward", "train_sla", "critic_loss",
               "actor_loss", "eval_sla", "eval_sla_min")


def scenario_choices(config: TrainConfig) -> list[tuple[str, str]]:
    """The (workload set, QoS level) pairs the run trains on, in a fixed order."""
    workloads = sorted(WORKLOAD_SETS) if config.workload == ANY else [config.workload]
    levels = sorted(QOS_LEVELS) if config.qos == ANY else [config.qos]
    return [(w, q) for w in workloads for q in levels]


def scenario_for(system: SystemSpec, config: TrainConfig) -> Scenario:
    """Workloads of the configured scenario through
    :func:`mas_sim.workload.scenario.build_workload`.

    With ``any`` workload set or QoS level, seed ``s`` takes pair ``s mod n`` of
    :func:`scenario_choices` (n pairs): consecutive evaluation seeds cover every pair.
    """
    from mas_sim.workload.scenario import DEFAULT_LOAD, Scenario, build_workload

    choices = scenario_choices(config)
    base = Scenario(load=DEFAULT_LOAD if config.load is None else config.load,
                    period=period_of(config))

    def build(seed: int, requests: int) -> Workload:
        workload, qos = choices[seed % len(choices)]
        return build_workload(system, replace(base, workload=workload, qos=qos, seed=seed,
                                              requests=requests))

    return build


def training_normalisation(system: SystemSpec, config: TrainConfig, period: float,
                           scenario: Scenario) -> Normalisation:
    """The encoder scales of every model the run can meet (all pairs of
    :func:`scenario_choices`; probed through ``scenario`` so custom scenarios work too)."""
    profiles: dict[str, ModelProfile] = {}
    for seed in range(len(scenario_choices(config))):
        profiles.update(scenario(config.eval_seeds[0] + seed, 1).profiles)
    periods = config.time_unit_periods
    if periods is None:
        periods = LINEAR_TIME_UNIT_PERIODS if config.time_encoding == "linear" else 1.0
    unit = period * periods
    return Normalisation.for_profiles(profiles, time_unit=unit,
                                      dram_bandwidth=system.dram_bandwidth,
                                      time_encoding=config.time_encoding,
                                      sa_time=config.sa_time)


def period_of(config: TrainConfig) -> float:
    """The scheduling period of the run, cycles."""
    if config.period is not None:
        return config.period
    from mas_sim.workload.scenario import DEFAULT_PERIOD

    return DEFAULT_PERIOD


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


def evaluate(actor_policy: Relmas, system: SystemSpec, scenario: Scenario,
             seeds: Sequence[int], requests: int, period: float) -> list[float]:
    """SLA satisfaction (met / requests) of the deterministic policy on each seed's workload."""
    slas = []
    for seed in seeds:
        outcomes = Outcomes()
        actor_policy.reset(system, seed)
        Simulation(system, scenario(seed, requests), actor_policy,
                   EngineConfig(period=period), observers=[outcomes]).run()
        slas.append(outcomes.met / requests)
    return slas


def train(config: TrainConfig, *, system: SystemSpec | None = None,
          scenario: Scenario | None = None, forecaster: Forecaster | None = None,
          progress: bool = True) -> TrainResult:
    """Run the training loop of the module docstring; returns the checkpoint and history."""
    torch.set_num_threads(1)
    system = system or SystemSpec.paper()
    scenario = scenario or scenario_for(system, config)
    period = period_of(config)
    cfg = config.ddpg
    m = system.num_sas
    norm = training_normalisation(system, config, period, scenario)
    agent = DDPG(num_features(m), num_actions(m), config.hidden, cfg, seed=config.seed)
    rng = np.random.default_rng(config.seed)
    history: list[dict[str, float]] = []
    start_episode, steps, updates, wall_before = 0, 0, 0, 0.0
    if config.resume:
        ckpt = load_checkpoint(config.resume, num_sas=m, hidden=config.hidden)
        if ckpt.normalisation.model_names != norm.model_names:
            raise ConfigError(f"resume: checkpoint models {list(ckpt.normalisation.model_names)}"
                              f" differ from the scenario's {list(norm.model_names)}")
        norm = ckpt.normalisation
        state = dict(ckpt.training or {})
        agent.load_state_dict({"actor": ckpt.actor, "critic": ckpt.critic,
                               **dict(state.get("agent", {}))})
        start_episode = int(state.get("episode", 0))
        steps = int(state.get("steps", 0))
        updates = int(state.get("updates", 0))
        wall_before = float(state.get("wall_s", 0.0))
        history = [dict(row) for row in state.get("history", [])]
        if "rng" in state:
            rng.bit_generator.state = state["rng"]
    eval_policy = Relmas.from_actor(agent.actor, norm)  # the whole RQ, as deployed
    buffer = ReplayBuffer(cfg.buffer_size)
    encoder = StateEncoder(norm, cfg.max_rq)
    out = Path(config.out)
    started = time.perf_counter()

    def save(episode: int, wall: float, best_so_far: bool) -> None:
        training = {"agent": agent.state_dict(), "episode": episode, "steps": steps,
                    "updates": updates, "wall_s": wall, "rng": rng.bit_generator.state,
                    "history": history}
        save_checkpoint(out, actor=agent.actor, critic=agent.critic, normalisation=norm,
                        config=config.to_dict(), training=training)
        if best_so_far:
            save_checkpoint(best_path(out), actor=agent.actor, critic=agent.critic,
                            normalisation=norm, config=config.to_dict())
        write_history(out.with_suffix(".csv"), history)
        plot_history(out.with_suffix(".png"), history, config)

    if config.imitation is not None and not config.resume:
        warm_start(agent, config.imitation, system, scenario, config, period, encoder, rng)
        slas = evaluate(eval_policy, system, scenario, config.eval_seeds,
                        config.eval_requests, period)
        history.append({"episode": 0.0, "steps": 0.0,
                        "wall_s": time.perf_counter() - started, "train_reward": math.nan,
                        "train_sla": math.nan, "critic_loss": math.nan,
                        "actor_loss": math.nan, "eval_sla": float(np.mean(slas)),
                        "eval_sla_min": float(np.min(slas))})
        save(0, history[-1]["wall_s"], True)
    best = max((row["eval_sla"] for row in history if not math.isnan(row["eval_sla"])),
               default=-1.0)
    bar = _progress(config.episodes, start_episode, progress)

    def explore(view: SchedulerView, state: Array32) -> tuple[Schedule, Array32]:
        action = agent.act(state, cfg.exploration_noise, rng)
        return Schedule(*decode(action, view)), action

    episode = start_episode
    for episode in range(start_episode, config.episodes):
        ep = Episode(system, scenario(training_seed(config.seed, episode), config.requests),
                     period, forecaster)
        total_reward = 0.0
        critic_losses: list[float] = []
        actor_losses: list[float] = []
        while not ep.done:
            transition, _ = play_tick(ep, encoder, explore)
            buffer.add(transition)
            total_reward += transition.reward
            steps += 1
            if len(buffer) >= cfg.learning_starts and steps % cfg.update_every == 0:
                for _ in range(cfg.updates_per_step):
                    batch = collate(buffer.sample(rng, cfg.batch_size), cfg.reward_scale)
                    c_loss, a_loss = agent.update(batch, actor=updates >= cfg.critic_warmup)
                    updates += 1
                    critic_losses.append(c_loss)
                    if not math.isnan(a_loss):
                        actor_losses.append(a_loss)
        wall = wall_before + time.perf_counter() - started
        last = episode + 1 == config.episodes
        out_of_time = (config.max_minutes is not None
                       and time.perf_counter() - started >= 60.0 * config.max_minutes)
        row = {"episode": float(episode + 1), "steps": float(steps), "wall_s": wall,
               "train_reward": total_reward,
               "train_sla": ep.outcomes.met / config.requests,
               "critic_loss": float(np.mean(critic_losses)) if critic_losses else math.nan,
               "actor_loss": float(np.mean(actor_losses)) if actor_losses else math.nan,
               "eval_sla": math.nan, "eval_sla_min": math.nan}
        if (episode + 1) % config.eval_every == 0 or last or out_of_time:
            slas = evaluate(eval_policy, system, scenario, config.eval_seeds,
                            config.eval_requests, period)
            row["eval_sla"], row["eval_sla_min"] = float(np.mean(slas)), float(np.min(slas))
        history.append(row)
        if not math.isnan(row["eval_sla"]):
            improved = row["eval_sla"] > best
            best = max(best, row["eval_sla"])
            save(episode + 1, wall, improved)
        bar.update(1)
        bar.set_postfix(reward=f"{total_reward:.2f}", eval=f"{row['eval_sla']:.3f}")
        if out_of_time:
            break
    bar.close()
    return TrainResult(out, history, best)


def warm_start(agent: DDPG, imitation: ImitationConfig, system: SystemSpec, scenario: Scenario,
               config: TrainConfig, period: float, encoder: StateEncoder,
               rng: np.random.Generator) -> None:
    """DAgger on ``imitation.teacher`` (:func:`policies.relmas.imitation.imitate`), then the
    target actor copies the imitated weights. Its workloads use training seeds from
    :data:`IMITATION_SEED_OFFSET` on, disjoint from the DDPG episodes' and the evaluation's."""
    from tqdm.auto import tqdm

    import policies

    teacher = policies.make(imitation.teacher)
    seeds = itertools.count(IMITATION_SEED_OFFSET)
    workloads = (scenario(training_seed(config.seed, e), config.requests) for e in seeds)
    assert encoder.max_rq is not None

    def report(rnd: int, result: ImitationResult) -> None:
        tqdm.write(f"imitation round {rnd + 1}/{imitation.rounds}: {result.states[-1]} states, "
                   f"loss {result.loss[-1]:.4f}, SA agreement {result.sa_agreement[-1]:.3f}")

    imitate(agent.actor, teacher, system, workloads, period, encoder, encoder.max_rq, imitation,
            rng, on_round=report)
    agent.actor_target.load_state_dict(agent.actor.state_dict())


def choose_deploy_cap(path: str | Path, cap: int, system: SystemSpec, scenario: Scenario,
                      seeds: Sequence[int], requests: int, period: float) -> dict[str, float]:
    """Evaluate checkpoint ``path`` over the whole RQ and capped at ``cap`` SJs on ``seeds``,
    record the better as its ``deploy_max_rq`` (ties: the whole RQ, as the paper), and return
    both mean SLA satisfactions (``{"none": ..., "cap": ...}``)."""
    means = {}
    for key, max_rq in (("none", None), ("cap", cap)):
        policy = Relmas(checkpoint=path, max_rq=max_rq)
        means[key] = float(np.mean(evaluate(policy, system, scenario, seeds, requests, period)))
    set_deploy_max_rq(path, cap if means["cap"] > means["none"] else None)
    return means


def best_path(out: Path) -> Path:
    """Where the best-evaluated weights go: ``<stem>.best.pt`` beside ``out``."""
    return out.with_name(out.stem + ".best" + out.suffix)


def write_history(path: Path, history: list[dict[str, float]]) -> None:
    """The per-episode rows as CSV, atomically."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in history:
        writer.writerow({k: ("" if math.isnan(row[k]) else row[k]) for k in CSV_COLUMNS})
    atomic_write_text(path, buf.getvalue())


def plot_history(path: Path, history: list[dict[str, float]], config: TrainConfig) -> None:
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
    ax.set_title(f"RELMAS h={config.hidden} on {config.workload} / QoS-{config.qos}")
    ax.legend(loc="lower right")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def set_postfix(self, **kwargs: object) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, initial: int, enabled: bool) -> Any:
    if not enabled:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, unit="episode", desc="training RELMAS")


# -- command line ------------------------------------------------------------------------------
def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``mas-sim train relmas`` (one per :class:`TrainConfig` / DDPG field)."""
    parser.add_argument("--workload", default="mixed", choices=("light", "heavy", "mixed", ANY),
                        help=f"workload set ({ANY}: one policy for every set)")
    parser.add_argument("--qos", default="medium", choices=("low", "medium", "high", ANY),
                        help=f"QoS level ({ANY}: one policy for every level)")
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--episodes", type=int, default=100)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--eval-seeds", default="0,1,2,3,4",
                        help="comma-separated workload seeds of the held-out evaluation")
    parser.add_argument("--eval-requests", type=int, default=200)
    parser.add_argument("--eval-every", type=int, default=5)
    parser.add_argument("--out", default="relmas.pt", help="checkpoint path (CSV, PNG beside)")
    parser.add_argument("--resume", default=None, help="checkpoint to continue from")
    parser.add_argument("--load", type=float, default=None)
    parser.add_argument("--period-us", type=float, default=None)
    parser.add_argument("--imitate", default=None, metavar="POLICY",
                        help="warm start: imitate this heuristic by DAgger first (e.g. edf-h)")
    for f in fields(ImitationConfig):
        if f.name != "teacher":
            parser.add_argument("--imitation-" + f.name.replace("_", "-"), type=type(f.default),
                                default=f.default, dest=f"imitation_{f.name}")
    parser.add_argument("--max-minutes", type=float, default=None)
    parser.add_argument("--time-encoding", default="log", choices=TIME_ENCODINGS,
                        help="encoding of latencies and busy times (default log)")
    parser.add_argument("--time-unit-periods", type=float, default=None,
                        help="the encoder's time unit in periods (default: 1 for log, "
                             f"{LINEAR_TIME_UNIT_PERIODS:g} for linear)")
    parser.add_argument("--sa-time", default="latency", choices=SA_TIMES,
                        help="per-SA time features: latency (the paper) or planned_finish "
                             "(EDF-AC-H's plan; beyond the paper)")
    for f in fields(DDPGConfig):
        parser.add_argument("--" + f.name.replace("_", "-"), type=type(f.default),
                            default=f.default, dest=f"ddpg_{f.name}")
    parser.add_argument("--no-progress", action="store_true")


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The :class:`TrainConfig` of parsed :func:`add_train_arguments` options."""
    try:
        seeds = tuple(int(s) for s in str(args.eval_seeds).split(",") if s.strip())
    except ValueError:
        raise ConfigError(f"--eval-seeds {args.eval_seeds!r}: expected comma-separated "
                          "integers") from None
    ddpg = DDPGConfig(**{f.name: getattr(args, f"ddpg_{f.name}") for f in fields(DDPGConfig)})
    imitation = None
    if args.imitate:
        imitation = ImitationConfig(teacher=args.imitate, **{
            f.name: getattr(args, f"imitation_{f.name}") for f in fields(ImitationConfig)
            if f.name != "teacher"})
    return TrainConfig(
        workload=args.workload, qos=args.qos, hidden=args.hidden, episodes=args.episodes,
        requests=args.requests, seed=args.seed, eval_seeds=seeds,
        eval_requests=args.eval_requests, eval_every=args.eval_every, out=args.out,
        resume=args.resume, load=args.load,
        period=None if args.period_us is None else args.period_us * 1000.0,
        imitation=imitation, max_minutes=args.max_minutes,
        time_encoding=args.time_encoding, time_unit_periods=args.time_unit_periods,
        sa_time=args.sa_time, ddpg=ddpg)


def train_main(args: argparse.Namespace) -> int:
    """Entry point for ``mas-sim train relmas``: train, print a one-line summary, exit code 0."""
    import sys

    config = config_from_args(args)
    result = train(config, progress=not args.no_progress)
    print(f"saved {result.checkpoint} (best eval SLA {result.best_eval_sla:.3f}, "
          f"{len(result.history)} episodes)", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m policies.relmas.train ...``."""
    parser = argparse.ArgumentParser(prog="python -m policies.relmas.train",
                                     description="Train RELMAS with DDPG.")
    add_train_arguments(parser)
    return train_main(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
