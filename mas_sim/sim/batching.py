"""Batched execution (opt-in): per-model batch queues, batch jobs, members, concurrency caps.

The second level of a two-level scheduler. With a :class:`BatchingPolicy` the engine
(:class:`BatchingSimulation`) works as follows; without one nothing here runs and every run is
byte-identical to the plain engine's.

- **Queues.** A request arriving at ``t`` enters its model's batch queue at the first tick at or
  after ``t`` (not the ready queue, RQ). Queues are FIFO.
- **Firm deadlines.** At a tick, a queued request past its deadline leaves its queue ``dropped``
  (with ``EngineConfig.drop_expired``, the default).
- **Decision.** Then, if any queue is non-empty or a batch ended since the last call, the
  batching policy is called with a :class:`BatchView` and answers a :class:`BatchDecision`: for
  each model the sizes of the batches to close now (taken from the head of the queue, oldest
  first) and, optionally, each model's **instances**: the number of SAs its sub-jobs may occupy
  at once (1..M; default M).
- **Batches.** A batch of ``b`` requests of one model is one job (a :class:`BatchJob`) whose
  sub-jobs carry the cost of the whole batch (the cost model's batch profile,
  ``mas_sim.hardware.costmodel.profile(..., batch=b)``). It enters the RQ at once, like a plain
  request, and the layer policy schedules it like any job: its deadline is its earliest live
  member's, its arrival its oldest member's, its priority its most important member's, its
  isolated latency the batch's. Its id is its oldest member's request id.
- **Members.** Every member keeps its own arrival, deadline, tenant and priority and ends once,
  on its own: when the batch's last layer finishes, each live member is ``met`` (by its own
  deadline) or ``missed``; at a tick, while the batch has unstarted sub-jobs, a member past its
  deadline is ``dropped`` from the batch (as a plain request would be). The batch keeps its size
  and cost (its tensors were laid out for ``b`` images when it was formed); when its last member
  is dropped, its unstarted sub-jobs are dropped too. Observers' ``job_ended`` is called once per
  *member* with a :class:`Member`, never with the batch job.
- **Concurrency.** An SA does not start a sub-job of a model whose sub-jobs already run on as
  many SAs as the model's instances: the cap is the engine's, so every layer policy respects it.
  Work conservation then starts the SA's next admissible sub-job.

Times in cycles. Model indices ``k`` follow :attr:`BatchView.model_names` (the workload's models,
sorted by name).
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from mas_sim.core.errors import ConfigError, PolicyError
from mas_sim.hardware.costmodel.batch import MAX_BATCH, check_batch
from mas_sim.hardware.profile import ModelProfile
from mas_sim.sim.engine import STALL_TICKS, EngineConfig, Simulation
from mas_sim.sim.isolated import isolated_latency
from mas_sim.sim.jobs import Job, JobStatus, SubJob
from mas_sim.sim.requests import Request, Workload
from mas_sim.sim.view import Policy

if TYPE_CHECKING:
    from mas_sim.hardware import SystemSpec
    from mas_sim.sim.dram import BandwidthSharing

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

BatchProfiles = Callable[[str, int], ModelProfile]
"""``batch_profiles(model, b) -> ModelProfile``: the cost of a batch of ``b`` requests of
``model`` (``b = 1``: the workload's own profile)."""


@dataclass(frozen=True)
class BatchOutcome:
    """A batch that ended: how its members fared."""

    model: int
    """Model index."""
    size: int
    """Requests in the batch when it was formed."""
    formed: float
    """When it was formed (entered the RQ), cycles."""
    end: float
    """When it ended (finished, or its last member was dropped), cycles."""
    met: int
    missed: int
    dropped: int
    max_latency: float
    """Largest finish - arrival over its finished members, cycles (NaN if none finished)."""

    @property
    def slo_held(self) -> bool:
        """True if no member missed or was dropped."""
        return self.missed == 0 and self.dropped == 0


@dataclass(frozen=True, eq=False)
class BatchView:
    """What a batching policy sees at a tick (read-only; arrays not writeable)."""

    now: float
    """Current time, cycles."""
    period: float
    """Scheduling period, cycles: the next call comes at ``now + period`` at the earliest."""
    model_names: tuple[str, ...]
    """The workload's models; index ``k`` everywhere."""
    queue_arrival: tuple[FloatArray, ...]
    """Per model, arrival times of the waiting requests, oldest first."""
    queue_deadline: tuple[FloatArray, ...]
    """Per model, their absolute deadlines (same order)."""
    arrived: IntArray
    """``[K]`` requests that entered each queue since the previous call."""
    live_batches: IntArray
    """``[K]`` batches of each model in the RQ or running (formed, not ended)."""
    running: IntArray
    """``[K]`` SAs running a sub-job of each model now."""
    instances: IntArray
    """``[K]`` each model's cap on SAs in force."""
    isolated_latency: FloatArray
    """``[K]`` C_SP of one request of each model (alone on the idle system), cycles."""
    finished: tuple[BatchOutcome, ...]
    """Batches that ended since the previous call."""
    sa_busy_for: FloatArray
    """``[M]`` cycles until each SA finishes its running sub-job at current DRAM rates."""
    running_bandwidth: FloatArray
    """``[M]`` stall-free DRAM demand of the sub-job running on each SA, bytes/cycle."""
    dram_bandwidth: float
    """Shared DRAM bandwidth, bytes/cycle."""
    rq_work: float
    """Sum of the unfinished layers' minimum latency over every live batch, cycles (the
    work already admitted)."""
    batch_latency: Callable[[int, int], float]
    """``batch_latency(k, b)``: isolated latency of a batch of ``b`` requests of model ``k``
    (alone on the idle system), cycles; computed on first use and cached."""

    @property
    def num_models(self) -> int:
        """K."""
        return len(self.model_names)

    @property
    def num_sas(self) -> int:
        """M."""
        return int(self.sa_busy_for.shape[0])

    @property
    def queue_length(self) -> IntArray:
        """``[K]`` waiting requests per model."""
        return np.array([len(q) for q in self.queue_arrival], dtype=np.int64)


@dataclass(frozen=True)
class BatchDecision:
    """A batching policy's answer."""

    close: tuple[tuple[int, ...], ...]
    """Per model, the sizes of the batches to form now from the head of its queue (each in
    ``1..MAX_BATCH``; together at most the queue's length); ``()`` closes none."""
    instances: tuple[int, ...] | None = None
    """Per model, the cap on SAs its sub-jobs may occupy at once (``1..M``); None keeps the
    caps in force."""

    @classmethod
    def nothing(cls, models: int) -> BatchDecision:
        """Close nothing, keep the caps."""
        return cls(((),) * models)


@runtime_checkable
class BatchingPolicy(Protocol):
    """When to close a batch, its size, and each model's concurrency (see the module docstring).

    ``decide`` is called at ticks where some queue is non-empty or some batch ended since the
    previous call; it must not modify the view.
    """

    name: str

    def reset(self, system: SystemSpec, models: tuple[str, ...], seed: int | None = None) -> None:
        """Prepare for a run on ``system`` serving ``models`` (the view's model order)."""

    def decide(self, view: BatchView) -> BatchDecision:
        """The batches to close now and the concurrency caps."""


def check_decision(decision: object, view: BatchView, name: str) -> BatchDecision:
    """Shape and ranges of a policy's answer; :class:`PolicyError` naming the policy."""
    where = f"batching policy {name!r} returned an invalid decision"
    if not isinstance(decision, BatchDecision):
        raise PolicyError(f"{where}: expected a BatchDecision, got {type(decision).__name__}")
    k = view.num_models
    if len(decision.close) != k:
        raise PolicyError(f"{where}: close has {len(decision.close)} entries, expected {k}")
    for i, sizes in enumerate(decision.close):
        for b in sizes:
            if isinstance(b, bool) or not isinstance(b, int | np.integer) \
                    or not 1 <= b <= MAX_BATCH:
                raise PolicyError(f"{where}: batch size {b!r} for {view.model_names[i]!r}, "
                                  f"expected an integer in 1..{MAX_BATCH}")
        if sum(sizes) > len(view.queue_arrival[i]):
            raise PolicyError(f"{where}: batches {list(sizes)} of {view.model_names[i]!r} take "
                              f"{sum(sizes)} requests, {len(view.queue_arrival[i])} are waiting")
    if decision.instances is not None:
        check_instances(decision.instances, k, view.num_sas, where)
    return decision


def check_instances(instances: Sequence[int], models: int, sas: int, where: str) -> None:
    """Each cap an integer in ``1..sas``; :class:`PolicyError` otherwise."""
    if len(instances) != models:
        raise PolicyError(f"{where}: instances has {len(instances)} entries, expected {models}")
    for c in instances:
        if isinstance(c, bool) or not isinstance(c, int | np.integer) or not 1 <= c <= sas:
            raise PolicyError(f"{where}: concurrency {c!r}, expected an integer in 1..{sas} "
                              f"(the number of SAs)")


class Member:
    """One request served by a batch, as observers' ``job_ended`` receives it."""

    __slots__ = ("batch", "end", "isolated_latency", "request", "status")

    def __init__(self, request: Request, isolated: float, batch: BatchJob | None) -> None:
        self.request = request
        self.isolated_latency = isolated
        """C_SP of one request of its model, cycles (not the batch's)."""
        self.batch = batch
        """The batch that served it (None: dropped while waiting in its queue)."""
        self.status: JobStatus = "live"
        self.end = math.nan
        """When it ended, cycles."""

    @property
    def job_id(self) -> int:
        """The request's id."""
        return self.request.job_id

    @property
    def deadline(self) -> float:
        """Its own absolute deadline, cycles."""
        return self.request.deadline


class BatchJob(Job):
    """A batch: one job (its sub-jobs carry the batch's cost) serving several requests."""

    __slots__ = ("base_model", "formed", "members", "size")

    def __init__(self, request: Request, profile: ModelProfile, variant: int, isolated: float,
                 min_latency: list[float], base_model: int, size: int, formed: float) -> None:
        super().__init__(request, profile, variant, isolated, min_latency)
        self.base_model = base_model
        """Index of the model in :attr:`BatchView.model_names`."""
        self.members: list[Member] = []
        """The requests it serves, oldest first."""
        self.size = size
        """Requests in the batch when formed (its cost is this size's)."""
        self.formed = formed
        """When it entered the RQ, cycles."""

    def live_members(self) -> list[Member]:
        """Members that have not ended."""
        return [m for m in self.members if m.status == "live"]


def batch_request(members: Sequence[Request], size: int, job_id: int | None = None) -> Request:
    """The request a batch presents to the layer policy (see the module docstring); its id is
    ``job_id`` (default: the oldest member's)."""
    head = members[0]
    return Request(job_id=head.job_id if job_id is None else job_id, model=head.model,
                   arrival=min(r.arrival for r in members),
                   deadline=min(r.deadline for r in members), tenant=head.tenant,
                   priority=max(r.priority for r in members), qos=head.qos, batch=size)


class _Variants:
    """(model, batch size) -> an extra model of the engine's table, added on first use."""

    def __init__(self, sim: BatchingSimulation, profiles: BatchProfiles) -> None:
        self.sim = sim
        self.profiles = profiles
        self.ids: dict[tuple[int, int], int] = {}

    def get(self, k: int, b: int) -> int:
        key = (k, b)
        hit = self.ids.get(key)
        if hit is not None:
            return hit
        table = self.sim._models
        name = table.names[k]
        if b == 1:
            self.ids[key] = k
            return k
        profile = self.profiles(name, b)
        if not isinstance(profile, ModelProfile) or profile.num_layers != \
                table.profiles[k].num_layers or profile.num_sas != table.profiles[k].num_sas:
            raise ConfigError(f"batch profile of {name!r} for b = {b} does not match the "
                              "model's layers and SAs")
        # The view's model_names[model_id] stays the model's name.
        variant = table.add_model(name, profile, isolated_latency(profile, self.sim.system,
                                                                  self.sim.config.period))
        self.ids[key] = variant
        return variant

    def latency(self, k: int, b: int) -> float:
        """Isolated latency of a batch of ``b`` of model ``k``, cycles."""
        return float(self.sim._models.isolated[self.get(k, check_batch(b))])


class BatchingSimulation(Simulation):
    """The engine with batch queues in front of the RQ, under a :class:`BatchingPolicy`.

    ``batch_profiles(model, b)`` gives the cost of a batch (e.g. the cost model's
    ``profile(model, system, batch=b)``). Everything else is :class:`Simulation`'s.
    """

    def __init__(self, system: SystemSpec, workload: Workload, policy: Policy | None,
                 batching: BatchingPolicy, batch_profiles: BatchProfiles,
                 config: EngineConfig | None = None, *,
                 sharing: BandwidthSharing | None = None,
                 observers: Iterable[object] = ()) -> None:
        super().__init__(system, workload, policy, config, sharing=sharing, observers=observers)
        self.batching = batching
        self._base_names = self._models.names
        k = len(self._base_names)
        self._queues: list[deque[Request]] = [deque() for _ in range(k)]
        self._variants = _Variants(self, batch_profiles)
        self._instances = [system.num_sas] * k
        self._running = [0] * k
        self._live_batches = [0] * k
        self._arrived = [0] * k
        self._outcomes: list[BatchOutcome] = []
        self._waiting = 0
        self._idle_ticks = 0
        self.batches = 0
        """Batches formed."""
        self.batching_calls = 0
        for sa in self.sas:
            sa.admit = self._admissible

    # -- the concurrency cap ----------------------------------------------------------------
    def _admissible(self, sj: SubJob) -> bool:
        job = sj.job
        assert isinstance(job, BatchJob)
        k = job.base_model
        return self._running[k] < self._instances[k]

    def _started(self, sj: SubJob) -> None:
        job = sj.job
        assert isinstance(job, BatchJob)
        self._running[job.base_model] += 1
        super()._started(sj)

    def _finished(self, sj: SubJob) -> None:
        job = sj.job
        assert isinstance(job, BatchJob)
        k = job.base_model
        self._running[k] -= 1
        super()._finished(sj)
        if self._running[k] == self._instances[k] - 1:  # was at its cap: others may start now
            for sa in self.sas:
                sa.wake()

    # -- arrivals, queues and the batching decision ------------------------------------------
    def _admit_arrivals(self, now: float) -> None:
        index = self._models.index
        while self._next_request is not None and self._next_request.arrival <= now:
            req = self._next_request
            k = index[req.model]
            self._queues[k].append(req)
            self._arrived[k] += 1
            self._waiting += 1
            self._pull_request()
        if self.config.drop_expired:
            self._drop_queued(now)
        if self._waiting or self._outcomes:
            self._decide(now)

    def _drop_queued(self, now: float) -> None:
        for k, queue in enumerate(self._queues):
            if not queue or all(r.deadline >= now for r in queue):
                continue
            kept: deque[Request] = deque()
            for req in queue:
                if req.deadline < now:
                    self._end_alone(req, k, now)
                else:
                    kept.append(req)
            self._queues[k] = kept

    def _end_alone(self, req: Request, k: int, now: float) -> None:
        """A queued request dropped before it joined a batch: a member of no batch."""
        self._waiting -= 1
        self._end_member(Member(req, self._models.isolated[k], None), "dropped", now)

    def _view(self, now: float) -> BatchView:
        self.dram.sync()
        m = self.system.num_sas
        busy, bw = np.zeros(m), np.zeros(m)
        for sa in self.sas:
            if sa.transfer is not None:
                busy[sa.index] = sa.transfer.time_left()
                bw[sa.index] = sa.transfer.demand
        k = len(self._queues)
        base = self._models.isolated[:k]
        return BatchView(
            now=now, period=self.config.period, model_names=self._base_names,
            queue_arrival=tuple(_frozen(np.array([r.arrival for r in q])) for q in self._queues),
            queue_deadline=tuple(_frozen(np.array([r.deadline for r in q]))
                                 for q in self._queues),
            arrived=_frozen(np.array(self._arrived, dtype=np.int64)),
            live_batches=_frozen(np.array(self._live_batches, dtype=np.int64)),
            running=_frozen(np.array(self._running, dtype=np.int64)),
            instances=_frozen(np.array(self._instances, dtype=np.int64)),
            isolated_latency=_frozen(np.array(base, dtype=np.float64)),
            finished=tuple(self._outcomes), sa_busy_for=_frozen(busy),
            running_bandwidth=_frozen(bw), dram_bandwidth=self.system.dram_bandwidth,
            rq_work=float(sum(job.remaining_work for _, job in self._live)),
            batch_latency=self._variants.latency)

    def _decide(self, now: float) -> None:
        view = self._view(now)
        self.batching_calls += 1
        decision = check_decision(self.batching.decide(view), view, self.batching.name)
        self._arrived = [0] * len(self._queues)
        self._outcomes = []
        if decision.instances is not None:
            self._instances = [int(c) for c in decision.instances]
            for sa in self.sas:
                sa.wake()
        formed = False
        for k, sizes in enumerate(decision.close):
            for b in sizes:
                self._form(k, int(b), now)
                formed = True
        self._idle_ticks = 0 if formed or not self._waiting else self._idle_ticks + 1
        if self._idle_ticks >= STALL_TICKS and not self._live and not self.config.drop_expired:
            raise PolicyError(f"batching policy {self.batching.name!r} closed no batch for "
                              f"{STALL_TICKS} ticks with {self._waiting} requests waiting and "
                              "nothing running")

    def _form(self, k: int, b: int, now: float) -> None:
        queue = self._queues[k]
        reqs = [queue.popleft() for _ in range(b)]
        self._waiting -= b
        variant = self._variants.get(k, b)
        table = self._models
        job = BatchJob(batch_request(reqs, b), table.profiles[variant], variant,
                       table.isolated[variant], table.min_latency[variant], k, b, now)
        job.members = [Member(r, table.isolated[k], job) for r in reqs]
        self._table.add(job)
        bisect.insort(self._live, (job.sort_key(), job), key=lambda e: e[0])
        self._unplanned.append(job)
        self._unstarted += job.unstarted
        self._live_batches[k] += 1
        self.batches += 1
        for fn in self._hooks["job_admitted"]:
            fn(job, now)

    # -- firm deadlines and outcomes ----------------------------------------------------------
    def _drop_expired(self, now: float) -> None:
        for key, job in list(self._live):
            if key[0] >= now:
                break
            if not job.unstarted:
                continue  # everything started: its members can only finish
            assert isinstance(job, BatchJob)
            live = job.live_members()
            expired = [m for m in live if m.deadline < now]
            if len(expired) == len(live):
                self._drop_job(job, now)
                continue
            for member in expired:
                self._end_member(member, "dropped", now)
            self._relist(job, [m for m in live if m.status == "live"])

    def _relist(self, job: BatchJob, live: list[Member]) -> None:
        """The batch's deadline is its earliest live member's: re-sort it in the live list."""
        self._remove_live(job)
        job.request = batch_request([m.request for m in live], job.size, job.job_id)
        self._table.write(job)
        job.version += 1
        Job.changes += 1
        bisect.insort(self._live, (job.sort_key(), job), key=lambda e: e[0])

    def _remove_live(self, job: Job) -> None:
        key = job.sort_key()
        i = bisect.bisect_left(self._live, key, key=lambda e: e[0])
        while self._live[i][1] is not job:
            i += 1
        del self._live[i]

    def _end_member(self, member: Member, status: JobStatus, now: float) -> None:
        member.status = status
        member.end = now
        target = member.request.target
        if target is not None:
            self.tenants.record(member.request.tenant, target, status == "met")
        for fn in self._hooks["job_ended"]:
            fn(member, now)

    def _end_job(self, job: Job, status: str, now: float) -> None:
        assert isinstance(job, BatchJob)
        job.status = status  # type: ignore[assignment]
        self._remove_live(job)
        self._table.remove(job)
        self._live_batches[job.base_model] -= 1
        for member in job.live_members():
            if status == "dropped":
                self._end_member(member, "dropped", now)
            else:
                self._end_member(member, "met" if now <= member.deadline else "missed", now)
        counts = {s: sum(m.status == s for m in job.members) for s in ("met", "missed",
                                                                        "dropped")}
        done = [m.end - m.request.arrival for m in job.members if m.status != "dropped"]
        self._outcomes.append(BatchOutcome(
            job.base_model, job.size, job.formed, now, counts["met"], counts["missed"],
            counts["dropped"], max(done) if done else math.nan))

    # -- ticking ------------------------------------------------------------------------------
    def _next_event_tick(self) -> int | None:
        if self._waiting or self._outcomes:
            return self._tick_index + 1  # waiting requests: every tick may close a batch
        return super()._next_event_tick()

    def _check_all_ended(self) -> None:
        if self._waiting:
            raise PolicyError(f"the run stopped with {self._waiting} requests still waiting in "
                              f"batch queues (batching policy {self.batching.name!r})")
        super()._check_all_ended()


def _frozen(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


def utility(met: float, violated: float, seconds: float, normalised_latency: float) -> float:
    """The utility a batching policy maximises, inferences per second::

        U = (met - violated) / seconds / normalised latency

    Kleinrock's *power* (throughput over delay), the usual single number for a
    throughput-latency trade-off, applied to SLO-aware serving: ``met`` and ``violated``
    (missed or dropped) count requests, each violation cancelling one met request, so throughput
    bought with misses does not pay (half the requests violated: U = 0); the latency is the mean
    of finish - arrival over isolated latency of the finished requests (>= 1; 1 if none
    finished), so every model of a mixed workload weighs alike. ``seconds`` is the span the
    counts cover. Maximising it finds the batch size past which the latency that batching adds
    costs more than the throughput it brings.
    """
    if not seconds > 0:
        return 0.0
    ell = normalised_latency if math.isfinite(normalised_latency) and normalised_latency > 0 \
        else 1.0
    return (met - violated) / seconds / ell
