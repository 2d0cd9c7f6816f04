"""Who asks for what, when, and by when: requests and their generator.

A :class:`Request` is one inference of one model for one tenant. Its latency requirement is
``q = QoS factor x isolated latency`` (PREMA, RELMAS), its absolute deadline ``arrival + q``.
Inter-arrival times follow a Pareto distribution (RELMAS, after Google cluster traces) whose
mean is set by a load factor ``rho = arrival rate x mean isolated work / M``, where a model's
isolated work is the sum over its layers of the minimum stall-free latency over the SAs: the
busy time it needs from the system in the best case, so ``rho = 1`` saturates an ideal packing.

All times in cycles. Randomness only from the ``numpy.random.Generator`` passed in.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from mas_sim.errors import ConfigError, unknown_name
from mas_sim.profile import ModelProfile

#: RELMAS Table 2.
WORKLOAD_SETS: dict[str, tuple[str, ...]] = {
    "light": ("squeezenet", "yolo_lite", "kws"),
    "heavy": ("alexnet", "inception_v3", "resnet50", "yolov2"),
    "mixed": ("squeezenet", "yolo_lite", "kws", "alexnet", "inception_v3", "resnet50", "yolov2"),
}

#: QoS level -> multiplier of the base (QoS-Medium) factor: RELMAS, MoCA and Planaria.
QOS_LEVELS: dict[str, float] = {"low": 1.2, "medium": 1.0, "high": 0.8}

#: PREMA's priority classes (low, medium, high), drawn with equal probability.
PREMA_PRIORITIES: tuple[int, ...] = (1, 3, 9)


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


def isolated_work(profile: ModelProfile) -> float:
    """Sum over layers of the minimum stall-free latency over SAs, cycles."""
    return float(profile.latency.min(axis=1).sum())


def mean_interarrival(models: Sequence[str], profiles: Mapping[str, ModelProfile],
                      num_sas: int, load: float) -> float:
    """Mean inter-arrival time (cycles) that gives load factor ``load`` on ``num_sas`` SAs."""
    if not load > 0:
        raise ConfigError(f"load = {load!r}, expected a positive number")
    mean_work = float(np.mean([isolated_work(profiles[m]) for m in models]))
    return mean_work / (load * num_sas)


def pareto_interarrivals(rng: np.random.Generator, mean: float, shape: float,
                         size: int) -> np.ndarray:
    """``size`` Pareto (type I) inter-arrival times with the given mean (cycles) and shape > 1.

    Scale ``x_m = mean (shape - 1) / shape``; each sample is ``x_m (1 + Lomax(shape))``.
    """
    if not shape > 1:
        raise ConfigError(f"pareto_shape = {shape!r}, expected a number > 1 (finite mean)")
    scale = mean * (shape - 1.0) / shape
    return scale * (1.0 + rng.pareto(shape, size))


def generate_requests(*, models: Sequence[str], profiles: Mapping[str, ModelProfile],
                      isolated_latency: Mapping[str, float], num_sas: int, count: int,
                      load: float, qos_factor: float, rng: np.random.Generator,
                      pareto_shape: float = 2.0, tenants: int = 8,
                      priorities: Sequence[int] = PREMA_PRIORITIES,
                      start: float = 0.0) -> Iterator[Request]:
    """Yield ``count`` requests with Pareto inter-arrivals, uniform models, tenants, priorities.

    Draws happen in a fixed order per request (gap, model, tenant, priority), so the same
    generator state gives the same requests whether they are consumed lazily or all at once.
    The first request arrives at ``start + first gap``.
    """
    for name in models:
        if name not in profiles:
            raise ConfigError(unknown_name("model", name, profiles))
    if count < 0:
        raise ConfigError(f"requests = {count!r}, expected a non-negative integer")
    if tenants < 1:
        raise ConfigError(f"tenants = {tenants!r}, expected a positive integer")
    if not qos_factor > 0:
        raise ConfigError(f"qos factor = {qos_factor!r}, expected a positive number")
    mean = mean_interarrival(models, profiles, num_sas, load)
    t = start
    for job_id in range(count):
        t += float(pareto_interarrivals(rng, mean, pareto_shape, 1)[0])
        model = models[int(rng.integers(len(models)))]
        tenant = int(rng.integers(tenants))
        priority = int(priorities[int(rng.integers(len(priorities)))])
        q = qos_factor * isolated_latency[model]
        yield Request(job_id, model, t, t + q, tenant, priority, qos_factor)
