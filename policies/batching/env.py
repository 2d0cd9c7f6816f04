"""A Gymnasium environment of adaptive batching: one step = one BCEdge decision window.

Importing this module registers ``"mas_sim/Batching-v0"``::

    import gymnasium as gym
    import policies.batching.env  # registers the id
    env = gym.make("mas_sim/Batching-v0", workload="mixed", requests=100)

Each episode is a fresh workload of ``requests`` requests at a load drawn from ``loads`` (seeded
by ``reset(seed=...)``), run by the batching engine under EDF-H with
:class:`~policies.batching.bcedge.WindowedBatching` as the batching policy.

- observation: ``Box(0, 1, (5 K + 3,))``, :func:`policies.batching.bcedge.encode_state`, taken
  just before the window's first tick;
- action: ``Box(-1, 1, (2 K,))``, each model's batch size and concurrency
  (:func:`~policies.batching.bcedge.decode_action`), applied from the window's first tick;
- reward: the window's utility (the requests that ended in it) over the expected arrivals per
  window; ``terminated`` when every request has ended; never ``truncated``.

Needs the ``rl`` extra (gymnasium).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from mas_sim.core.errors import ConfigError, MissingExtraError
from mas_sim.hardware import SystemSpec
from mas_sim.hardware.costmodel import batch_profiles
from mas_sim.sim.batching import BatchingSimulation, utility
from mas_sim.sim.engine import EngineConfig
from mas_sim.workload import Workload

try:
    import gymnasium as gym
    from gymnasium import spaces
except ImportError:  # pragma: no cover - depends on the installation
    raise MissingExtraError("the Gymnasium environment", "rl", "gymnasium") from None

from policies.batching.bcedge import (
    MAX_ACTION_BATCH,
    WINDOW,
    WindowedBatching,
    decode_action,
    encode_state,
    state_size,
)
from policies.deadline import EdfH

ENV_ID = "mas_sim/Batching-v0"
#: Load factors an episode draws from (the study's range).
DEFAULT_LOADS = (0.5, 1.0, 1.5, 2.0)


class WindowCounter:
    """Observer: met and violated requests and their normalised latencies since the last read."""

    def __init__(self) -> None:
        self.met = 0
        self.violated = 0
        self.ell = 0.0
        self.finished = 0

    def job_ended(self, job: Any, now: float) -> None:
        if job.status == "met":
            self.met += 1
        else:
            self.violated += 1
        if job.status in ("met", "missed"):
            self.finished += 1
            self.ell += (now - job.request.arrival) / job.isolated_latency

    def take(self) -> tuple[int, int, float]:
        """(met, violated, mean normalised latency) since the last call; resets."""
        out = (self.met, self.violated, self.ell / self.finished if self.finished else 1.0)
        self.met = self.violated = self.finished = 0
        self.ell = 0.0
        return out


def expected_per_window(workload: Workload, system: SystemSpec, load: float,
                        period: float) -> float:
    """Expected arrivals per decision window at ``load``."""
    from mas_sim.workload.arrivals import mean_interarrival

    gap = mean_interarrival(tuple(sorted(workload.profiles)), workload.profiles,
                            system.num_sas, load)
    return max(1.0, WINDOW * period / gap)


class BatchingEnv(gym.Env[np.ndarray, np.ndarray]):
    """Adaptive batching of one workload set, one decision window per step."""

    metadata = {"render_modes": []}  # noqa: RUF012 (gymnasium declares it an instance variable)

    def __init__(self, system: SystemSpec | None = None, workload: str = "mixed",
                 qos: str = "medium", requests: int = 100, *,
                 loads: tuple[float, ...] = DEFAULT_LOADS, predictor: object | None = None,
                 max_batch: int = MAX_ACTION_BATCH) -> None:
        from mas_sim.workload.scenario import DEFAULT_PERIOD, Scenario

        if not loads or any(not (isinstance(x, int | float) and x > 0) for x in loads):
            raise ConfigError(f"loads = {loads!r}, expected positive load factors")
        self.system = system or SystemSpec.paper()
        self.base = Scenario(workload=workload, qos=qos, requests=requests)
        self.period = float(DEFAULT_PERIOD)
        self.loads = tuple(float(x) for x in loads)
        self.max_batch = max_batch
        self.models = tuple(sorted(self._workload(0, self.loads[0]).profiles))
        k, m = len(self.models), self.system.num_sas
        self.observation_space = spaces.Box(0.0, 1.0, shape=(state_size(k),), dtype=np.float32)
        self.action_space = spaces.Box(-1.0, 1.0, shape=(2 * k,), dtype=np.float32)
        self.core = WindowedBatching(predictor=predictor)
        self._sim: BatchingSimulation | None = None
        self._counter = WindowCounter()
        self._window_end = 0.0
        self._per_window = 1.0
        self._budget = np.ones(k)
        self._m = m

    def _workload(self, seed: int, load: float) -> Workload:
        from mas_sim.workload.scenario import build_workload

        return build_workload(self.system, replace(self.base, seed=seed, load=load))

    def _obs(self) -> np.ndarray:
        sim = self._sim
        assert sim is not None
        view = sim._view(sim.now)
        capacity = WINDOW * self.period * self._m
        return encode_state(view, self.core.rate, self._budget, capacity)

    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        """A fresh episode: the workload of ``seed`` at a load drawn with it."""
        super().reset(seed=seed)
        wl_seed = seed if seed is not None else int(self.np_random.integers(2**31 - 1))
        load = self.loads[int(np.random.default_rng(wl_seed).integers(len(self.loads)))]
        workload = self._workload(wl_seed, load)
        self._counter = WindowCounter()
        self.core.reset(self.system, self.models, wl_seed)
        sim = BatchingSimulation(self.system, workload, EdfH(), self.core,
                                 batch_profiles(self.system),
                                 EngineConfig(period=self.period), observers=[self._counter])
        self._sim = sim
        self._per_window = expected_per_window(workload, self.system, load, self.period)
        self._budget = np.array([self.base.qos_factor * workload.isolated_latency[m]
                                 for m in self.models])
        first = min(r.arrival for r in workload.requests)
        self._window_end = math.ceil(first / self.period) * self.period
        sim.env.run(until=self._window_end - 0.5)
        return self._obs(), {"load": load}

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Apply ``action`` for one window, run it, return the next state and its utility."""
        sim = self._sim
        if sim is None:
            raise ConfigError("step() before reset()")
        self.core.sizes, self.core.caps = decode_action(action, len(self.models), self._m,
                                                        self.max_batch)
        self._window_end += WINDOW * self.period
        env = sim.env
        done = False
        while True:
            if env.peek() == math.inf:
                done = True
                break
            if env.peek() >= self._window_end - 0.5:
                env.run(until=self._window_end - 0.5)
                break
            env.step()
        met, violated, ell = self._counter.take()
        seconds = WINDOW * self.period / 1e9
        reward = utility(met, violated, seconds, ell) * seconds / self._per_window
        info = {"met": met, "violated": violated, "vetoed": self.core.vetoed}
        obs = self._obs() if not done else np.zeros(state_size(len(self.models)), np.float32)
        return obs, float(reward), done, False, info


if ENV_ID not in gym.registry:
    gym.register(id=ENV_ID, entry_point="policies.batching.env:BatchingEnv")
