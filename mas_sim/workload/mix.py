"""Who asks for what: drawing each request's tenant and model.

:class:`RequestMix` holds the scenario's models (with weights), its tenants and their mixes, and
draws ``(tenant, model)`` per request from a ``numpy.random.Generator``. Two draw orders:

- **plain** (no :class:`~.tenants.TenantSet`, or tenants that all share the scenario's mix at
  equal rates): the model first (uniform over the models by ``rng.integers``, the generator's
  historical draw, or by weight), then a uniform tenant. Adding hit-rate targets to such tenants
  changes no request.
- **per tenant**: the tenant first, by rate, then the model from the tenant's own mix.

A weighted model draw is the inverse CDF of one uniform number over the models sorted by isolated
work (lightest first); a trace may supply that number instead of the generator (its token counts'
quantile, :mod:`.trace`), so bigger requests get heavier models with the same marginal mix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from mas_sim.core.errors import ConfigError
from mas_sim.workload.tenants import TenantSet


class RequestMix:
    """Draws ``(tenant, model)`` per request (see the module docstring)."""

    def __init__(self, models: Sequence[str], work: Mapping[str, float],
                 weights: Sequence[float] | None = None,
                 tenants: int | TenantSet = 8) -> None:
        """``models``: the scenario's models; ``work``: isolated work of every model a request may
        name (cycles); ``weights``: the scenario's mix (default equal); ``tenants``: a count or
        the tenants."""
        if not models:
            raise ConfigError("the workload has no model")
        if isinstance(tenants, int) and (isinstance(tenants, bool) or tenants < 1):
            raise ConfigError(f"tenants = {tenants!r}, expected a positive integer")
        self.models = tuple(models)
        self.weights = None if weights is None else tuple(float(w) for w in weights)
        self.work = dict(work)
        self.tenants = tenants if isinstance(tenants, TenantSet) else None
        self.num_tenants = len(tenants) if isinstance(tenants, TenantSet) else tenants
        self.plain = self.tenants is None or self.tenants.plain
        if self.plain:
            self._cdfs = [self._cdf(tuple(zip(self.models, self.weights or [1.0] * len(models),
                                              strict=True)))]
        else:
            assert self.tenants is not None
            self._cdfs = [self._cdf(t.weights(i, self.models, self.weights))
                          for i, t in enumerate(self.tenants.tenants)]
            self._tenant_cdf = np.cumsum(self.tenants.shares)

    def _cdf(self, mix: Sequence[tuple[str, float]]) -> tuple[list[str], np.ndarray]:
        order = sorted(mix, key=lambda p: (self.work[p[0]], p[0]))
        weights = np.array([w for _, w in order], dtype=np.float64)
        return [m for m, _ in order], np.cumsum(weights / weights.sum())

    @staticmethod
    def _invert(cdf: tuple[list[str], np.ndarray], u: float) -> str:
        names, cum = cdf
        return names[min(int(np.searchsorted(cum, u, side="right")), len(names) - 1)]

    def draw(self, rng: np.random.Generator, *, tenant: int | None = None,
             model: str | None = None, u: float | None = None) -> tuple[int, str]:
        """``(tenant, model)`` of one request; ``tenant`` / ``model`` given are kept (a trace's
        columns), ``u`` in [0, 1) replaces the uniform number of a weighted model draw."""
        if self.plain:
            if model is None:
                if u is None and self.weights is None:
                    model = self.models[int(rng.integers(len(self.models)))]
                else:
                    model = self._invert(self._cdfs[0], float(rng.random()) if u is None else u)
            if tenant is None:
                tenant = int(rng.integers(self.num_tenants))
            return tenant, model
        if tenant is None:
            tenant = min(int(np.searchsorted(self._tenant_cdf, rng.random(), side="right")),
                         self.num_tenants - 1)
        if model is None:
            model = self._invert(self._cdfs[tenant], float(rng.random()) if u is None else u)
        return tenant, model

    def mean_work(self) -> float:
        """Expected isolated work of one request, cycles (sets the arrival rate of a load)."""
        if self.plain and self.weights is None:  # the historical expression, bit for bit
            return float(np.mean([self.work[m] for m in self.models]))
        if self.plain:
            names, cum = self._cdfs[0]
            probs = np.diff(cum, prepend=0.0)
            return float(sum(p * self.work[m] for m, p in zip(names, probs, strict=True)))
        assert self.tenants is not None
        total = 0.0
        for share, (names, cum) in zip(self.tenants.shares, self._cdfs, strict=True):
            probs = np.diff(cum, prepend=0.0)
            total += float(share) * float(sum(p * self.work[m]
                                              for m, p in zip(names, probs, strict=True)))
        return total

    def target(self, tenant: int, model: str) -> float | None:
        """The hit-rate target of ``tenant`` for ``model`` (None without one)."""
        return None if self.tenants is None else self.tenants.target(tenant, model)

    def all_models(self) -> tuple[str, ...]:
        """Every model a drawn request may name."""
        names: dict[str, None] = {}
        for cdf_names, _ in self._cdfs:
            for m in cdf_names:
                names.setdefault(m)
        return tuple(names)
