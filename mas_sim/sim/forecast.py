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
  is a fixed time instead; so is every release with ``link_releases=False``. An SJ that is not
  ``ready`` although it has no RQ predecessor and ``release[i] == now`` waits for a busy SA whose
  SJ ends exactly now (an SJ ending at a tick). This rule is :func:`waits_for`; MAGMA's fitness
  links releases by it too. Releases at a time are handled before finishes at that time.
- *Sharing rules* (``sharing`` given) see clients built from the view (priority, deadline,
  isolated latency, and the request's remaining work, which drops by the SJ's minimum latency as
  each RQ SJ finishes). A running SJ's request is known only through its waiting successors; if
  none is in the RQ its client is neutral (priority 0, deadline inf). The running layers' share of
  ``remaining_work`` is removed evenly as the request's linked running SJs finish. Rates at the tick
  are recomputed with the tick's ``now``. With rules whose rates differ between SJs, the latest
  projected finish may not be the latest actual one: the forecast is then an approximation.

SJs that never start (strict order deadlock, which the engine breaks only by re-planning) get
``inf`` start and finish. Cost: O(R log R + E) plus O(M) per start or finish.

Implementation. The event loop is one compiled kernel (:mod:`.jit`) over arrays: the SAs'
queues are heaps, the running SJs a list of transfers, the pending SA resumptions a FIFO ring.
Under proportional sharing it runs to the end in one call. A sharing rule is Python: the kernel
then stops whenever rates must be recomputed (an SJ started or finished), the rule is asked, and
the kernel resumes with its answer; the loop is the same.
"""

from __future__ import annotations

import math
from collections import namedtuple
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numba.extending import register_jitable

from mas_sim.core.errors import ConfigError
from mas_sim.sim import dram, heaps
from mas_sim.sim.dram import WORK_EPSILON, BandwidthSharing, proportional_rate
from mas_sim.sim.heaps import heap_pop, heap_push
from mas_sim.sim.jit import njit
from mas_sim.sim.view import Schedule, SchedulerView, check_schedule

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Relative tolerance when matching a release time to a busy SA's projected finish.
MATCH_EPSILON = 1e-12


@dataclass(frozen=True, eq=False)
class Forecast:
    """Projected times of every SJ of a view under one schedule (``inf``: never starts)."""

    start: FloatArray
    """``[R]`` projected start, absolute cycles."""
    finish: FloatArray
    """``[R]`` projected finish, absolute cycles."""


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
    check_schedule(schedule, view, "forecast: invalid schedule")
    # _setup returns a plain tuple: numba boxes a namedtuple field by field, slowly.
    st = _State._make(_setup(
        float(view.now), float(view.dram_bandwidth), view.latency, view.bandwidth, view.release,
        view.ready, view.pred_indptr, view.pred_indices, view.sa_busy_for, view.running_bandwidth,
        view.job_id, view.remaining_work, np.asarray(schedule.sa, dtype=np.int64),
        -np.asarray(schedule.priority, dtype=np.float64), strict_order, link_releases))
    if sharing is None:
        _run(st, True)
    else:
        clients = _Clients(view, st)
        while not _run(st, False):  # the kernel stopped: rates are needed
            running = st.running[:st.ints[_N_RUN]]
            rates = sharing.rates(float(st.floats[_UPDATED_AT]), st.tr_demand[running].tolist(),
                                  [clients.of(k) for k in running.tolist()],
                                  float(view.dram_bandwidth))
            for k, r in zip(running.tolist(), rates, strict=True):
                if not 0.0 < r <= 1.0:
                    raise ConfigError(f"sharing rule {sharing.name!r} gave rate {r!r}, "
                                      "expected a number in (0, 1]")
                st.tr_rate[k] = r
            st.ints[_RATES_GIVEN] = 1
    return Forecast(st.start, st.finish)


# -- the release-linking rule -------------------------------------------------------------------
@register_jitable
def same_time(a: float, b: float) -> bool:
    """True if two times (cycles) are equal to :data:`MATCH_EPSILON`, relatively."""
    return abs(a - b) <= MATCH_EPSILON * max(abs(a), abs(b), 1.0)


@njit
def waits_for(now: float, release: FloatArray, ready: npt.NDArray[np.bool_],
              pred_indptr: IntArray, sa_busy_for: FloatArray,
              running_bandwidth: FloatArray) -> IntArray:
    """``[R]`` the SA whose running SJ each SJ of a view waits for, -1 for none (module docstring).

    A busy SA ``m`` (``sa_busy_for[m] > 0`` or ``running_bandwidth[m] > 0``) runs a predecessor
    of SJ ``i`` outside the RQ if ``release[i] > now`` is ``now + sa_busy_for[m]`` (the highest
    such ``m``), or if ``i`` is not ready, has no RQ predecessor, ``release[i] == now`` and
    ``m``'s SJ ends now (``sa_busy_for[m] <= 0``; again the highest ``m``).
    """
    r = release.shape[0]
    out = np.full(r, -1, dtype=np.int64)
    for i in range(r):
        rel = release[i]
        for m in range(sa_busy_for.shape[0]):
            if not (sa_busy_for[m] > 0.0 or running_bandwidth[m] > 0.0):
                continue
            if rel > now:
                if same_time(rel, now + sa_busy_for[m]):
                    out[i] = m
            elif not ready[i] and pred_indptr[i + 1] == pred_indptr[i] and sa_busy_for[m] <= 0.0:
                out[i] = m
    return out


# -- the event loop -----------------------------------------------------------------------------
_State = namedtuple("_State", [
    # per SJ
    "latency", "demand", "sa_of", "key", "succ_ptr", "succ_idx", "preds_left", "start", "finish",
    "min_latency", "job_of", "job_remaining",
    # per SA: the SJs waiting for its initial transfer, its queue (a heap), its state
    "waiter_ptr", "waiter_idx", "heap_start", "heap_size", "heap_key", "heap_sj", "idle",
    "share_job", "share", "busy",
    # transfers (initial ones first, then one per SJ started) and the running ones, in order
    "tr_sa", "tr_sj", "tr_work", "tr_rem", "tr_demand", "tr_rate", "tr_client", "running",
    # fixed release times in (time, SJ) order; the FIFO ring of SA resumptions (sa, transfer)
    "rel_time", "rel_sj", "rs_sa", "rs_tr",
    # scalars
    "floats", "ints",
])
# _State.floats
_UPDATED_AT, _WAKEUP, _NOW_T, _BANDWIDTH, _TICK = range(5)
# _State.ints
(_TARGET, _N_RUN, _N_TR, _RS_HEAD, _RS_LEN, _REL_PTR, _NEED_RATES, _RATES_GIVEN, _PHASE,
 _WORK_CONSERVING) = range(10)
# _State.ints[_PHASE]: rates of the initial transfers, then the first wake-up, then the loop
_INIT, _START, _LOOP = range(3)


@njit(depends=(heaps,))
def _setup(now: float, bandwidth: float, latency: FloatArray, demand: FloatArray,
           release: FloatArray, ready: npt.NDArray[np.bool_], pred_ptr: IntArray,
           pred_idx: IntArray, busy: FloatArray, running_bw: FloatArray, job_id: IntArray,
           remaining: FloatArray, sa_of: IntArray, key: FloatArray, strict: bool,
           link: bool) -> tuple:
    r, m = latency.shape
    # Successors in the order the view's ``successors`` lists them (by increasing SJ).
    succ_ptr = np.zeros(r + 1, dtype=np.int64)
    for q in range(pred_idx.shape[0]):
        succ_ptr[pred_idx[q] + 1] += 1
    for i in range(r):
        succ_ptr[i + 1] += succ_ptr[i]
    succ_idx = np.empty(pred_idx.shape[0], dtype=np.int64)
    fill = succ_ptr[:-1].copy()
    for v in range(r):
        for q in range(pred_ptr[v], pred_ptr[v + 1]):
            u = pred_idx[q]
            succ_idx[fill[u]] = v
            fill[u] += 1
    preds_left = np.empty(r, dtype=np.int64)
    for i in range(r):
        preds_left[i] = pred_ptr[i + 1] - pred_ptr[i]
    # Requests (clients of sharing rules): remaining work tracked per request.
    job_of = np.empty(r, dtype=np.int64)
    job_remaining = np.empty(r)
    by_job = np.argsort(job_id, kind="mergesort")  # each request's SJs together, in RQ order
    jobs = -1
    for k in range(r):
        i = by_job[k]
        if k == 0 or job_id[i] != job_id[by_job[k - 1]]:
            jobs += 1
            job_remaining[jobs] = remaining[i]  # the request's first SJ's remaining work
        job_of[i] = jobs
    min_latency = np.empty(r)
    for i in range(r):
        min_latency[i] = np.min(latency[i]) if m else 0.0
    # Transfers: one per busy SA at the tick (SA order), then one per SJ started.
    cap = m + r
    tr_sa = np.empty(cap, dtype=np.int64)
    tr_sj = np.empty(cap, dtype=np.int64)
    tr_work = np.zeros(cap)
    tr_rem = np.zeros(cap)
    tr_demand = np.zeros(cap)
    tr_rate = np.ones(cap)
    tr_client = np.full(cap, -1, dtype=np.int64)
    running = np.empty(m, dtype=np.int64)
    idle = np.zeros(m, dtype=np.bool_)
    n_tr = 0
    for s in range(m):
        if busy[s] > 0.0 or running_bw[s] > 0.0:
            tr_sa[n_tr] = s
            tr_sj[n_tr] = -1
            tr_demand[n_tr] = running_bw[s]
            running[n_tr] = n_tr
            n_tr += 1
        else:
            idle[s] = True
    # Releases: wait for a running SJ (linked), or for a fixed time.
    wait = waits_for(now, release, ready, pred_ptr, busy, running_bw) if link \
        else np.full(r, -1, dtype=np.int64)
    waiter_ptr = np.zeros(m + 1, dtype=np.int64)
    n_rel = 0
    for i in range(r):
        if wait[i] >= 0:
            preds_left[i] += 1
            waiter_ptr[wait[i] + 1] += 1
        elif release[i] > now:
            preds_left[i] += 1
            n_rel += 1
    for s in range(m):
        waiter_ptr[s + 1] += waiter_ptr[s]
    waiter_idx = np.empty(waiter_ptr[m], dtype=np.int64)
    fill = waiter_ptr[:-1].copy()
    rel_sj = np.empty(n_rel, dtype=np.int64)
    n_rel = 0
    for i in range(r):
        if wait[i] >= 0:
            waiter_idx[fill[wait[i]]] = i
            fill[wait[i]] += 1
        elif release[i] > now:
            rel_sj[n_rel] = i
            n_rel += 1
    rel_time = release[rel_sj]
    order = np.argsort(rel_time, kind="mergesort")  # by time, then SJ (rel_sj is increasing)
    rel_time = rel_time[order]
    rel_sj = rel_sj[order]
    # The SAs' queues: one heap per SA, in one array.
    heap_start = np.zeros(m + 1, dtype=np.int64)
    for i in range(r):
        heap_start[sa_of[i] + 1] += 1
    for s in range(m):
        heap_start[s + 1] += heap_start[s]
    floats = np.zeros(5)
    floats[_UPDATED_AT] = now
    floats[_WAKEUP] = np.inf
    floats[_NOW_T] = now
    floats[_BANDWIDTH] = bandwidth
    floats[_TICK] = now
    ints = np.zeros(10, dtype=np.int64)
    ints[_TARGET] = -1
    ints[_N_RUN] = n_tr
    ints[_N_TR] = n_tr
    ints[_NEED_RATES] = 1
    ints[_PHASE] = _INIT
    ints[_WORK_CONSERVING] = 0 if strict else 1
    heap_size = np.zeros(m, dtype=np.int64)
    heap_key = np.empty(r)
    heap_sj = np.empty(r, dtype=np.int64)
    for i in range(r):
        if strict or preds_left[i] == 0:  # strict order: every SJ is queued from the start
            heap_push(heap_start, heap_size, heap_key, heap_sj, sa_of[i], key[i], i)
    return (latency, demand, sa_of, key, succ_ptr, succ_idx, preds_left,
            np.full(r, np.inf), np.full(r, np.inf), min_latency, job_of, job_remaining,
            waiter_ptr, waiter_idx, heap_start, heap_size, heap_key, heap_sj, idle,
            np.full(m, -1, dtype=np.int64), np.zeros(m), busy, tr_sa, tr_sj, tr_work,
            tr_rem, tr_demand, tr_rate, tr_client, running, rel_time, rel_sj,
            np.empty(2 * m + 2, dtype=np.int64), np.empty(2 * m + 2, dtype=np.int64),
            floats, ints)


@njit(refcount=False, depends=(dram, heaps))
def _run(st: _State, proportional: bool) -> bool:
    """Run the loop to the end (True), or, with ``proportional`` False, until rates are needed
    (False: the caller writes ``tr_rate`` of the running transfers, sets ``RATES_GIVEN`` and
    calls again). It allocates nothing (compiled without reference counting); its helpers are
    inlined into it."""
    ints, floats = st.ints, st.floats
    while True:
        if ints[_NEED_RATES]:
            n = ints[_N_RUN]
            if n and not proportional and not ints[_RATES_GIVEN]:
                return False
            if n and proportional:
                total = 0.0
                for k in range(n):
                    total += st.tr_demand[st.running[k]]
                rate = proportional_rate(total, floats[_BANDWIDTH])
                for k in range(n):
                    st.tr_rate[st.running[k]] = rate
            ints[_NEED_RATES] = 0
            ints[_RATES_GIVEN] = 0
            if ints[_PHASE] == _INIT:
                # Remaining work of the SJs running at the tick: busy time x rate at the tick.
                for k in range(n):
                    t = st.running[k]
                    st.tr_rem[t] = st.tr_work[t] = max(st.busy[st.tr_sa[t]], 0.0) * st.tr_rate[t]
                ints[_PHASE] = _START
                ints[_NEED_RATES] = 1
                continue
            _next_wakeup(st)
        if ints[_PHASE] == _START:  # the tick wakes every idle SA, in SA order
            ints[_PHASE] = _LOOP
            for s in range(st.idle.shape[0]):
                _wake(st, s)
        if ints[_RS_LEN]:
            s = st.rs_sa[ints[_RS_HEAD]]
            tr = st.rs_tr[ints[_RS_HEAD]]
            ints[_RS_HEAD] = (ints[_RS_HEAD] + 1) % st.rs_sa.shape[0]
            ints[_RS_LEN] -= 1
            if tr >= 0:
                _on_finish(st, tr, floats[_NOW_T])
            _pick(st, s, floats[_NOW_T])
            continue
        ptr = ints[_REL_PTR]
        if ptr < st.rel_time.shape[0] and st.rel_time[ptr] <= floats[_WAKEUP]:
            t = st.rel_time[ptr]
            floats[_NOW_T] = t
            while ptr < st.rel_time.shape[0] and st.rel_time[ptr] == t:
                _release(st, st.rel_sj[ptr])
                ptr += 1
            ints[_REL_PTR] = ptr
        elif ints[_N_RUN]:
            floats[_NOW_T] = floats[_WAKEUP]
            _on_wakeup(st, floats[_WAKEUP])
        else:
            return True


@njit(inline=True)
def _advance(st: _State, t: float) -> None:
    """Progress every running SJ to ``t`` at the rates in force (the arbiter's ``_advance``)."""
    elapsed = t - st.floats[_UPDATED_AT]
    if elapsed > 0.0:
        for k in range(st.ints[_N_RUN]):
            tr = st.running[k]
            st.tr_rem[tr] -= st.tr_rate[tr] * elapsed
    st.floats[_UPDATED_AT] = t


@njit(inline=True)
def _next_wakeup(st: _State) -> None:
    """The wake-up at the earliest projected finish (the arbiter's ``_reschedule``)."""
    n = st.ints[_N_RUN]
    if n == 0:
        st.ints[_TARGET] = -1
        st.floats[_WAKEUP] = np.inf
        return
    first = st.running[0]
    best = st.tr_rem[first] / st.tr_rate[first]
    for k in range(1, n):
        tr = st.running[k]
        left = st.tr_rem[tr] / st.tr_rate[tr]
        if left < best:
            first, best = tr, left
    st.ints[_TARGET] = first
    st.floats[_WAKEUP] = st.floats[_UPDATED_AT] + best


@njit(inline=True, depends=(dram, heaps))
def _on_wakeup(st: _State, t: float) -> None:
    """Complete the target and every SJ whose residue is below the clock's resolution at ``t``
    (the arbiter's ``_on_wakeup``); their SAs resume in start order."""
    _advance(st, t)
    kept = 0
    for k in range(st.ints[_N_RUN]):
        tr = st.running[k]
        if (tr == st.ints[_TARGET] or st.tr_rem[tr] <= WORK_EPSILON * st.tr_work[tr]
                or t + st.tr_rem[tr] / st.tr_rate[tr] <= t):
            st.tr_rem[tr] = 0.0
            _resume(st, st.tr_sa[tr], tr)
        else:
            st.running[kept] = tr
            kept += 1
    st.ints[_N_RUN] = kept
    st.ints[_NEED_RATES] = 1


@njit(inline=True)
def _resume(st: _State, sa: int, tr: int) -> None:
    """Queue SA ``sa``'s process to run at the current instant (``tr``: its finished transfer)."""
    size = st.rs_sa.shape[0]
    k = (st.ints[_RS_HEAD] + st.ints[_RS_LEN]) % size
    st.rs_sa[k] = sa
    st.rs_tr[k] = tr
    st.ints[_RS_LEN] += 1


@njit(inline=True)
def _wake(st: _State, sa: int) -> None:
    if st.idle[sa]:
        st.idle[sa] = False
        _resume(st, sa, -1)


@njit(inline=True)
def _release(st: _State, i: int) -> None:
    """One of SJ ``i``'s predecessors (in or outside the RQ, or its release time) is done."""
    st.preds_left[i] -= 1
    if st.preds_left[i] == 0:
        if st.ints[_WORK_CONSERVING]:
            _push(st, i)
        _wake(st, st.sa_of[i])


@njit(inline=True)
def _on_finish(st: _State, tr: int, t: float) -> None:
    i = st.tr_sj[tr]
    if i >= 0:
        st.finish[i] = t
        st.job_remaining[st.job_of[i]] -= st.min_latency[i]
        for q in range(st.succ_ptr[i], st.succ_ptr[i + 1]):
            _release(st, st.succ_idx[q])
    else:
        sa = st.tr_sa[tr]
        if st.share_job[sa] >= 0:
            st.job_remaining[st.share_job[sa]] -= st.share[sa]
        for q in range(st.waiter_ptr[sa], st.waiter_ptr[sa + 1]):
            _release(st, st.waiter_idx[q])


@njit(inline=True)
def _push(st: _State, i: int) -> None:
    """Queue SJ ``i`` on its SA."""
    heap_push(st.heap_start, st.heap_size, st.heap_key, st.heap_sj, st.sa_of[i], st.key[i], i)


@njit(inline=True)
def _pick(st: _State, sa: int, t: float) -> None:
    """SA ``sa`` starts its best queued SJ if that SJ is ready, else goes idle."""
    if st.heap_size[sa] and st.preds_left[st.heap_sj[st.heap_start[sa]]] == 0:
        i = heap_pop(st.heap_start, st.heap_size, st.heap_key, st.heap_sj, sa)
        st.start[i] = t
        _advance(st, t)
        tr = st.ints[_N_TR]
        st.ints[_N_TR] += 1
        st.tr_sa[tr] = sa
        st.tr_sj[tr] = i
        st.tr_work[tr] = st.tr_rem[tr] = st.latency[i, sa]
        st.tr_demand[tr] = st.demand[i, sa]
        st.tr_client[tr] = i
        st.running[st.ints[_N_RUN]] = tr
        st.ints[_N_RUN] += 1
        st.ints[_NEED_RATES] = 1
    else:
        st.idle[sa] = True  # empty queue, or (strict order) its head is not ready


# -- sharing rules --------------------------------------------------------------------------------
class _Client:
    """What a :class:`~mas_sim.sim.dram.BandwidthSharing` rule reads about a running SJ."""

    __slots__ = ("deadline", "isolated_latency", "priority", "remaining_work")

    def __init__(self, priority: int, deadline: float, isolated_latency: float,
                 remaining_work: float) -> None:
        self.priority = priority
        self.deadline = deadline
        self.isolated_latency = isolated_latency
        self.remaining_work = remaining_work
        """Min-latency sum of the request's unfinished layers when the rule is asked, cycles."""


class _Clients:
    """The clients of the running SJs, for a sharing rule.

    A running SJ's request is known through a waiting successor in the RQ; the running layers'
    part of the request's remaining work is split evenly among them (module docstring).
    """

    def __init__(self, view: SchedulerView, st: _State) -> None:
        self.view, self.st = view, st
        now = float(view.now)
        release = view.release.tolist()
        job_ids = view.job_id.tolist()
        linked: dict[int, list[int]] = {}
        for tr in range(int(st.ints[_N_RUN])):  # the transfers running at the tick
            finish = now + float(view.sa_busy_for[st.tr_sa[tr]])
            for i, rel in enumerate(release):
                if rel > now and same_time(rel, finish):
                    st.tr_client[tr] = i
                    linked.setdefault(job_ids[i], []).append(tr)
                    break
        for jid, trs in linked.items():
            rows = [i for i, j in enumerate(job_ids) if j == jid]
            in_rq = sum(float(st.min_latency[i]) for i in rows)
            job = int(st.job_of[rows[0]])
            share = max(float(st.job_remaining[job]) - in_rq, 0.0) / len(trs)
            for tr in trs:
                st.share_job[st.tr_sa[tr]] = job
                st.share[st.tr_sa[tr]] = share

    def of(self, tr: int) -> _Client:
        """The client of transfer ``tr`` now (neutral if its request is unknown)."""
        i = int(self.st.tr_client[tr])
        if i < 0:
            return _Client(0, math.inf, 0.0, 0.0)
        v = self.view
        return _Client(int(v.priority[i]), float(v.deadline[i]), float(v.isolated_latency[i]),
                       float(self.st.job_remaining[self.st.job_of[i]]))
