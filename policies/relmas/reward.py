"""RELMAS's per-tick reward (section 4.2), the one implementation the trainer and the env share.

For the SJs ``l`` of the ready queue at tick ``t`` and their finish times ``f_l`` projected under
the tick's schedule (cycles)::

    r_t = sum_l D_l * (A_l + gamma * ((a_l + q_l) - f_l) / q_l)
    D_l = 1 if f_l < t + Ts else delta       (events beyond the next period count less)
    A_l = alpha if f_l <= a_l + q_l else -beta  (deadline hit / miss)

``a_l + q_l`` is the request's absolute deadline and ``q_l = deadline - arrival`` its latency
requirement (cycles). The projection is :func:`mas_sim.sim.forecast.forecast`: for SJs that start
within the period it equals what the engine will do (until new arrivals change the plan); for
the others it is the projection under the current schedule, as the paper asks.

Beyond the paper, for tenant-wise QoS (``RewardConfig.tenant_weight`` > 0): each SJ's term is
multiplied by ``w_k = max(0, 1 + tenant_weight x d_k)`` with ``d_k`` the hit-rate deficit of its
tenant ``k`` in the view (mean target minus hit rate over the tenant's recent requests): the
per-tenant misses are weighted dynamically by how far each tenant is from its promise, the
closed-loop reward shaping RELMAS's conclusion points to.

Beyond the paper, ``RewardConfig.kind = "outcome"`` (issue 19): the paper's sum counts every SJ
once per tick it waits and scores SJs, not requests, so an episode's total ranks schedules
differently from SLA satisfaction (RESULTS.md section 8b). The *outcome* reward scores requests
instead. Each request ``j`` has an outlook ``o_j`` in [-1, 1]: while it has SJs in the RQ, from
its projected finish ``F_j`` (the latest projected finish of its SJs in the view)::

    o_j = clip(k (a_j + q_j - F_j) / q_j, -1, 1)      (k = outcome_slack; k = 0: +1 hit, -1 miss)

and once it has ended, +1 (met) or -1 (missed or dropped). ``r_t`` is the sum of the changes of
the outlooks from the previous tick's decision to this one (new requests start at 0) plus the
changes of the requests that end during the period. The changes telescope: an episode's rewards
add up to ``met - missed - dropped`` exactly, so the undiscounted return ranks schedules as SLA
satisfaction does, while each tick is credited with how its decision moved the projections (a
potential-based shaping, Ng et al. 1999, with the projection as the potential).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mas_sim.core.errors import ConfigError
from mas_sim.sim.view import Schedule, SchedulerView

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: What a tick's reward measures (:attr:`RewardConfig.kind`).
REWARD_KINDS: tuple[str, ...] = ("paper", "outcome")
Forecaster = Callable[[SchedulerView, Schedule], FloatArray]
"""``forecast(view, schedule) -> [R]`` projected absolute finish time of every SJ, cycles."""


@dataclass(frozen=True)
class RewardConfig:
    """Reward coefficients (RELMAS section 5: the values used in all its evaluations)."""

    alpha: float = 0.10
    """Reward for an SJ projected to finish by its request's deadline."""
    beta: float = 0.11
    """Penalty for an SJ projected to finish after its request's deadline."""
    gamma: float = 0.05
    """Weight of the normalised slack ``(deadline - f) / q``."""
    delta: float = 0.01
    """Weight of SJs projected to finish after the next tick (``f >= t + Ts``)."""
    tenant_weight: float = 0.0
    """Beyond the paper (tenant-wise QoS): each SJ's term is multiplied by
    ``max(0, 1 + tenant_weight x d)``, ``d`` its tenant's hit-rate deficit (``view.tenant_deficit``
    clipped to [-1, 1]): hits and misses of tenants below their target count more, those of
    tenants above it less; 0 is the paper's reward."""
    kind: str = "paper"
    """``paper``: the per-tick sum over the RQ's SJs above (alpha .. tenant_weight apply).
    ``outcome`` (beyond the paper): the change of each request's projected outcome, whose sum
    over an episode is met - missed - dropped (module docstring)."""
    outcome_slack: float = 4.0
    """``outcome`` reward: k, the slope of a request's outlook in its projected slack relative
    to its latency requirement (4: a request projected to finish a quarter of its requirement
    early counts +1); 0 scores only projected hit (+1) or miss (-1)."""

    def __post_init__(self) -> None:
        for name in ("alpha", "beta", "gamma", "delta", "tenant_weight", "outcome_slack"):
            value = getattr(self, name)
            if not math.isfinite(value):
                raise ConfigError(f"reward {name} = {value!r}, expected a finite number")
        if self.kind not in REWARD_KINDS:
            raise ConfigError(f"reward kind = {self.kind!r}, expected one of "
                              f"{list(REWARD_KINDS)}")
        if self.outcome_slack < 0:
            raise ConfigError(f"reward outcome_slack = {self.outcome_slack!r}, expected a "
                              "number >= 0")
        if self.kind == "outcome" and self.tenant_weight:
            raise ConfigError("reward tenant_weight applies to the paper's reward only "
                              "(kind = 'paper')")


def tick_reward(view: SchedulerView, finish: npt.ArrayLike,
                config: RewardConfig = RewardConfig()) -> float:
    """``r_t`` for the SJs of ``view`` with projected finish times ``finish`` ([R], cycles).

    A request with ``q = 0`` (deadline at arrival) counts its slack against 1 cycle. An SJ the
    forecast never starts (``inf``, possible only with strict-order SAs) counts as a miss beyond
    the period without a slack term: ``delta x -beta``.
    """
    f = np.asarray(finish, dtype=np.float64)
    if f.shape != (view.size,):
        raise ValueError(f"finish has shape {f.shape}, expected ({view.size},)")
    deadline = view.deadline
    q = np.maximum(deadline - view.arrival, 1.0)
    finite = np.isfinite(f)
    hit = np.where(f <= deadline, config.alpha, -config.beta)
    weight = np.where(f < view.now + view.period, 1.0, config.delta)
    if config.tenant_weight:
        weight = weight * np.maximum(
            0.0, 1.0 + config.tenant_weight * np.clip(view.tenant_deficit, -1.0, 1.0))
    slack = np.where(finite, (deadline - np.where(finite, f, 0.0)) / q, 0.0)
    return float(np.sum(weight * (hit + config.gamma * slack)))


def request_outlook(view: SchedulerView, finish: npt.ArrayLike,
                    slack: float = 4.0) -> tuple[IntArray, FloatArray]:
    """Job ids of the view's requests (increasing) and their outlooks ``o_j`` in [-1, 1] under
    the projected SJ finishes ``finish`` ([R], cycles; module docstring); ``slack`` is k."""
    f = np.asarray(finish, dtype=np.float64)
    if f.shape != (view.size,):
        raise ValueError(f"finish has shape {f.shape}, expected ({view.size},)")
    jobs, rows = np.unique(view.job_id, return_inverse=True)
    latest = np.full(jobs.size, -np.inf)
    np.maximum.at(latest, rows, f)
    deadline = np.empty(jobs.size)
    deadline[rows] = view.deadline
    if not slack:
        return jobs.astype(np.int64), np.where(latest <= deadline, 1.0, -1.0)
    q = np.empty(jobs.size)
    q[rows] = np.maximum(view.deadline - view.arrival, 1.0)
    with np.errstate(invalid="ignore"):  # a never-started SJ: inf finish, outlook -1
        outlook = np.clip(slack * (deadline - latest) / q, -1.0, 1.0)
    return jobs.astype(np.int64), np.where(np.isfinite(latest), outlook, -1.0)


class OutcomeReward:
    """The ``outcome`` reward of one episode (module docstring): remembers each live request's
    last outlook."""

    def __init__(self, slack: float = 4.0) -> None:
        self.slack = slack
        self.outlook: dict[int, float] = {}
        """Last outlook of each request seen and not yet ended, by job id."""

    def decided(self, view: SchedulerView, finish: npt.ArrayLike) -> float:
        """The change of the view's requests' outlooks under this tick's projected finishes."""
        jobs, outlook = request_outlook(view, finish, self.slack)
        last = self.outlook
        change = 0.0
        for job, value in zip(jobs.tolist(), outlook.tolist(), strict=True):
            change += value - last.get(job, 0.0)
            last[job] = value
        return change

    def ended(self, job_id: int, met: bool) -> float:
        """The change of a request that ended (its outlook becomes +1 or -1)."""
        return (1.0 if met else -1.0) - self.outlook.pop(job_id, 0.0)


def default_forecaster() -> Forecaster:
    """:func:`mas_sim.sim.forecast.forecast`, imported on first use."""
    from mas_sim.sim.forecast import forecast

    return forecast
