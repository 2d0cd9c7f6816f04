"""The SimPy engine: requests arrive, a periodic scheduler plans, sub-accelerators execute.

Timing model (all times in cycles of the 1 GHz clock):

- Ticks fall on the grid ``k * period``. At a tick the scheduler (1) admits the requests that
  arrived since the last tick (all layers of a request enter the ready queue, RQ, at once),
  (2) drops the unstarted sub-jobs (SJs) of requests whose deadline has passed (firm deadlines),
  (3) sorts the RQ by absolute deadline and (4) asks the policy for a priority and an SA per SJ.
  SJs not started by the next tick return to the RQ and are planned again.
- A tick at time ``t`` comes before any SJ completion at the same ``t``, so an SA freed exactly
  at a tick already follows the new schedule, and a request arriving at ``t`` is planned at ``t``.
- A policy is not called when the RQ is empty, nor when no SA can become free before the next
  tick (every SA is running an SJ with more than one period of stall-free work left: even at full
  rate it cannot finish in time, so any schedule would be discarded unused). The scheduler sleeps
  through empty stretches up to the tick of the next arrival.
- Each SA is a process (:mod:`mas_sim.sim.subaccelerator`); DRAM contention is the arbiter's
  (:mod:`mas_sim.sim.dram`).

A request ends exactly once: ``met`` (finished by its deadline), ``missed`` (finished late) or
``dropped`` (its deadline passed at a tick while some of its SJs had not started; those are
removed, SJs already running finish and stay in the trace).

Two ways to drive it: ``Simulation(..., policy).run()``, or, with ``policy=None``, a loop of
``view = sim.next_decision()`` / ``sim.submit(schedule)`` (the Gymnasium environment does this).
"""

from __future__ import annotations

import bisect
import math
import time
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import simpy
from simpy.core import URGENT

from mas_sim.core.collector import older_objects_frozen
from mas_sim.core.errors import ConfigError, PolicyError, unknown_name
from mas_sim.core.units import DEFAULT_PERIOD
from mas_sim.hardware.spec import SystemSpec
from mas_sim.sim.dram import BandwidthSharing, DramArbiter, Transfer
from mas_sim.sim.jobs import DONE, DROPPED, PENDING, Job, Plan, SubJob
from mas_sim.sim.requests import Request, Workload
from mas_sim.sim.rq import JobTable, ModelTable, ReadyQueue, build_view, collect
from mas_sim.sim.subaccelerator import SubAccelerator
from mas_sim.sim.tenancy import TenantTracker
from mas_sim.sim.view import Policy, Schedule, SchedulerView, validate_schedule


@dataclass(frozen=True)
class EngineConfig:
    """How the engine runs a schedule."""

    period: float = DEFAULT_PERIOD
    """Scheduling period Ts, cycles (100,000 cycles = 100 us at 1 GHz)."""
    drop_expired: bool = True
    """Firm deadlines: at each tick, drop unstarted SJs of requests past their deadline."""
    work_conserving: bool = True
    """An idle SA starts its highest-priority *ready* SJ (False: strictly its highest-priority
    SJ, waiting for it to become ready)."""
    requeue_unstarted: bool = True
    """SJs not started by the next tick return to the RQ and are planned again (the paper).
    False: an SJ keeps its first assignment and the policy sees only new SJs."""
    skip_futile_ticks: bool = True
    """Do not call the policy when no SA can become free before the next tick."""
    tenant_window: int = 64
    """Ended requests per tenant over which the views' tenant deficits are measured
    (:mod:`mas_sim.sim.tenancy`); only requests with a hit-rate target count."""

    def __post_init__(self) -> None:
        if not (isinstance(self.period, int | float) and math.isfinite(self.period)
                and self.period > 0):
            raise ConfigError(f"period = {self.period!r} cycles, expected a positive number")
        TenantTracker(self.tenant_window)  # refuses a bad window


class EngineObserver(Protocol):
    """Hooks an observer may define (any subset); attached from outside the engine."""

    def job_admitted(self, job: Job, now: float) -> None:
        """A request entered the RQ at ``now``."""

    def subjob_started(self, sj: SubJob, sa: int, now: float) -> None:
        """``sj`` started on SA ``sa``."""

    def subjob_finished(self, sj: SubJob, sa: int, now: float) -> None:
        """``sj`` finished on SA ``sa``."""

    def job_ended(self, job: Job, now: float) -> None:
        """``job`` ended (``job.status`` is met, missed or dropped)."""

    def ticked(self, now: float, view: SchedulerView | None, schedule: Schedule | None,
               policy_seconds: float) -> None:
        """A tick happened; ``view`` is None when the policy was not called."""

    def rates_changed(self, now: float, transfers: Sequence[Transfer]) -> None:
        """DRAM rates were recomputed for the running ``transfers``."""


#: Consecutive ticks with every SA idle and nothing started before a run is declared deadlocked.
STALL_TICKS = 10_000

_HOOKS = ("job_admitted", "subjob_started", "subjob_finished", "job_ended", "ticked",
          "rates_changed")


class _Urgent(simpy.Event):
    """An event that succeeds after ``delay`` with ``value``, scheduled URGENT so that it
    precedes completions at the same instant (ticks, and an external decision at a tick).

    (simpy's Timeout is always NORMAL; this mirrors its two lines with the other priority.)
    """

    def __init__(self, env: simpy.Environment, delay: float, value: object = None) -> None:
        super().__init__(env)
        self._ok = True
        self._value = value
        env.schedule(self, URGENT, delay)


class Simulation:
    """One run of a workload on a system under a policy (or an external decision-maker)."""

    def __init__(self, system: SystemSpec, workload: Workload, policy: Policy | None,
                 config: EngineConfig | None = None, *,
                 sharing: BandwidthSharing | None = None,
                 observers: Iterable[object] = ()) -> None:
        self.system = system
        self.config = config or EngineConfig()
        self.policy = policy
        self.env = simpy.Environment()
        self._hooks: dict[str, list] = {h: [] for h in _HOOKS}
        for obs in observers:
            self.attach(obs)
        self._models = ModelTable(workload.profiles, workload.isolated_latency, system)
        self.tenants = TenantTracker(self.config.tenant_window)
        """Per-tenant hit-rate deficits shown in the views (requests with targets only)."""
        self._table = JobTable()
        self.dram = DramArbiter(self.env, system.dram_bandwidth, sharing,
                                on_rates=self._rates_changed)
        wc = self.config.work_conserving
        self.sas = [SubAccelerator(self.env, m, self.dram, wc, self._started, self._finished)
                    for m in range(system.num_sas)]
        self._requests: Iterator[Request] = iter(workload.requests)
        self._next_request: Request | None = None
        self._last_arrival = -math.inf
        self._pull_request()
        self._live: list[tuple[tuple[float, float, int], Job]] = []
        self._unstarted = 0
        self._seq = 0
        self._tick_index = 0
        self.ticks = 0
        """Ticks processed."""
        self.decisions = 0
        """Sum over policy calls of the RQ size (SJ decisions made)."""
        self.policy_calls = 0
        self.policy_seconds = 0.0
        """Wall-clock time spent in the policy, seconds."""
        self._rq: ReadyQueue | None = None
        self._plan: Plan | None = None
        """The schedule of the last tick, in force until the next one."""
        self._unplanned: list[Job] = []
        self._started_count = 0
        self._started_at_last_tick = 0
        self._stalled_ticks = 0
        self._pending_view: SchedulerView | None = None
        self._decision_view: SchedulerView | None = None
        self._decision: simpy.Event | None = None
        self._process = self.env.process(self._scheduler())

    # -- wiring -----------------------------------------------------------------------------
    def attach(self, observer: object) -> None:
        """Register every hook of :class:`EngineObserver` that ``observer`` defines."""
        for hook in _HOOKS:
            fn = getattr(observer, hook, None)
            if fn is not None:
                self._hooks[hook].append(fn)

    # -- driving --------------------------------------------------------------------------------
    def run(self) -> None:
        """Run to the end (every request ended, every SA idle). Needs a policy."""
        if self.policy is None:
            raise PolicyError("Simulation.run() needs a policy; use next_decision()/submit()")
        with older_objects_frozen():  # full GC passes then cost the run's objects, not all
            self.env.run()
        self._check_all_ended()

    def _check_all_ended(self) -> None:
        """Every admitted request must have ended; otherwise the schedule deadlocked."""
        if self._live or self._next_request is not None:
            name = self.policy.name if self.policy is not None else "external"
            raise PolicyError(f"the run stopped with {len(self._live)} requests unfinished: "
                              f"the schedules of policy {name!r} deadlock (strict order?)")

    def next_decision(self) -> SchedulerView | None:
        """Advance to the next tick that needs a decision and return its view (None: run over).

        Only without a policy. Answer with :meth:`submit` before calling this again.
        """
        if self.policy is not None:
            raise PolicyError("next_decision() is for simulations without a policy")
        if self._pending_view is not None:
            raise PolicyError("the previous decision has not been submitted")
        env = self.env
        while self._decision is None:
            if env.peek() == math.inf:
                self._check_all_ended()
                return None
            env.step()
        self._pending_view = self._decision_view
        return self._pending_view

    def submit(self, schedule: Schedule) -> None:
        """Answer the view returned by :meth:`next_decision`."""
        if self._pending_view is None or self._decision is None:
            raise PolicyError("submit() without a pending decision")
        validate_schedule(schedule, self._pending_view, "external")
        self._pending_view = None
        # Resume the scheduler before any completion pending at this instant, exactly as a
        # policy called inside the tick would.
        decision, self._decision = self._decision, None
        decision._ok = True  # Event.succeed() with URGENT instead of NORMAL priority
        decision._value = schedule
        self.env.schedule(decision, URGENT)

    @property
    def now(self) -> float:
        """Current simulated time, cycles."""
        return float(self.env.now)

    @property
    def finished(self) -> bool:
        """True once nothing is left to happen."""
        return self.env.peek() == math.inf

    # -- arrivals ---------------------------------------------------------------------------
    def _pull_request(self) -> None:
        req = next(self._requests, None)
        if req is not None:
            if req.arrival < self._last_arrival:
                raise ConfigError(f"request {req.job_id} arrives at {req.arrival!r}, before "
                                  f"the previous one ({self._last_arrival!r}): requests must "
                                  "be sorted by arrival")
            if req.model not in self._models.index:
                raise ConfigError(f"request {req.job_id}: "
                                  + unknown_name("model", req.model, self._models.index))
            self._last_arrival = req.arrival
        self._next_request = req

    def _admit_arrivals(self, now: float) -> None:
        while self._next_request is not None and self._next_request.arrival <= now:
            req = self._next_request
            job = self._models.new_job(req)
            self._table.add(job)
            bisect.insort(self._live, (job.sort_key(), job), key=lambda e: e[0])
            self._unplanned.append(job)
            self._unstarted += job.unstarted
            for fn in self._hooks["job_admitted"]:
                fn(job, now)
            self._pull_request()

    # -- the scheduler process -------------------------------------------------------------------
    def _scheduler(self) -> Generator[simpy.Event, object, None]:
        period = self.config.period
        while True:
            view = self._prepare_tick()
            if view is not None:
                if self.policy is None:
                    self._decision_view = view
                    self._decision = self.env.event()
                    answer = yield self._decision  # answered by submit() at this instant
                    assert isinstance(answer, Schedule)
                    schedule, seconds = answer, 0.0
                else:
                    start = time.perf_counter()
                    answer = self.policy.schedule(view)
                    seconds = time.perf_counter() - start
                    schedule = validate_schedule(answer, view, self.policy.name)
                self.policy_seconds += seconds
                self._install(view, schedule)
            else:
                schedule, seconds = None, 0.0
            for fn in self._hooks["ticked"]:
                fn(self.env.now, view, schedule, seconds)
            # Next tick: the next grid point, or, with nothing left to plan, the first grid
            # point at or after the next arrival.
            if self._unstarted == 0 or not (self.config.requeue_unstarted or self._unplanned):
                # Nothing to plan before the next arrival; wake for it, or for the first tick
                # after a deadline that drops waiting sub-jobs, whichever comes first.
                k = self._next_event_tick()
                if k is None:
                    return
            else:
                k = self._tick_index + 1
                self._check_progress()
            self._tick_index = k
            yield _Urgent(self.env, k * period - self.env.now)

    def _prepare_tick(self) -> SchedulerView | None:
        """Admit, drop, collect the RQ; return its view, or None if no policy call is needed."""
        now = float(self.env.now)
        self.ticks += 1
        self._admit_arrivals(now)
        if self.config.drop_expired:
            self._drop_expired(now)
        requeue = self.config.requeue_unstarted
        if requeue:  # unstarted SJs return to the RQ: forget the last schedule
            for sa in self.sas:
                sa.clear()
            self._plan = None  # a job's plan counts only while it is this one
            jobs = [job for _, job in self._live if job.unstarted]
        else:  # only requests no schedule has seen yet
            jobs = sorted((job for job in self._unplanned if job.unstarted), key=Job.sort_key)
        if not jobs:
            self._unplanned = []
            return None
        self.dram.sync()
        if self.config.skip_futile_ticks and self._futile(now):
            return None
        self._rq = collect(jobs, self._models, self._table, self._rq, reuse=requeue)
        view = build_view(now, self.config.period, self._rq, self._models, self.sas,
                          self.system, self.tenants)
        self._unplanned = []
        self.policy_calls += 1
        self.decisions += view.size
        return view

    def _next_event_tick(self) -> int | None:
        """Index of the next tick that admits a request or drops one (None: no such tick)."""
        period = self.config.period
        candidates = []
        if self._next_request is not None:
            candidates.append(math.ceil(self._next_request.arrival / period))
        if self.config.drop_expired and self._unstarted:
            deadline = next(key[0] for key, job in self._live if job.unstarted)
            candidates.append(math.floor(deadline / period) + 1)  # first tick after it
        if not candidates:
            return None
        return max(self._tick_index + 1, min(candidates))

    def _check_progress(self) -> None:
        """Refuse to tick forever on a schedule that can never run.

        Strict order can deadlock (an SA's head waits for a predecessor queued behind it);
        without firm deadlines nothing would ever end the run.
        """
        if self._started_count != self._started_at_last_tick or any(
                sa.running is not None for sa in self.sas) or self._next_request is not None:
            self._started_at_last_tick = self._started_count
            self._stalled_ticks = 0
            return
        self._stalled_ticks += 1
        if self._stalled_ticks >= STALL_TICKS:
            name = self.policy.name if self.policy is not None else "external"
            raise PolicyError(f"no sub-job could start for {STALL_TICKS} ticks with every SA "
                              f"idle and {self._unstarted} sub-jobs waiting: the schedules of "
                              f"policy {name!r} deadlock (strict order?)")

    def _futile(self, now: float) -> bool:
        """True if no SA can be free before the next tick, whatever happens to DRAM rates."""
        horizon = (self._tick_index + 1) * self.config.period - now
        # rate <= 1, so a running SJ finishes no earlier than now + its remaining work.
        return all(sa.transfer is not None and sa.transfer.remaining > horizon
                   for sa in self.sas)

    def _drop_expired(self, now: float) -> None:
        for key, job in list(self._live):
            if key[0] >= now:
                break  # sorted by deadline: the rest are not expired
            if not job.unstarted:
                continue  # everything started: it can only finish (late), nothing to drop
            self._drop_job(job, now)

    def _drop_job(self, job: Job, now: float) -> None:
        """Drop ``job``: its unstarted SJs never run (some may have started and run on)."""
        for sj in job.subjobs:
            if sj.state == PENDING:
                sj.state = DROPPED
        job.left.fill(-1)
        self._unstarted -= job.unstarted
        job.unstarted = 0
        job.version += 1
        Job.changes += 1
        self._end_job(job, "dropped", now)

    def _install(self, view: SchedulerView, schedule: Schedule) -> None:
        """Hand the schedule to the SAs: O(jobs + ready SJs), not O(RQ).

        Each planned job keeps a reference to the schedule and its block's place in it; an SJ
        takes its SA and priority from there when it becomes ready (or now, if it is ready).
        Strict order needs every assigned SJ in its SA's queue, so it pushes them all.
        """
        rq = self._rq
        assert rq is not None
        # Copies: the policy may reuse its arrays; the plan stays in force until the next tick.
        plan = Plan(np.array(schedule.sa), np.array(schedule.priority), self._seq, rq.slot_rq)
        self._plan = plan
        self._seq += view.size
        for job, slot in zip(rq.jobs, rq.slot_start, strict=True):
            job.plan = plan
            job.plan_slot = slot
        for sj in rq.subjobs(ready_only=self.config.work_conserving):
            self._enqueue(sj)
        for sa in self.sas:
            sa.wake()

    def _enqueue(self, sj: SubJob) -> None:
        """Queue ``sj`` on the SA its job's plan gives it (the plan must exist)."""
        job = sj.job
        plan = job.plan
        assert plan is not None
        i = int(plan.slot_rq[job.plan_slot + sj.layer])  # the SJ's RQ index in the plan
        sj.sa = int(plan.sa[i])
        sj.sched_priority = float(plan.priority[i])
        self.sas[sj.sa].push(sj, plan.seq + i)

    # -- SA callbacks ---------------------------------------------------------------------------
    def _started(self, sj: SubJob) -> None:
        self._started_count += 1
        job = sj.job
        job.left[sj.layer] = -1
        job.unstarted -= 1
        job.version += 1
        Job.changes += 1
        self._unstarted -= 1
        for fn in self._hooks["subjob_started"]:
            fn(sj, sj.sa, sj.start)

    def _finished(self, sj: SubJob) -> None:
        now = sj.finish
        sj.state = DONE
        job = sj.job
        job.layers_left -= 1
        job.remaining_work -= self._models.min_latency[job.model_id][sj.layer]
        job.version += 1
        Job.changes += 1
        if job.status == "live":
            self._table.set_remaining(job)
        for fn in self._hooks["subjob_finished"]:
            fn(sj, sj.sa, now)
        subjobs = job.subjobs
        # Planned: by the schedule in force (re-queueing), or by any (a job keeps its first).
        planned = job.plan is not None and (job.plan is self._plan
                                            or not self.config.requeue_unstarted)
        wc = self.config.work_conserving
        left = job.left
        for s in job.profile.successors[sj.layer]:
            succ = subjobs[s]
            succ.preds_left -= 1
            if succ.state == PENDING:
                left[s] = succ.preds_left  # the same count (a Python int: the cheaper write)
            if succ.preds_left == 0 and succ.state == PENDING and planned:
                if wc:
                    self._enqueue(succ)
                self.sas[succ.sa].wake()
        if job.layers_left == 0:
            if job.status == "live":
                self._end_job(job, "met" if now <= job.deadline else "missed", now)
            job.end = now

    def _end_job(self, job: Job, status: str, now: float) -> None:
        job.status = status  # type: ignore[assignment]
        target = job.request.target
        if target is not None:
            self.tenants.record(job.request.tenant, target, status == "met")
        entry = (job.sort_key(), job)
        i = bisect.bisect_left(self._live, entry[0], key=lambda e: e[0])
        while self._live[i][1] is not job:
            i += 1
        del self._live[i]
        self._table.remove(job)
        for fn in self._hooks["job_ended"]:
            fn(job, now)

    def _rates_changed(self, now: float, transfers: Sequence[Transfer]) -> None:
        for fn in self._hooks["rates_changed"]:
            fn(now, transfers)
