"""Inter-arrival times and the load factor.

Inter-arrival times follow a Pareto distribution (RELMAS, after Google cluster traces) whose
mean is set by a load factor ``rho = arrival rate x mean isolated work / M``, where a model's
isolated work is the sum over its layers of the minimum stall-free latency over the SAs: the
busy time it needs from the system in the best case, so ``rho = 1`` saturates an ideal packing.
Times in cycles; randomness only from the ``numpy.random.Generator`` passed in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from mas_sim.core.errors import ConfigError
from mas_sim.hardware.profile import ModelProfile


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
