"""Forecast: where one schedule of one tick takes every sub-job, if nothing else happens.

Given a tick's :class:`~mas_sim.sim.view.SchedulerView` and a :class:`~mas_sim.sim.view.Schedule`,
:func:`forecast` replays the engine's execution model on the ready queue (RQ) alone and returns
the projected start and finish of every sub-job (SJ), in absolute cycles. Assumptions: no new
request arrives, no later tick re-plans (the schedule is followed until every SJ of the view has
run), nothing is dropped. Under those assumptions it mirrors the engine operation for operation
(same float expressions, same event order at equal times), so it agrees with the engine to
rounding; in practice that holds for the SJs that start before ``now + period`` (the next tick
re-plans, new arrivals add contention). MAGMA's fitness and RELMAS's reward use it.

Execution model (the engine's, :mod:`mas_sim.sim.engine`, :mod:`mas_sim.sim.subaccelerator`,
:mod:`mas_sim.sim.dram`):

- each SA, when idle, starts among its assigned SJs whose predecessors have all finished the one
  with the highest priority (ties: lower RQ index); with ``strict_order`` it waits for its
  highest-priority SJ instead (``EngineConfig.work_conserving=False``);
- running SJs share the DRAM: under proportional sharing all run at ``min(1, B / D)`` with ``D``
  the sum of their stall-free demands; rates change only at starts and finishes;
- at equal times, events follow the engine: a finish batch completes in start order, each SA
  handles its finish (waking the SAs of successors that became ready) then picks its next SJ,
  and woken SAs pick after that, in the order they were woken.

Reconstruction of what the view does not say directly:

- *Running SJs.* SA ``m`` is busy if ``sa_busy_for[m] > 0`` or ``running_bandwidth[m] > 0``. Its
  SJ is a transfer of demand ``running_bandwidth[m]`` and remaining stall-free work
  ``sa_busy_for[m] * r0``, with ``r0`` the rate in force at the tick (``min(1, B / sum of
  running_bandwidth)`` under proportional sharing: the engine's ``busy_for`` is
  ``remaining / r0``). The engine processes simultaneous finishes in start order, which the view
  does not give: initially running SJs are taken in SA order (ahead of every SJ the forecast
  starts). This matters only for finishes at exactly the same instant.
- *Predecessors outside the RQ* are running SJs; ``release[i]`` is the projected finish (at the
  tick's rates) of the latest of them, ``now + sa_busy_for[m]`` computed by the same expression.
  Under proportional sharing every running SJ has the same rate at all times, so the one with the
  latest projected finish really finishes last: SJ ``i`` with ``release[i] > now`` waits for the
  transfer of the SA ``m`` with ``now + sa_busy_for[m] == release[i]`` (the highest such ``m``
  on ties), whatever rates do meanwhile. A ``release`` that matches no busy SA (a hand-made view)
  is a fixed time instead; so is every release with ``link_releases=False`` (MAGMA's fitness
  model). Releases at a time are handled before finishes at that time. An SJ that is not
  ``ready`` although it has no RQ predecessor and ``release[i] == now`` waits for a busy SA whose
  SJ ends exactly now (an SJ ending at a tick).
- *Sharing rules* (``sharing`` given) see clients built from the view (priority, deadline,
  isolated latency, and the request's remaining work, which drops by the SJ's minimum latency as
  each RQ SJ finishes). A running SJ's request is known only through its waiting successors; if
  none is in the RQ its client is neutral (priority 0, deadline inf). The running layers' share of
  ``remaining_work`` is removed evenly as the request's linked running SJs finish. Rates at the tick
  are recomputed with the tick's ``now``. With rules whose rates differ between SJs, the latest
  projected finish may not be the latest actual one: the forecast is then an approximation.

SJs that never start (strict order deadlock, which the engine breaks only by re-planning) get
``inf`` start and finish. Cost: O(R log R + E) plus O(M) per start or finish, in pure Python.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mas_sim.core.errors import ConfigError
from mas_sim.sim.dram import WORK_EPSILON, BandwidthSharing
from mas_sim.sim.view import Schedule, SchedulerView, check_schedule

FloatArray = npt.NDArray[np.float64]

#: Relative tolerance when matching a release time to a busy SA's projected finish.
_MATCH_EPSILON = 1e-12


@dataclass(frozen=True, eq=False)
class Forecast:
    """Projected times of every SJ of a view under one schedule (``inf``: never starts)."""

    start: FloatArray
    """``[R]`` projected start, absolute cycles."""
    finish: FloatArray
    """``[R]`` projected finish, absolute cycles."""


class _Job:
    """Remaining work of one request as the forecast tracks it (for sharing-rule clients)."""

    __slots__ = ("remaining_work",)

    def __init__(self, remaining_work: float) -> None:
        self.remaining_work = remaining_work


class _Client:
    """What a :class:`~mas_sim.sim.dram.BandwidthSharing` rule reads about a running SJ."""

    __slots__ = ("_job", "deadline", "isolated_latency", "priority")

    def __init__(self, priority: int, deadline: float, isolated_latency: float, job: _Job) -> None:
        self.priority = priority
        self.deadline = deadline
        self.isolated_latency = isolated_latency
        self._job = job

    @property
    def remaining_work(self) -> float:
        """Min-latency sum of the request's unfinished layers, cycles."""
        return self._job.remaining_work


class _Transfer:
    """A running SJ: mirrors :class:`mas_sim.sim.dram.Transfer` (``sj`` is -1 for initial ones)."""

    __slots__ = ("client", "demand", "rate", "remaining", "sa", "sj", "work")

    def __init__(self, sa: int, sj: int, work: float, demand: float, client: _Client) -> None:
        self.sa = sa
        self.sj = sj
        self.work = work
        self.remaining = work
        self.demand = demand
        self.rate = 1.0
        self.client = client


def forecast(view: SchedulerView, schedule: Schedule, *,
             sharing: BandwidthSharing | None = None, strict_order: bool = False,
             link_releases: bool = True) -> FloatArray:
    """Projected finish time of every SJ of ``view`` under ``schedule``, ``[R]`` absolute cycles.

    ``sharing`` None means proportional sharing (the engine's default); ``strict_order`` mirrors
    ``EngineConfig.work_conserving=False``; ``link_releases=False`` treats ``release`` as fixed
    times instead of waiting for the running predecessor's actual finish (module docstring).
    """
    return forecast_details(view, schedule, sharing=sharing, strict_order=strict_order,
                            link_releases=link_releases).finish


def forecast_details(view: SchedulerView, schedule: Schedule, *,
                     sharing: BandwidthSharing | None = None, strict_order: bool = False,
                     link_releases: bool = True) -> Forecast:
    """Projected start and finish of every SJ of ``view`` (see :func:`forecast`)."""
    _check(view, schedule)
    return _Run(view, schedule, sharing, strict_order, link_releases).run()


def _check(view: SchedulerView, schedule: Schedule) -> None:
    check_schedule(schedule, view, "forecast: invalid schedule")


class _Run:
    """One forecast: the engine's SA processes and DRAM arbiter as a plain event loop."""

    def __init__(self, view: SchedulerView, schedule: Schedule,
                 sharing: BandwidthSharing | None, strict_order: bool,
                 link_releases: bool) -> None:
        r, m = view.size, view.num_sas
        self.now = float(view.now)
        self.bandwidth = float(view.dram_bandwidth)
        self.sharing = sharing
        self.work_conserving = not strict_order
        self.latency: list[list[float]] = view.latency.tolist()
        self.demand: list[list[float]] = view.bandwidth.tolist()
        self.sa_of: list[int] = [int(x) for x in np.asarray(schedule.sa).tolist()]
        self.key: list[float] = [-float(p) for p in np.asarray(schedule.priority).tolist()]
        self.successors = view.successors
        self.preds_left = [len(p) for p in view.predecessors]
        self.start = [math.inf] * r
        self.finish = [math.inf] * r
        self.queues: list[list[tuple[float, int]]] = [[] for _ in range(m)]
        self.idle = [False] * m
        """SA waiting on its idle event (the engine's ``_idle is not None``)."""
        self.resumes: deque[tuple[int, _Transfer | None]] = deque()
        """SA processes to resume at the current instant, FIFO: (sa, finished transfer)."""
        self.running: list[_Transfer] = []
        self.updated_at = self.now
        self.target: _Transfer | None = None
        self.wakeup = math.inf
        self.releases: list[tuple[float, int]] = []
        self.waiters: list[list[int]] = [[] for _ in range(m)]
        """RQ SJs waiting for the initial transfer of each SA (their running predecessor)."""
        self.min_latency = view.latency.min(axis=1).tolist() if r else []
        self.jobs, self.clients = self._clients(view)
        self.running_share: list[tuple[_Job, float] | None] = [None] * m
        self._initial_transfers(view)
        self._link_releases(view, link_releases)

    # -- setup ----------------------------------------------------------------------------------
    def _clients(self, view: SchedulerView) -> tuple[dict[int, _Job], list[_Client]]:
        jobs: dict[int, _Job] = {}
        clients: list[_Client] = []
        prio = view.priority.tolist()
        deadline = view.deadline.tolist()
        isolated = view.isolated_latency.tolist()
        remaining = view.remaining_work.tolist()
        for i, jid in enumerate(view.job_id.tolist()):
            job = jobs.get(jid)
            if job is None:
                job = jobs[jid] = _Job(remaining[i])
            clients.append(_Client(prio[i], deadline[i], isolated[i], job))
        return jobs, clients

    def _initial_transfers(self, view: SchedulerView) -> None:
        busy = view.sa_busy_for.tolist()
        demand = view.running_bandwidth.tolist()
        sas = [m for m in range(view.num_sas) if busy[m] > 0.0 or demand[m] > 0.0]
        neutral = _Client(0, math.inf, 0.0, _Job(0.0))
        transfers = [_Transfer(m, -1, 0.0, demand[m], neutral) for m in sas]
        if self.sharing is not None:  # only sharing rules read clients
            self._attach_running_clients(view, transfers)
        self.running = transfers
        self._set_rates()  # the rates in force at the tick, r0
        for t in transfers:
            t.remaining = t.work = max(busy[t.sa], 0.0) * t.rate
        self._reschedule()

    def _attach_running_clients(self, view: SchedulerView, transfers: list[_Transfer]) -> None:
        """Give each running SJ the client of its request, found through a waiting successor."""
        now = self.now
        release = view.release.tolist()
        busy = view.sa_busy_for.tolist()
        job_ids = view.job_id.tolist()
        linked: dict[int, list[_Transfer]] = {}
        for t in transfers:
            finish = now + busy[t.sa]
            for i, rel in enumerate(release):
                if rel > now and _same_time(rel, finish):
                    t.client = self.clients[i]
                    linked.setdefault(job_ids[i], []).append(t)
                    break
        # The running layers' part of the request's remaining work, split evenly among them.
        for jid, ts in linked.items():
            rows = [i for i, j in enumerate(job_ids) if j == jid]
            in_rq = sum(self.min_latency[i] for i in rows)
            job = self.jobs[jid]
            share = max(job.remaining_work - in_rq, 0.0) / len(ts)
            for t in ts:
                self.running_share[t.sa] = (job, share)

    def _link_releases(self, view: SchedulerView, link: bool) -> None:
        now = self.now
        busy = view.sa_busy_for.tolist()
        running = {t.sa for t in self.running}
        ready = view.ready.tolist()
        for i, rel in enumerate(view.release.tolist()):
            waits_for = -1
            if link and rel > now:
                for m in running:
                    if _same_time(rel, now + busy[m]) and m > waits_for:
                        waits_for = m
            elif link and not ready[i] and self.preds_left[i] == 0:
                # Not ready, no RQ predecessor, release == now: a predecessor ends exactly now.
                for m in running:
                    if busy[m] <= 0.0 and m > waits_for:
                        waits_for = m
            if waits_for >= 0:
                self.preds_left[i] += 1
                self.waiters[waits_for].append(i)
            elif rel > now:
                self.preds_left[i] += 1
                self.releases.append((rel, i))
        heapq.heapify(self.releases)

    # -- the DRAM arbiter -------------------------------------------------------------------------
    def _advance(self, t: float) -> None:
        elapsed = t - self.updated_at
        if elapsed > 0.0:
            for tr in self.running:
                tr.remaining -= tr.rate * elapsed
        self.updated_at = t

    def _set_rates(self) -> None:
        running = self.running
        if self.sharing is None:
            total = 0.0
            for tr in running:
                total += tr.demand
            rate = 1.0 if total <= self.bandwidth else self.bandwidth / total
            for tr in running:
                tr.rate = rate
            return
        rates = self.sharing.rates(self.updated_at, [tr.demand for tr in running],
                                   [tr.client for tr in running], self.bandwidth)
        for tr, r in zip(running, rates, strict=True):
            if not 0.0 < r <= 1.0:
                raise ConfigError(f"sharing rule {self.sharing.name!r} gave rate {r!r}, "
                                  "expected a number in (0, 1]")
            tr.rate = r

    def _reschedule(self) -> None:
        """Recompute rates and the next wake-up (the earliest projected finish)."""
        if not self.running:
            self.target, self.wakeup = None, math.inf
            return
        self._set_rates()
        first = self.running[0]
        best = first.remaining / first.rate
        for tr in self.running[1:]:
            left = tr.remaining / tr.rate
            if left < best:
                first, best = tr, left
        self.target = first
        self.wakeup = self.updated_at + best

    def _on_wakeup(self, t: float) -> None:
        self._advance(t)
        target = self.target
        finished: list[_Transfer] = []
        kept: list[_Transfer] = []
        for tr in self.running:
            if (tr is target or tr.remaining <= WORK_EPSILON * tr.work
                    or t + tr.remaining / tr.rate <= t):
                finished.append(tr)
            else:
                kept.append(tr)
        self.running = kept
        for tr in finished:
            tr.remaining = 0.0
        self._reschedule()
        for tr in finished:
            self.resumes.append((tr.sa, tr))

    # -- the SA processes -------------------------------------------------------------------------
    def _wake(self, m: int) -> None:
        if self.idle[m]:
            self.idle[m] = False
            self.resumes.append((m, None))

    def _became_ready(self, i: int) -> None:
        if self.work_conserving:
            heapq.heappush(self.queues[self.sa_of[i]], (self.key[i], i))
        self._wake(self.sa_of[i])

    def _on_finish(self, tr: _Transfer, t: float) -> None:
        preds_left = self.preds_left
        if tr.sj >= 0:
            i = tr.sj
            self.finish[i] = t
            self.clients[i]._job.remaining_work -= self.min_latency[i]
            succ: Sequence[int] = self.successors[i]
        else:
            share = self.running_share[tr.sa]
            if share is not None:
                share[0].remaining_work -= share[1]
            succ = self.waiters[tr.sa]
        for s in succ:
            preds_left[s] -= 1
            if preds_left[s] == 0:
                self._became_ready(s)

    def _pick(self, m: int, t: float) -> None:
        queue = self.queues[m]
        if queue and self.preds_left[queue[0][1]] == 0:
            i = heapq.heappop(queue)[1]
            self.start[i] = t
            self._advance(t)
            sa = self.sa_of[i]
            tr = _Transfer(sa, i, self.latency[i][sa], self.demand[i][sa], self.clients[i])
            self.running.append(tr)
            self._reschedule()
        else:
            self.idle[m] = True  # empty queue, or (strict order) its head is not ready

    def _resume_all(self, t: float) -> None:
        resumes = self.resumes
        while resumes:
            m, tr = resumes.popleft()
            if tr is not None:
                self._on_finish(tr, t)
            self._pick(m, t)

    # -- main loop -------------------------------------------------------------------------------
    def run(self) -> Forecast:
        preds_left = self.preds_left
        for i in range(len(preds_left)):
            if not self.work_conserving or preds_left[i] == 0:  # strict order: queue all
                heapq.heappush(self.queues[self.sa_of[i]], (self.key[i], i))
        busy = {tr.sa for tr in self.running}
        for m in range(len(self.queues)):
            self.idle[m] = m not in busy
        t = self.now
        # The tick installs the schedule and wakes every idle SA, in SA order.
        for m in range(len(self.queues)):
            self._wake(m)
        self._resume_all(t)
        releases = self.releases
        while self.running or releases:
            if releases and releases[0][0] <= self.wakeup:
                t = releases[0][0]
                while releases and releases[0][0] == t:
                    i = heapq.heappop(releases)[1]
                    preds_left[i] -= 1
                    if preds_left[i] == 0:
                        self._became_ready(i)
            else:
                t = self.wakeup
                self._on_wakeup(t)
            self._resume_all(t)
        return Forecast(np.asarray(self.start, dtype=np.float64),
                        np.asarray(self.finish, dtype=np.float64))


def _same_time(a: float, b: float) -> bool:
    return abs(a - b) <= _MATCH_EPSILON * max(abs(a), abs(b), 1.0)
