"""A Gymnasium environment of online scheduling: one step = one scheduler tick.

Importing this module registers ``"mas_sim/Scheduling-v0"``::

    import gymnasium as gym
    import policies.relmas.env  # registers the id
    env = gym.make("mas_sim/Scheduling-v0", workload="light", requests=50)

Spaces (``F = 4 + 2M`` features, ``G = 1 + M`` action values, ``M`` SAs):

- observation: ``Dict(rq=Box(0, OBS_HIGH, (max_rq + 1, F)), mask=MultiBinary(max_rq + 1))``; row 0
  of ``rq`` is the RELMAS primer (the cycles until each SA is free), rows ``1..R`` the RQ's SJs in
  deadline order (:mod:`policies.relmas.encoding`), the rest zero; ``mask`` marks valid rows.
- action: ``Box(-1, 1, (max_rq, G))``; row ``i`` is SJ ``i``'s priority and M SA scores (SA =
  argmax). Rows beyond the RQ are ignored.
- reward: the RELMAS reward of the tick (:func:`policies.relmas.reward.tick_reward`) with the
  SJs' finish times projected under the schedule by :func:`mas_sim.sim.forecast.forecast`.
- ``terminated`` when the simulation is over; never ``truncated`` (wrap the env in
  ``TimeLimit`` for a step budget). An RQ longer than ``max_rq`` is *clipped*, not truncated:
  the first ``max_rq`` SJs (the most urgent) are observed and decided by the agent, the rest get
  the tail rule of :func:`policies.relmas.encoding.tail_schedule`; ``info["rq_size"]`` tells.
- ``info["residual_rq"]``: the encoded residual RQ (the SJs of the previous RQ still waiting, SA
  state now), the ``s_{t+1}`` RELMAS stores in its replay buffer.

``reset(seed=s)`` builds a fresh workload from ``s`` (the scenario's own seed). Needs the ``rl``
extra (gymnasium).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from mas_sim.core.errors import ConfigError, MissingExtraError
from mas_sim.hardware import SystemSpec
from mas_sim.sim.view import Schedule, SchedulerView
from mas_sim.workload import Workload

try:
    import gymnasium as gym
    from gymnasium import spaces
except ImportError:  # pragma: no cover - depends on the installation
    raise MissingExtraError("the Gymnasium environment", "rl", "gymnasium") from None

from policies.relmas.encoding import (
    DEFAULT_MAX_RQ,
    Normalisation,
    decode,
    encode,
    num_actions,
    num_features,
)
from policies.relmas.reward import Forecaster, RewardConfig
from policies.relmas.rollout import Episode

ENV_ID = "mas_sim/Scheduling-v0"
#: Upper bound of the observation Box (features are clipped to it; Gymnasium's checker rejects
#: infinite bounds). Time features are ``log1p(t / Ts)``, so 1e6 is never reached in practice.
OBS_HIGH = 1e6

Obs = dict[str, np.ndarray]


class SchedulingEnv(gym.Env[Obs, np.ndarray]):
    """Online scheduling of a workload on a system, one scheduler tick per step.

    ``scenario(seed) -> Workload`` builds an episode's workload; by default
    :func:`mas_sim.workload.scenario.build_workload` with ``workload``, ``qos``, ``requests``,
    ``load`` and ``period`` (None: the scenario defaults). ``period`` is in cycles.
    """

    metadata = {"render_modes": []}  # noqa: RUF012 (gymnasium declares it an instance variable)

    def __init__(self, system: SystemSpec | None = None, workload: str = "mixed",
                 qos: str = "medium", requests: int = 100, *, max_rq: int = DEFAULT_MAX_RQ,
                 period: float | None = None, load: float | None = None,
                 scenario: Callable[[int], Workload] | None = None,
                 forecaster: Forecaster | None = None,
                 reward_config: RewardConfig | None = None) -> None:
        if not isinstance(max_rq, int) or max_rq < 1:
            raise ConfigError(f"max_rq = {max_rq!r}, expected a positive integer")
        self.system = system or SystemSpec.paper()
        if period is None:
            from mas_sim.workload.scenario import DEFAULT_PERIOD

            period = DEFAULT_PERIOD
        self.period = float(period)
        self.max_rq = max_rq
        self.forecaster = forecaster
        self.reward_config = reward_config or RewardConfig()
        if scenario is None:
            from mas_sim.workload.scenario import DEFAULT_LOAD, Scenario, build_workload

            system_ = self.system
            base = Scenario(workload=workload, qos=qos, requests=requests,
                            load=DEFAULT_LOAD if load is None else load, period=self.period)

            def scenario(seed: int) -> Workload:
                return build_workload(system_, replace(base, seed=seed))

        self.scenario = scenario
        probe = scenario(0)
        self.normalisation = Normalisation.for_profiles(
            probe.profiles, time_unit=self.period, dram_bandwidth=self.system.dram_bandwidth)
        m = self.system.num_sas
        self._f, self._g = num_features(m), num_actions(m)
        self.observation_space = spaces.Dict({  # type: ignore[assignment]
            "rq": spaces.Box(0.0, OBS_HIGH, shape=(max_rq + 1, self._f), dtype=np.float32),
            "mask": spaces.MultiBinary(max_rq + 1),
        })
        self.action_space = spaces.Box(-1.0, 1.0, shape=(max_rq, self._g), dtype=np.float32)
        self._episode: Episode | None = None

    def observe(self, view: SchedulerView | None) -> Obs:
        """The observation of ``view`` (all zero for None), as
        :meth:`step` returns it: for policies trained on this env and run in a simulation."""
        return self._obs(view)

    def schedule_of(self, action: np.ndarray, view: SchedulerView) -> Schedule:
        """The schedule of ``action`` on ``view``, as :meth:`step` applies it."""
        a = np.asarray(action, dtype=np.float32)
        return Schedule(*decode(a[:min(view.size, self.max_rq)], view))

    def _obs(self, view: SchedulerView | None, rows: np.ndarray | None = None) -> Obs:
        rq = np.zeros((self.max_rq + 1, self._f), dtype=np.float32)
        mask = np.zeros(self.max_rq + 1, dtype=np.int8)
        if view is not None:
            x = encode(view, self.normalisation, rows, max_rq=self.max_rq)
            rq[:x.shape[0]] = np.minimum(x, OBS_HIGH)
            mask[:x.shape[0]] = 1
        return {"rq": rq, "mask": mask}

    def _info(self, view: SchedulerView | None) -> dict[str, Any]:
        ep = self._episode
        assert ep is not None
        o = ep.outcomes
        return {"now": ep.sim.now, "rq_size": 0 if view is None else view.size,
                "met": o.met, "missed": o.missed, "dropped": o.dropped}

    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[Obs, dict[str, Any]]:
        """Start an episode on the workload of ``seed`` (drawn from the env's generator if None)."""
        super().reset(seed=seed)
        wl_seed = seed if seed is not None else int(self.np_random.integers(2**31 - 1))
        self._episode = Episode(self.system, self.scenario(wl_seed), self.period,
                                self.forecaster, self.reward_config)
        view = self._episode.view
        return self._obs(view), self._info(view)

    def step(self, action: np.ndarray) -> tuple[Obs, float, bool, bool, dict[str, Any]]:
        """Apply ``action`` to the pending RQ, run one period, return the next RQ."""
        ep = self._episode
        if ep is None:
            raise ConfigError("step() before reset()")
        a = np.asarray(action, dtype=np.float32)
        if a.shape != self.action_space.shape:
            raise ConfigError(f"action has shape {a.shape}, expected {self.action_space.shape}")
        view = ep.view
        if view is None:  # an episode with nothing to decide: over at once
            return self._obs(None), 0.0, True, False, self._info(None)
        step = ep.step(self.schedule_of(a, view))
        info = self._info(step.next_view)
        if step.next_view is not None:
            info["residual_rq"] = encode(step.next_view, self.normalisation, step.residual,
                                         max_rq=self.max_rq)
        return self._obs(step.next_view), float(step.reward), step.done, False, info


if ENV_ID not in gym.registry:
    gym.register(id=ENV_ID, entry_point="policies.relmas.env:SchedulingEnv")
