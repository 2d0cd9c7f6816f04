"""Cross-checks with Stable-Baselines3: PPO, SAC or TD3 on ``mas_sim/Scheduling-v0``.

Whether the paper's algorithm or the environment limits RELMAS is a question a well-kept library
answers: :func:`train_sb3` trains one of SB3's algorithms on the same scenario, seeds and wall
budget as ``mas-sim train relmas`` and evaluates it the same way (SLA satisfaction of the
deterministic policy on the evaluation seeds, :mod:`.evaluation`), writing the same history
columns that apply. The observation is the env's (``Dict(rq, mask)``, SB3's
``MultiInputPolicy`` with its default MLP), the action one ``G``-vector per row of the capped RQ
(:mod:`.env`). Training episodes use the training seeds of :func:`~policies.relmas.config.
training_seed` (episode ``e`` of run ``seed``), as DDPG's do. Needs the ``sb3`` extra.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mas_sim.core.errors import ConfigError, MissingExtraError, unknown_name
from mas_sim.hardware import SystemSpec
from mas_sim.sim.view import Schedule, SchedulerView
from mas_sim.workload import Workload

try:
    import gymnasium as gym
except ImportError:  # pragma: no cover - depends on the installation
    raise MissingExtraError("the Stable-Baselines3 cross-check", "rl", "gymnasium") from None

from policies.relmas.config import SB3_ALGORITHMS, TrainConfig, training_seed
from policies.relmas.history import Row, write_history
from policies.relmas.scenarios import Scenario, period_of, scenario_for

ALGORITHMS = SB3_ALGORITHMS
"""The SB3 algorithms :func:`train_sb3` knows."""


def require_sb3() -> Any:
    """The ``stable_baselines3`` module, or :class:`MissingExtraError`."""
    try:
        import stable_baselines3
    except ImportError:
        raise MissingExtraError("the Stable-Baselines3 cross-check", "sb3",
                                "stable-baselines3") from None
    return stable_baselines3


class EpisodeSeeds:
    """``scenario(seed)`` for the env: reset seed ``e`` plays training episode ``e``'s workload
    (picklable, so vectorised envs can carry it)."""

    def __init__(self, scenario: Scenario, seed: int, requests: int) -> None:
        self.scenario, self.seed, self.requests = scenario, seed, requests

    def __call__(self, reset_seed: int) -> Workload:
        return self.scenario(training_seed(self.seed, reset_seed), self.requests)


class EnvPolicy:
    """A mas-sim :class:`~mas_sim.sim.view.Policy` that acts with ``predict(obs) -> action``
    through an env's observation and action mapping (an SB3 model's deterministic policy)."""

    name = "sb3"

    def __init__(self, env: Any, predict: Callable[[dict[str, np.ndarray]], np.ndarray]) -> None:
        self.env, self.predict = env, predict

    def reset(self, system: SystemSpec, seed: int | None = None) -> None:
        """Nothing to reset (the model is deterministic)."""

    def schedule(self, view: SchedulerView) -> Schedule:
        """The model's action on the env's observation of ``view``."""
        return self.env.schedule_of(self.predict(self.env.observe(view)), view)


@dataclass
class SB3Result:
    """What :func:`train_sb3` produced."""

    history: list[Row] = field(default_factory=list)
    """One row per evaluation (``episode``: training episodes begun so far)."""
    model: Any = None
    best_eval_sla: float = -1.0


def make_env(config: TrainConfig, system: SystemSpec, scenario: Scenario) -> Any:
    """The Scheduling env of ``config``'s scenario, period, state cap and reward, whose reset
    seed ``e`` plays training episode ``e`` (a ``Monitor`` records episode returns)."""
    from policies.relmas.env import SchedulingEnv

    episodes = EpisodeSeeds(scenario, config.seed, config.requests)
    return SchedulingEnv(system, max_rq=config.ddpg.max_rq, period=period_of(config),
                         scenario=episodes, reward_config=config.reward)


class SeedEachReset(gym.Wrapper):
    """The n-th reset plays training episode n (reset seed n), whatever seed SB3 passes."""

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        self.episodes = 0
        """Resets so far (training episodes begun)."""

    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> Any:
        """Start training episode :attr:`episodes`."""
        episode = self.episodes
        self.episodes += 1
        return self.env.reset(seed=episode, options=options)


def train_sb3(algorithm: str, config: TrainConfig, *, system: SystemSpec | None = None,
              scenario: Scenario | None = None, eval_every_steps: int = 2000,
              out: Path | None = None, algo_kwargs: dict[str, Any] | None = None) -> SB3Result:
    """Train SB3's ``algorithm`` for ``config.max_minutes`` (or ``config.episodes`` episodes,
    whichever ends first) and evaluate the deterministic policy on ``config.eval_seeds`` every
    ``eval_every_steps`` env steps and at the end; rows go to ``out`` (CSV) if given."""
    sb3 = require_sb3()
    if algorithm not in ALGORITHMS:
        raise ConfigError(unknown_name("SB3 algorithm", algorithm, ALGORITHMS))
    from stable_baselines3.common.callbacks import BaseCallback

    from policies.relmas.evaluation import evaluate

    system = system or SystemSpec.paper()
    scenario = scenario or scenario_for(system, config)
    env = make_env(config, system, scenario)
    counter = SeedEachReset(env)
    period = period_of(config)
    kwargs = {"seed": config.seed, "verbose": 0, "device": "cpu", **(algo_kwargs or {})}
    model = getattr(sb3, algorithm.upper())("MultiInputPolicy", counter, **kwargs)
    result = SB3Result(model=model)
    started = time.perf_counter()

    def predict(obs: dict[str, np.ndarray]) -> np.ndarray:
        action, _ = model.predict(obs, deterministic=True)
        return np.asarray(action)

    def evaluate_now(steps: int) -> None:
        t0 = time.perf_counter()
        policy = EnvPolicy(env, predict)
        slas = evaluate(policy, system, scenario, config.eval_seeds, config.eval_requests,
                        period)
        row: Row = {"episode": float(counter.episodes), "steps": float(steps),
                    "wall_s": t0 - started, "eval_sla": float(np.mean(slas)),
                    "eval_sla_min": float(np.min(slas)),
                    "eval_s": time.perf_counter() - t0}
        result.history.append(row)
        result.best_eval_sla = max(result.best_eval_sla, row["eval_sla"])
        if out is not None:
            write_history(out, result.history)

    class Budget(BaseCallback):
        """Evaluates every ``eval_every_steps`` steps; stops at the wall or episode budget."""

        def _on_step(self) -> bool:
            if self.num_timesteps % eval_every_steps == 0:
                evaluate_now(self.num_timesteps)
            over = (config.max_minutes is not None
                    and time.perf_counter() - started >= 60 * config.max_minutes)
            return not over and counter.episodes <= config.episodes

    model.learn(total_timesteps=10**12, callback=Budget())
    evaluate_now(model.num_timesteps)
    return result
