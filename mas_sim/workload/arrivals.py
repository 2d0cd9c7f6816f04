"""Arrival processes and the load factor.

Synthetic arrivals draw one inter-arrival gap per request from an :class:`ArrivalProcess`
whose mean is set by a load factor ``rho = arrival rate x mean isolated work / M``, where a
model's isolated work is the sum over its layers of the minimum stall-free latency over the SAs:
the busy time it needs from the system in the best case, so ``rho = 1`` saturates an ideal
packing. Two processes are built in (:data:`ARRIVAL_PROCESSES`):

- ``pareto``: Pareto (type I) gaps (RELMAS, after Google cluster traces), the default;
- ``poisson``: exponential gaps, MLPerf's server scenario.

A recorded trace (:mod:`.trace`) replaces the gaps by its timestamps instead. Times in cycles;
randomness only from the ``numpy.random.Generator`` passed in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from mas_sim.core.errors import ConfigError
from mas_sim.hardware.profile import ModelProfile


def isolated_work(profile: ModelProfile) -> float:
    """Sum over layers of the minimum stall-free latency over SAs, cycles."""
    return float(profile.latency.min(axis=1).sum())


def mean_interarrival(models: Sequence[str], profiles: Mapping[str, ModelProfile],
                      num_sas: int, load: float,
                      weights: Sequence[float] | None = None) -> float:
    """Mean inter-arrival time (cycles) that gives load factor ``load`` on ``num_sas`` SAs.

    ``weights`` (default: equal) are the probabilities of ``models`` among the requests; the mean
    isolated work is the weighted mean.
    """
    if not load > 0:
        raise ConfigError(f"load = {load!r}, expected a positive number")
    work = [isolated_work(profiles[m]) for m in models]
    mean_work = float(np.mean(work)) if weights is None else float(np.average(work,
                                                                              weights=weights))
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


class ArrivalProcess(Protocol):
    """Draws inter-arrival gaps with a given mean (cycles), one per request."""

    @property
    def name(self) -> str:
        """The process's name (``Scenario.arrivals``)."""

    def gap(self, rng: np.random.Generator, mean: float) -> float:
        """One gap, cycles; exactly one call per request, in request order."""


@dataclass(frozen=True)
class Pareto:
    """Pareto (type I) gaps of the given shape (> 1): bursty, infinite variance for shape <= 2.

    Draws as :func:`pareto_interarrivals` with ``size=1``, so a default workload is the same
    request for request as before arrival processes were pluggable.
    """

    shape: float = 2.0
    """Pareto shape alpha (> 1 for a finite mean)."""
    name: str = "pareto"

    def __post_init__(self) -> None:
        if not self.shape > 1:
            raise ConfigError(f"pareto_shape = {self.shape!r}, expected a number > 1 "
                              "(finite mean)")

    def gap(self, rng: np.random.Generator, mean: float) -> float:
        """One Pareto gap with mean ``mean`` (cycles)."""
        return float(pareto_interarrivals(rng, mean, self.shape, 1)[0])


@dataclass(frozen=True)
class Poisson:
    """Exponential gaps: a Poisson process (MLPerf's server scenario), coefficient of
    variation 1."""

    name: str = "poisson"

    def gap(self, rng: np.random.Generator, mean: float) -> float:
        """One exponential gap with mean ``mean`` (cycles)."""
        return float(rng.exponential(mean))


#: Names of the synthetic arrival processes (``Scenario.arrivals``); any other value names a
#: trace (:mod:`.trace`).
ARRIVAL_PROCESSES: tuple[str, ...] = ("pareto", "poisson")


def arrival_process(name: str, *, pareto_shape: float = 2.0) -> ArrivalProcess:
    """The synthetic process called ``name`` (one of :data:`ARRIVAL_PROCESSES`)."""
    if name == "pareto":
        return Pareto(pareto_shape)
    if name == "poisson":
        return Poisson()
    raise ConfigError(f"unknown arrival process {name!r} (known: "
                      f"{', '.join(ARRIVAL_PROCESSES)}, a shipped trace or a CSV file)")
