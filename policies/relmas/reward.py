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

    def __post_init__(self) -> None:
        for name in ("alpha", "beta", "gamma", "delta", "tenant_weight"):
            value = getattr(self, name)
            if not math.isfinite(value):
                raise ConfigError(f"reward {name} = {value!r}, expected a finite number")


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


def default_forecaster() -> Forecaster:
    """:func:`mas_sim.sim.forecast.forecast`, imported on first use."""
    from mas_sim.sim.forecast import forecast

    return forecast
