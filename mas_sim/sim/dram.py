"""Shared DRAM bandwidth: the arbiter that stretches running sub-jobs when demand exceeds supply.

Timing model. A sub-job (SJ) ``l`` that runs alone needs ``c_l`` cycles (its stall-free latency)
and streams ``b_l`` bytes/cycle from DRAM. While several SJs run, a sharing rule gives each a
*rate* ``r_l`` in (0, 1]: the SJ advances ``r_l`` stall-free cycles per cycle and draws
``r_l * b_l`` bytes/cycle, so the DRAM bandwidth ``B`` is never exceeded. RELMAS's rule is
:class:`ProportionalSharing`: with ``D = sum of b`` over running SJs, every SJ runs at
``min(1, B / D)`` -- the same number of stall cycles for all of them.

Rates change only when an SJ starts or finishes. The arbiter therefore keeps each running SJ's
remaining stall-free work and one pending wake-up, at the earliest projected finish; a start or
finish in between re-computes the rates and replaces the wake-up (the old one is ignored when it
fires). No process is interrupted.

Floating point. Times are float cycles and runs reach 1e10 cycles and beyond, where one ulp is
about 2e-6 cycles. The SJ the wake-up was scheduled for is completed when it fires whatever its
float residue; other SJs complete with it when their remaining time is below the clock's
resolution at that instant. So time always advances and a run never spins at one instant.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import simpy
from numba.extending import register_jitable

#: Relative residue under which a transfer counts as done (a few ulps of its own work).
WORK_EPSILON = 1e-12


@register_jitable
def proportional_rate(total_demand: float, bandwidth: float) -> float:
    """RELMAS's rate for every running SJ: 1 while the summed stall-free demands ``D`` fit in
    the bandwidth ``B``, else ``B / D`` (bytes/cycle both).

    The one definition of the rule: the arbiter below, the forecast and MAGMA's fitness call it
    (compiled into their kernels; each sums the demands in its own order, see their modules).
    """
    return 1.0 if total_demand <= bandwidth else bandwidth / total_demand


class DramClient(Protocol):
    """What a sharing rule may know about the request behind a running SJ."""

    @property
    def priority(self) -> int:
        """Priority class of the request (larger = more important)."""

    @property
    def deadline(self) -> float:
        """Absolute deadline of the request, cycles."""

    @property
    def remaining_work(self) -> float:
        """Lower bound of the request's remaining work (min-latency sum), cycles."""

    @property
    def isolated_latency(self) -> float:
        """Isolated latency of the request, cycles."""


class BandwidthSharing(Protocol):
    """A rule that splits the DRAM bandwidth among running SJs."""

    name: str

    def rates(self, now: float, demands: Sequence[float], clients: Sequence[DramClient],
              bandwidth: float) -> Sequence[float]:
        """Rate in (0, 1] for each running SJ, such that ``sum(rate * demand) <= bandwidth``.

        ``demands`` are the SJs' stall-free bandwidths, bytes/cycle; ``now`` in cycles.
        """


@dataclass(frozen=True)
class ProportionalSharing:
    """RELMAS's rule: every running SJ runs at ``min(1, B / D)`` (equal stall cycles)."""

    name: str = "proportional"

    def rates(self, now: float, demands: Sequence[float], clients: Sequence[DramClient],
              bandwidth: float) -> list[float]:
        """Equal rates ``min(1, B / D)``."""
        return [proportional_rate(sum(demands), bandwidth)] * len(demands)


class Transfer:
    """One running SJ as the arbiter sees it (mutable; owned by the arbiter)."""

    __slots__ = ("client", "demand", "done", "rate", "remaining", "work")

    def __init__(self, client: DramClient, work: float, demand: float, done: simpy.Event) -> None:
        self.client = client
        self.work = work
        """Stall-free latency, cycles."""
        self.demand = demand
        """Stall-free bandwidth, bytes/cycle."""
        self.remaining = work
        """Stall-free cycles still to run."""
        self.rate = 1.0
        """Current progress rate in (0, 1]."""
        self.done = done
        """Triggered (value: finish time) when the SJ completes."""

    def time_left(self) -> float:
        """Cycles until completion at the current rate."""
        return self.remaining / self.rate


class DramArbiter:
    """Tracks running SJs, their rates under a sharing rule, and one wake-up at the next finish."""

    def __init__(self, env: simpy.Environment, bandwidth: float,
                 sharing: BandwidthSharing | None = None,
                 on_rates: Callable[[float, Sequence[Transfer]], None] | None = None) -> None:
        self.env = env
        self.bandwidth = bandwidth
        """DRAM bandwidth B, bytes/cycle."""
        self.sharing = sharing
        """None means :class:`ProportionalSharing`, computed inline (the hot path)."""
        self.running: list[Transfer] = []
        self._on_rates = on_rates
        self._updated_at = env.now
        self._wakeup_token = 0
        self._wakeup_target: Transfer | None = None

    def start(self, client: DramClient, work: float, demand: float) -> Transfer:
        """Start an SJ of ``work`` stall-free cycles needing ``demand`` bytes/cycle, now.

        Its ``done`` event succeeds with the finish time when the SJ completes.
        """
        self._advance()
        transfer = Transfer(client, work, demand, self.env.event())
        self.running.append(transfer)
        self._reschedule()
        return transfer

    def sync(self) -> None:
        """Bring every running SJ's ``remaining`` up to now (before reading it)."""
        self._advance()

    def _advance(self) -> None:
        """Progress every running SJ to ``now`` at the rates in force since the last change."""
        now = self.env.now
        elapsed = now - self._updated_at
        if elapsed > 0.0:
            for t in self.running:
                t.remaining -= t.rate * elapsed
        self._updated_at = now

    def _set_rates(self) -> None:
        running = self.running
        if self.sharing is None:
            total = 0.0
            for t in running:
                total += t.demand
            rate = proportional_rate(total, self.bandwidth)
            for t in running:
                t.rate = rate
        else:
            rates = self.sharing.rates(self.env.now, [t.demand for t in running],
                                       [t.client for t in running], self.bandwidth)
            for t, r in zip(running, rates, strict=True):
                if not 0.0 < r <= 1.0:
                    raise ValueError(f"sharing rule {self.sharing.name!r} gave rate {r!r}, "
                                     "expected a number in (0, 1]")
                t.rate = r
        if self._on_rates is not None:
            self._on_rates(self.env.now, running)

    def _reschedule(self) -> None:
        """Recompute rates and replace the pending wake-up by one at the earliest finish."""
        self._wakeup_token += 1
        if not self.running:
            self._wakeup_target = None
            return
        self._set_rates()
        first = self.running[0]
        soonest = first.remaining / first.rate
        for t in self.running:
            left = t.remaining / t.rate
            if left < soonest:
                first, soonest = t, left
        self._wakeup_target = first
        token = self._wakeup_token
        wakeup = self.env.timeout(soonest)
        wakeup.callbacks.append(lambda _event: self._on_wakeup(token))

    def _on_wakeup(self, token: int) -> None:
        if token != self._wakeup_token:
            return  # superseded by a later start or finish
        self._advance()
        now = self.env.now
        target = self._wakeup_target
        finished = [t for t in self.running
                    if t is target or t.remaining <= WORK_EPSILON * t.work
                    or now + t.time_left() <= now]
        self.running = [t for t in self.running if t not in finished]
        for t in finished:
            t.remaining = 0.0
        self._reschedule()
        for t in finished:
            t.done.succeed(now)
