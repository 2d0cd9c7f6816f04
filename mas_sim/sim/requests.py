"""What arrives: :class:`Request` (one inference with a deadline) and :class:`Workload` (the
requests with the cost profiles and isolated latencies of their models), the engine's input.

How requests are generated (arrival processes, scenarios, tenants) is the workload layer's
(:mod:`mas_sim.workload`), above the kernel. Times in cycles.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from mas_sim.core.errors import ConfigError
from mas_sim.hardware.profile import ModelProfile


@dataclass(frozen=True)
class Request:
    """One inference request (a job). Times in cycles."""

    job_id: int
    """Unique id, also the tie-breaker between requests with equal deadlines."""
    model: str
    """Name of the model to run (a key of the workload's profiles)."""
    arrival: float
    """Arrival time, cycles."""
    deadline: float
    """Absolute deadline ``arrival + q``, cycles."""
    tenant: int = 0
    """Tenant (user) id."""
    priority: int = 1
    """Priority class (PREMA's 1, 3, 9; larger = more important)."""
    qos: float = 1.0
    """QoS factor: the latency requirement divided by the model's isolated latency."""
    batch: int = 1
    """Inferences served by this job (adaptive batching; 1 for a plain request)."""
    target: float | None = None
    """Hit-rate target of the request's tenant for its model, in (0, 1] (None: no target): the
    fraction of such requests that must meet their deadline (tenant-wise QoS)."""

    def __post_init__(self) -> None:
        if not self.deadline >= self.arrival:
            raise ConfigError(f"request {self.job_id}: deadline {self.deadline!r} is before "
                              f"its arrival {self.arrival!r}")


@dataclass(frozen=True, eq=False)
class Workload:
    """Requests (sorted by arrival) and the cost profiles and isolated latencies of their models.

    ``requests`` may be any iterable, a generator included, so that very long runs need not hold
    every request in memory; the engine checks that arrivals do not decrease.
    """

    requests: Iterable[Request]
    """The requests, in non-decreasing order of arrival."""
    profiles: Mapping[str, ModelProfile]
    """Cost profile of every model a request may name."""
    isolated_latency: Mapping[str, float]
    """Isolated latency C_SP of every model, cycles (used by metrics and some policies)."""
