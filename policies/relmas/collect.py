"""Experience at scale: training episodes played by rollout workers, for one learner.

A *collector* plays a list of episodes with one snapshot of the actor's weights and returns
their transitions in episode order. What an episode yields depends only on the weights, its
workload seed and its noise seed (:func:`noise_rng`), never on which worker played it or when,
so one worker and many give the same transitions (a test checks it):

- :class:`SerialCollector`: in this process (reference, and for tests);
- :class:`ProcessCollector`: ``workers`` forked processes on this machine;
- :class:`RayCollector`: ``workers`` Ray actors, on a local Ray runtime or on the cluster of
  ``ray_address`` (whose nodes must be able to import mas-sim).

Each worker builds its simulator, scenario and actor once (:class:`RolloutSpec`) and then only
receives weights and episode numbers. Per episode it reports the time it spent in the three
parts of a tick (encoding the state, acting, and ``env`` = the reward's forecast plus the
engine's advance to the next decision), so a run can say where the time goes.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import torch

from mas_sim.core.ray_support import repository_on_pythonpath, require_ray
from mas_sim.hardware import SystemSpec
from mas_sim.sim.view import Schedule, SchedulerView
from policies.relmas.config import training_seed
from policies.relmas.ddpg import Transition, explore
from policies.relmas.encoding import Normalisation, StateEncoder, decode, tail_schedule
from policies.relmas.networks import Actor
from policies.relmas.ppo import PPOStep, StochasticActor, acting_rows, sample
from policies.relmas.reward import Forecaster, RewardConfig
from policies.relmas.rollout import Episode, Step
from policies.relmas.scenarios import Scenario

Weights = Mapping[str, torch.Tensor]
_Keep = Callable[[Step], Any]
"""Makes the stored transition of a tick from its environment step."""
_Act = Callable[[SchedulerView, np.ndarray, np.random.Generator], tuple[Schedule, _Keep]]
"""A learner's action on a view and its encoded state, and how to keep the tick."""


def noise_rng(seed: int, episode: int) -> np.random.Generator:
    """The exploration-noise generator of training episode ``episode`` of run ``seed``."""
    return np.random.default_rng([seed, episode, 0x5EED])


@dataclass(frozen=True)
class RolloutSpec:
    """Everything a worker needs to play training episodes (sent once, picklable)."""

    system: SystemSpec
    scenario: Scenario
    normalisation: Normalisation
    period: float
    """Scheduling period Ts, cycles."""
    hidden: int
    max_rq: int
    """Cap on SJs per stored state."""
    requests: int
    """Requests per episode."""
    seed: int
    """The run's seed (workload seeds: :func:`~policies.relmas.config.training_seed`)."""
    noise: float
    """Standard deviation of the Gaussian exploration noise."""
    reward: RewardConfig = field(default_factory=RewardConfig)
    forecaster: Forecaster | None = None
    sa_epsilon: float = 0.0
    """Probability of a uniformly drawn SA per SJ (:func:`~policies.relmas.ddpg.explore`)."""
    learner: str = "ddpg"
    """``ddpg``: explore as :func:`~policies.relmas.ddpg.explore` and store DDPG transitions
    (residual next states); ``relmas-ppo``: sample the stochastic policy of :mod:`.ppo` (the
    weights then are a :class:`~policies.relmas.ppo.StochasticActor`'s) and store
    :class:`~policies.relmas.ppo.PPOStep`s."""
    sa_temperature: float = 5.0
    """``relmas-ppo``: SA logits = this x the SA scores."""


@dataclass(eq=False)
class EpisodeExperience:
    """What one training episode yielded."""

    episode: int
    """Index of the episode in the run (0-based)."""
    transitions: list[Any]
    """:class:`~policies.relmas.ddpg.Transition`s (DDPG) or
    :class:`~policies.relmas.ppo.PPOStep`s (``relmas-ppo``), in tick order."""
    reward: float
    """Sum of the tick rewards."""
    met: int
    """Requests that met their deadline."""
    encode_s: float = 0.0
    """Seconds spent encoding states (the next states included)."""
    act_s: float = 0.0
    """Seconds in the actor's forward pass and the noise."""
    env_s: float = 0.0
    """Seconds in the environment: the reward's forecast and the engine up to the next tick."""
    cpu_s: float = 0.0
    """CPU seconds of the worker for the whole episode (wall clocks count the time other
    processes take from a busy machine; this does not)."""


class _Worker:
    """Plays episodes of one :class:`RolloutSpec` (inside a worker process or actor)."""

    def __init__(self, spec: RolloutSpec) -> None:
        torch.set_num_threads(1)
        from policies.relmas.encoding import num_actions

        m = spec.system.num_sas
        self.spec = spec
        self.actor = Actor(spec.normalisation.features(m), num_actions(m), spec.hidden).eval()
        self.policy = StochasticActor(self.actor, 1.0)
        self.encoder = StateEncoder(spec.normalisation, spec.max_rq)

    def play(self, weights: Weights, episode: int) -> EpisodeExperience:
        """Episode ``episode`` with the actor's ``weights`` and its own noise generator."""
        if self.spec.learner == "relmas-ppo":
            self.policy.load_state_dict(weights)
            log_std = float(self.policy.log_std.detach())
            return self._episode(episode, lambda view, state, rng: self._act_sampled(
                view, state, rng, log_std))
        self.actor.load_state_dict(weights)
        return self._episode(episode, self._act_ddpg)

    def _episode(self, episode: int, act: _Act) -> EpisodeExperience:
        """One episode: encode, ``act``, step the environment, keep what ``act`` records."""
        s = self.spec
        rng = noise_rng(s.seed, episode)
        ep = Episode(s.system, s.scenario(training_seed(s.seed, episode), s.requests), s.period,
                     s.forecaster, s.reward)
        out = EpisodeExperience(episode, [], 0.0, 0)
        cpu = time.process_time()
        clock = time.perf_counter
        while ep.view is not None:
            view = ep.view
            t0 = clock()
            state = self.encoder(view)
            t1 = clock()
            schedule, keep = act(view, state, rng)
            t2 = clock()
            step = ep.step(schedule)
            t3 = clock()
            out.transitions.append(keep(step))  # DDPG encodes the next state here
            out.reward += step.reward
            out.encode_s += (t1 - t0) + (clock() - t3)
            out.act_s += t2 - t1
            out.env_s += t3 - t2
        out.met = ep.outcomes.met
        out.cpu_s = time.process_time() - cpu
        return out

    def _act_ddpg(self, view: SchedulerView, state: np.ndarray,
                  rng: np.random.Generator) -> tuple[Schedule, _Keep]:
        """DDPG's action: the actor's output with exploration noise; keeps a
        :class:`~policies.relmas.ddpg.Transition` with the residual next state."""
        with torch.inference_mode():
            action = self.actor(torch.from_numpy(state)[None])[0, 1:].numpy()
        action = explore(action, self.spec.noise, self.spec.sa_epsilon, rng)

        def keep(step: Step) -> Transition:
            next_state = (self.encoder.empty(view.num_sas) if step.next_view is None
                          else self.encoder(step.next_view, step.residual))
            return Transition(state, action, step.reward, next_state, step.done)

        return Schedule(*decode(action, view)), keep

    def _act_sampled(self, view: SchedulerView, state: np.ndarray, rng: np.random.Generator,
                     log_std: float) -> tuple[Schedule, _Keep]:
        """A draw of the stochastic policy of :mod:`.ppo` (``self.policy``'s weights, whose
        ``log_std`` the caller reads once per episode); keeps a
        :class:`~policies.relmas.ppo.PPOStep`."""
        with torch.inference_mode():
            outputs = self.actor(torch.from_numpy(state)[None])[0, 1:].numpy()
        k = outputs.shape[0]
        rows = acting_rows(view, k)
        priority, sa, logp = sample(outputs, rows, self.spec.sa_temperature, log_std, rng)
        full_priority, full_sa = tail_schedule(view, k)
        full_priority[:k], full_sa[:k] = priority, sa

        def keep(step: Step) -> PPOStep:
            return PPOStep(state, rows, sa[rows], priority[rows].astype(np.float32),
                           logp.astype(np.float32), step.reward, step.done)

        return Schedule(full_priority, full_sa), keep


class Collector(Protocol):
    """Plays episodes for the learner (module docstring)."""

    workers: int

    def submit(self, weights: Weights, episodes: Sequence[int]) -> Any:
        """Start playing ``episodes`` with ``weights``; returns a handle for :meth:`result`."""
        ...

    def result(self, handle: Any) -> list[EpisodeExperience]:
        """The experiences of a :meth:`submit`, in the order of its episodes (blocks)."""
        ...

    def close(self) -> None:
        """Stop the workers."""
        ...


def _cpu_copy(weights: Weights) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().clone() for k, v in weights.items()}


class SerialCollector:
    """Episodes played in this process when their result is asked for."""

    workers = 1

    def __init__(self, spec: RolloutSpec) -> None:
        self._worker = _Worker(spec)

    def submit(self, weights: Weights, episodes: Sequence[int]) -> Any:
        return _cpu_copy(weights), list(episodes)

    def result(self, handle: Any) -> list[EpisodeExperience]:
        weights, episodes = handle
        return [self._worker.play(weights, e) for e in episodes]

    def close(self) -> None:
        pass


_WORKER: _Worker | None = None


def _init_process(spec: RolloutSpec) -> None:
    global _WORKER
    _WORKER = _Worker(spec)


def _play_in_process(task: tuple[Weights, int]) -> EpisodeExperience:
    assert _WORKER is not None
    return _WORKER.play(*task)


class ProcessCollector:
    """``workers`` processes forked from this one (the spec is inherited, not pickled)."""

    def __init__(self, spec: RolloutSpec, workers: int) -> None:
        self.workers = workers
        ctx = multiprocessing.get_context("fork")
        self._pool = ctx.Pool(workers, initializer=_init_process, initargs=(spec,))

    def submit(self, weights: Weights, episodes: Sequence[int]) -> Any:
        w = _cpu_copy(weights)
        return self._pool.map_async(_play_in_process, [(w, e) for e in episodes], chunksize=1)

    def result(self, handle: Any) -> list[EpisodeExperience]:
        return list(handle.get())

    def close(self) -> None:
        self._pool.terminate()
        self._pool.join()


class RayCollector:
    """``workers`` Ray actors; episode ``i`` of a submission goes to actor ``i mod workers``."""

    def __init__(self, spec: RolloutSpec, workers: int, address: str | None = None) -> None:
        require_ray("rollouts on Ray")
        import ray

        self.workers = workers
        self._started = not ray.is_initialized()
        if self._started:
            with repository_on_pythonpath() if address is None else contextlib.nullcontext():
                ray.init(address=address, num_cpus=workers if address is None else None,
                         include_dashboard=False, log_to_driver=False,
                         configure_logging=False)
        remote: Any = ray.remote(num_cpus=1)(_Worker)
        spec_ref = ray.put(spec)
        self._actors: list[Any] = [remote.remote(spec_ref) for _ in range(workers)]

    def submit(self, weights: Weights, episodes: Sequence[int]) -> Any:
        import ray

        ref = ray.put(_cpu_copy(weights))
        return [self._actors[i % self.workers].play.remote(ref, e)
                for i, e in enumerate(episodes)]

    def result(self, handle: Any) -> list[EpisodeExperience]:
        import ray

        return list(ray.get(handle))

    def close(self) -> None:
        import ray

        for actor in self._actors:
            ray.kill(actor)
        if self._started:
            ray.shutdown()


def make_collector(spec: RolloutSpec, workers: int, ray_address: str | None = None) -> Collector:
    """Ray actors if ``ray_address`` is given (``"local"``: a local Ray runtime), else
    ``workers`` forked processes (0: this process)."""
    if ray_address is not None:
        return RayCollector(spec, max(workers, 1), None if ray_address == "local" else ray_address)
    if workers == 0:
        return SerialCollector(spec)
    return ProcessCollector(spec, workers)
