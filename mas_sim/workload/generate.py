"""Who asks for what, when, and by when: the request generator.

A :class:`~mas_sim.sim.requests.Request` is one inference of one model for one tenant. Its
latency requirement is ``q = QoS factor x isolated latency`` (PREMA, RELMAS), its absolute
deadline ``arrival + q``. Arrivals: :mod:`.arrivals`.

All times in cycles. Randomness only from the ``numpy.random.Generator`` passed in.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import numpy as np

from mas_sim.core.errors import ConfigError, unknown_name
from mas_sim.hardware.profile import ModelProfile
from mas_sim.sim.requests import Request
from mas_sim.workload.arrivals import mean_interarrival, pareto_interarrivals
from mas_sim.workload.sets import PREMA_PRIORITIES


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
