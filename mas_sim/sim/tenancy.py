"""Per-tenant hit-rate deficits over a sliding window: what the engine shows policies of tenants.

A request may carry a hit-rate target (:attr:`~mas_sim.sim.requests.Request.target`: the
fraction of its tenant's requests of that model that must meet their deadline). When a request
with a target ends, :class:`TenantTracker` records (target, met) in its tenant's window, the
``window`` most recent such requests of that tenant. A tenant's **deficit** is then

    deficit = mean target over the window - fraction of the window that met its deadline

positive when the tenant is below what it was promised, negative when above, 0 before any of
its requests with a target has ended. The engine puts each row's tenant deficit and the mean
target it is measured against in the view
(:attr:`~mas_sim.sim.view.SchedulerView.tenant_deficit`, ``tenant_target``), so every policy,
learned ones included, reads the same closed-loop signal; what to do with it is the policy's.
Without targets nothing is recorded and both are 0.
"""

from __future__ import annotations

from collections import deque

from mas_sim.core.errors import ConfigError


class TenantTracker:
    """Sliding-window hit rates against targets, per tenant (module docstring)."""

    def __init__(self, window: int) -> None:
        if isinstance(window, bool) or not isinstance(window, int) or window < 1:
            raise ConfigError(f"tenant window = {window!r}, expected a positive integer "
                              "(requests per tenant)")
        self.window = window
        """Most recent ended requests (with a target) per tenant that the deficit covers."""
        self._events: dict[int, deque[tuple[float, bool]]] = {}
        self._deficit: dict[int, float] = {}
        self._target: dict[int, float] = {}
        self.active = False
        """True once a request with a target has ended."""

    def record(self, tenant: int, target: float, met: bool) -> None:
        """A request of ``tenant`` with hit-rate ``target`` ended, ``met`` or not."""
        events = self._events.get(tenant)
        if events is None:
            events = self._events[tenant] = deque(maxlen=self.window)
        events.append((target, met))
        # Summed afresh (O(window) per ended request) rather than kept as running sums, which
        # would drift with floating-point subtractions.
        target = sum(t for t, _ in events) / len(events)
        self._target[tenant] = target
        self._deficit[tenant] = target - sum(1 for _, m in events if m) / len(events)
        self.active = True

    def deficit(self, tenant: int) -> float:
        """Mean target minus hit rate over ``tenant``'s window (0 if nothing recorded)."""
        return self._deficit.get(tenant, 0.0)

    def target(self, tenant: int) -> float:
        """Mean target over ``tenant``'s window (0 if nothing recorded)."""
        return self._target.get(tenant, 0.0)
