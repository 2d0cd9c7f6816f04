"""Driving a simulation one scheduler tick at a time, as RL training and the Gymnasium env do.

:class:`Episode` wraps :class:`mas_sim.sim.engine.Simulation` without a policy: it exposes the view
of the pending decision, and :meth:`Episode.step` submits a schedule, scores it with the RELMAS
reward, runs the engine to the next decision and reports which SJs of the old RQ are still
waiting there (the *residual RQ*, RELMAS section 4.2).

Timing. The next decision usually comes one period Ts later. The engine skips ticks at which no
SA can become free (nothing could start) and sleeps through empty stretches; in both cases the
SJs of the old RQ could not start in between, so the residual read at the next decision is the
residual at ``t + Ts`` less the SJs dropped for passing their deadline.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from mas_sim.hardware import SystemSpec
from mas_sim.sim.engine import EngineConfig, Simulation
from mas_sim.sim.jobs import Job
from mas_sim.sim.view import Schedule, SchedulerView
from mas_sim.workload import Workload
from policies.relmas.reward import (
    Forecaster,
    OutcomeReward,
    RewardConfig,
    default_forecaster,
    tick_reward,
)

IntArray = npt.NDArray[np.int64]

#: Layer indices stay below this in the (job, layer) keys used to match SJs across ticks.
_LAYER_RADIX = 1 << 24


@dataclass
class Outcomes:
    """Counts of ended requests (an engine observer)."""

    met: int = 0
    missed: int = 0
    dropped: int = 0

    def job_ended(self, job: Job, now: float) -> None:
        """Count ``job`` under its final status."""
        setattr(self, job.status, getattr(self, job.status) + 1)

    @property
    def ended(self) -> int:
        """Requests ended so far."""
        return self.met + self.missed + self.dropped

    @property
    def sla_satisfaction(self) -> float:
        """Met / ended (0 when nothing ended)."""
        return self.met / self.ended if self.ended else 0.0


class _Ended:
    """Requests that ended since it was last emptied (an engine observer): (job id, met)."""

    def __init__(self) -> None:
        self.jobs: list[tuple[int, bool]] = []

    def job_ended(self, job: Job, now: float) -> None:
        self.jobs.append((job.job_id, job.status == "met"))


@dataclass(frozen=True, eq=False)
class Step:
    """What one decision led to."""

    view: SchedulerView
    """The RQ decided on, at time t."""
    schedule: Schedule
    """The decision."""
    reward: float
    """Reward r_t of the decision (RELMAS's or the outcome reward, see :mod:`.reward`)."""
    next_view: SchedulerView | None
    """The next decision's full RQ (residual + new arrivals), or None when the run is over."""
    residual: IntArray
    """Rows of ``next_view`` holding SJs of ``view`` (increasing; empty when ``next_view`` is
    None)."""

    @property
    def done(self) -> bool:
        """True when the simulation has ended."""
        return self.next_view is None


def sj_keys(view: SchedulerView) -> IntArray:
    """One integer per SJ identifying (job, layer) across ticks."""
    return view.job_id * _LAYER_RADIX + view.layer_index


def residual_rows(view: SchedulerView, next_view: SchedulerView) -> IntArray:
    """Rows of ``next_view`` whose SJ was already in ``view`` (neither started nor dropped)."""
    # A sorted lookup: np.isin's general path costs several times more on queues this small.
    before = np.sort(sj_keys(view))
    if before.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    keys = sj_keys(next_view)
    at = np.minimum(np.searchsorted(before, keys), before.shape[0] - 1)
    return np.flatnonzero(before[at] == keys).astype(np.int64)


@dataclass(eq=False)
class Episode:
    """One simulation run driven decision by decision (see the module docstring)."""

    system: SystemSpec
    workload: Workload
    period: float
    forecaster: Forecaster | None = None
    """Projected finish times for the reward; default :func:`mas_sim.sim.forecast.forecast`."""
    reward_config: RewardConfig = field(default_factory=RewardConfig)
    outcomes: Outcomes = field(default_factory=Outcomes)
    sim: Simulation = field(init=False)
    view: SchedulerView | None = field(init=False)
    """The pending decision's view; None once the run is over."""
    _outcome: OutcomeReward | None = field(init=False, repr=False)
    _ended: _Ended = field(init=False, repr=False)

    def __post_init__(self) -> None:
        observers: list[object] = [self.outcomes]
        self._outcome = None
        self._ended = _Ended()
        if self.reward_config.kind == "outcome":
            self._outcome = OutcomeReward(self.reward_config.outcome_slack)
            observers.append(self._ended)
        self.sim = Simulation(self.system, self.workload, None, EngineConfig(period=self.period),
                              observers=observers)
        if self.forecaster is None:
            self.forecaster = default_forecaster()
        self.view = self.sim.next_decision()

    @property
    def done(self) -> bool:
        """True when no decision is pending (the run is over)."""
        return self.view is None

    def step(self, schedule: Schedule) -> Step:
        """Submit ``schedule`` for the pending view, score it, advance to the next decision."""
        view = self.view
        if view is None:
            raise RuntimeError("the episode is over")
        assert self.forecaster is not None
        finish = self.forecaster(view, schedule)
        outcome = self._outcome
        if outcome is None:
            reward = tick_reward(view, finish, self.reward_config)
        else:
            reward = outcome.decided(view, finish)
        self.sim.submit(schedule)
        nxt = self.sim.next_decision()
        self.view = nxt
        if outcome is not None:
            reward += sum(outcome.ended(job, met) for job, met in self._ended.jobs)
            self._ended.jobs.clear()
        rows = residual_rows(view, nxt) if nxt is not None else np.zeros(0, dtype=np.int64)
        return Step(view, schedule, reward, nxt, rows)
