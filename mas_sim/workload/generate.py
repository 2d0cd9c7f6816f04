"""Who asks for what, when, and by when: the request generator.

A :class:`~mas_sim.sim.requests.Request` is one inference of one model for one tenant. Its
latency requirement is ``q = QoS factor x isolated latency`` (PREMA, RELMAS), its absolute
deadline ``arrival + q``; its hit-rate target is its tenant's for its model (:mod:`.tenants`).
Arrivals: :mod:`.arrivals` (synthetic) and :mod:`.trace` (recorded); tenants and models:
:mod:`.mix`.

All times in cycles. Randomness only from the ``numpy.random.Generator`` passed in.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import numpy as np

from mas_sim.core.errors import ConfigError, unknown_name
from mas_sim.hardware.profile import ModelProfile
from mas_sim.sim.requests import Request
from mas_sim.workload.arrivals import ArrivalProcess, Pareto, isolated_work
from mas_sim.workload.mix import RequestMix
from mas_sim.workload.sets import PREMA_PRIORITIES
from mas_sim.workload.tenants import TenantSet


def generate_requests(*, models: Sequence[str], profiles: Mapping[str, ModelProfile],
                      isolated_latency: Mapping[str, float], num_sas: int, count: int,
                      load: float, qos_factor: float, rng: np.random.Generator,
                      pareto_shape: float = 2.0, tenants: int | TenantSet = 8,
                      priorities: Sequence[int] = PREMA_PRIORITIES,
                      start: float = 0.0, arrivals: ArrivalProcess | None = None,
                      weights: Sequence[float] | None = None) -> Iterator[Request]:
    """Yield ``count`` requests with synthetic inter-arrivals (default: Pareto of
    ``pareto_shape``), tenants and models from :class:`~.mix.RequestMix`, uniform priorities.

    ``weights`` weigh ``models`` (default: equal); ``tenants`` is a count or a
    :class:`~.tenants.TenantSet` (rates, mixes, targets). The gap's mean sets the load factor
    ``load`` for the mix's expected isolated work. Draws happen in a fixed order per request
    (gap, then the mix's tenant and model, then priority), so the same generator state gives the
    same requests whether they are consumed lazily or all at once. The first request arrives at
    ``start + first gap``.
    """
    mix = request_mix(models, profiles, weights, tenants)
    if count < 0:
        raise ConfigError(f"requests = {count!r}, expected a non-negative integer")
    if not qos_factor > 0:
        raise ConfigError(f"qos factor = {qos_factor!r}, expected a positive number")
    process = arrivals if arrivals is not None else Pareto(pareto_shape)
    if not load > 0:
        raise ConfigError(f"load = {load!r}, expected a positive number")
    mean = mix.mean_work() / (load * num_sas)
    return _requests(process, mix, mean, count, qos_factor, isolated_latency, rng, priorities,
                     start)


def _requests(process: ArrivalProcess, mix: RequestMix, mean: float, count: int,
              qos_factor: float, isolated_latency: Mapping[str, float],
              rng: np.random.Generator, priorities: Sequence[int],
              start: float) -> Iterator[Request]:
    t = start
    for job_id in range(count):
        t += process.gap(rng, mean)
        tenant, model = mix.draw(rng)
        priority = int(priorities[int(rng.integers(len(priorities)))])
        q = qos_factor * isolated_latency[model]
        yield Request(job_id, model, t, t + q, tenant, priority, qos_factor,
                      target=mix.target(tenant, model))


def request_mix(models: Sequence[str], profiles: Mapping[str, ModelProfile],
                weights: Sequence[float] | None, tenants: int | TenantSet) -> RequestMix:
    """The :class:`RequestMix` of a scenario; refuses models without a profile."""
    named = tenants.models_named() if isinstance(tenants, TenantSet) else ()
    for name in (*models, *named):
        if name not in profiles:
            raise ConfigError(unknown_name("model", name, profiles))
    if weights is not None and len(weights) != len(models):
        raise ConfigError(f"{len(weights)} weights for {len(models)} models")
    work = {name: isolated_work(p) for name, p in profiles.items()}
    return RequestMix(models, work, weights, tenants)
