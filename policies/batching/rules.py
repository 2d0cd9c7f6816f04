"""The rule-based batching policies: fixed batch size, Triton's dynamic batcher, Clipper's AIMD.

Each implements :class:`mas_sim.sim.batching.BatchingPolicy`: at a tick it sees the per-model
batch queues (:class:`~mas_sim.sim.batching.BatchView`) and answers the batches to close now and
each model's concurrency cap. Times in cycles.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mas_sim.core.errors import ConfigError
from mas_sim.hardware import SystemSpec
from mas_sim.hardware.costmodel.batch import MAX_BATCH, check_batch
from mas_sim.sim.batching import BatchDecision, BatchView


def check_concurrency(instances: int | None, system: SystemSpec) -> int:
    """``instances`` (None: every SA) as an int in ``1..M``; :class:`ConfigError` otherwise."""
    m = system.num_sas
    if instances is None:
        return m
    if isinstance(instances, bool) or not isinstance(instances, int) or not 1 <= instances <= m:
        raise ConfigError(f"concurrency = {instances!r}, expected an integer in 1..{m} "
                          f"(the number of SAs)")
    return instances


#: How much longer than alone a batch is assumed to take when deciding whether a request can
#: wait: DRAM contention and queueing stretch latencies at the loads studied.
GUARD_FACTOR = 2.0


def cannot_wait(view: BatchView, k: int, position: int, size: int) -> bool:
    """True if request ``position`` of model ``k``'s queue would miss its deadline were it to
    wait one more period and then run in the batch it would then be closed in -- of ``size`` at
    most, of the requests from ``position`` on plus one more arrival -- taking
    :data:`GUARD_FACTOR` times that batch's isolated latency."""
    deadline = float(view.queue_deadline[k][position])
    then = min(size, len(view.queue_arrival[k]) - position + 1)
    return view.now + view.period + GUARD_FACTOR * view.batch_latency(k, then) > deadline


@dataclass
class FixedBatch:
    """Batches of ``batch`` requests; a partial batch (what is left) only when its oldest
    request cannot wait any longer (:func:`cannot_wait`): without that rule a fixed size
    starves light traffic until every request expires."""

    batch: int = 4
    """Batch size, 1..32."""
    instances: int | None = None
    """Each model's cap on SAs (None: every SA)."""
    name: str = field(init=False)
    _caps: tuple[int, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        self.batch = check_batch(self.batch)
        self.name = f"fixed-{self.batch}"

    def reset(self, system: SystemSpec, models: tuple[str, ...], seed: int | None = None) -> None:
        """Check the cap against the system."""
        self._caps = (check_concurrency(self.instances, system),) * len(models)

    def decide(self, view: BatchView) -> BatchDecision:
        """Full batches now, the rest when its oldest cannot wait."""
        close = []
        for k, queue in enumerate(view.queue_arrival):
            n = len(queue)
            sizes = [self.batch] * (n // self.batch)
            rest = n % self.batch
            if rest and cannot_wait(view, k, n - rest, self.batch):
                sizes.append(rest)
            close.append(tuple(sizes))
        return BatchDecision(tuple(close), self._caps)


@dataclass
class Timeout:
    """Triton's dynamic batcher: a batch closes when ``batch`` requests wait, or when the oldest
    has waited ``delay_fraction`` of its slack at arrival (deadline - arrival - isolated latency:
    Triton's max queue delay, set per model as a share of its latency budget)."""

    batch: int = 8
    """Preferred (and largest) batch size, 1..32."""
    delay_fraction: float = 0.25
    """Largest queue delay as a share of the oldest request's slack at arrival, in [0, 1]."""
    instances: int | None = None
    """Each model's cap on SAs (None: every SA)."""
    name: str = field(init=False, default="timeout")
    _caps: tuple[int, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        self.batch = check_batch(self.batch)
        if not (isinstance(self.delay_fraction, int | float) and 0 <= self.delay_fraction <= 1):
            raise ConfigError(f"delay_fraction = {self.delay_fraction!r}, expected a number "
                              "in [0, 1]")

    def reset(self, system: SystemSpec, models: tuple[str, ...], seed: int | None = None) -> None:
        """Check the cap against the system."""
        self._caps = (check_concurrency(self.instances, system),) * len(models)

    def decide(self, view: BatchView) -> BatchDecision:
        """Full batches, then the rest if its oldest has waited long enough."""
        close = []
        for k, arrivals in enumerate(view.queue_arrival):
            n = len(arrivals)
            sizes = [self.batch] * (n // self.batch)
            rest = n % self.batch
            if rest:
                i = n - rest
                slack = float(view.queue_deadline[k][i] - arrivals[i]) - view.isolated_latency[k]
                if view.now - float(arrivals[i]) >= self.delay_fraction * max(slack, 0.0):
                    sizes.append(rest)
            close.append(tuple(sizes))
        return BatchDecision(tuple(close), self._caps)


@dataclass
class Clipper:
    """Clipper's adaptive batching (Crankshaw et al., NSDI 2017): per model, a batch size that
    grows by ``step`` after every batch whose members all met their deadline and shrinks by
    ``decrease`` (10 %) after one that did not (AIMD). As in Clipper, a model's queue is
    dispatched -- up to the current size -- when fewer than ``inflight`` of its batches are in
    the system (a model container takes the next batch when it is free)."""

    step: float = 1.0
    """Additive increase, requests."""
    decrease: float = 0.1
    """Multiplicative decrease on a miss: size x (1 - decrease)."""
    inflight: int = 1
    """Batches of one model in the system at once (Clipper's replicas)."""
    instances: int | None = None
    """Each model's cap on SAs (None: every SA)."""
    name: str = field(init=False, default="clipper")
    sizes: list[float] = field(init=False, default_factory=list)
    """The current batch size of every model (real-valued; batches take its floor)."""
    _caps: tuple[int, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        if not (isinstance(self.step, int | float) and self.step > 0):
            raise ConfigError(f"step = {self.step!r}, expected a positive number")
        if not (isinstance(self.decrease, int | float) and 0 < self.decrease < 1):
            raise ConfigError(f"decrease = {self.decrease!r}, expected a number in (0, 1)")
        if isinstance(self.inflight, bool) or not isinstance(self.inflight, int) \
                or self.inflight < 1:
            raise ConfigError(f"inflight = {self.inflight!r}, expected a positive integer")

    def reset(self, system: SystemSpec, models: tuple[str, ...], seed: int | None = None) -> None:
        """Every model starts at batch size 1."""
        self._caps = (check_concurrency(self.instances, system),) * len(models)
        self.sizes = [1.0] * len(models)

    def decide(self, view: BatchView) -> BatchDecision:
        """Adapt the sizes to the batches that ended, then dispatch free models' queues."""
        for outcome in view.finished:
            k = outcome.model
            if outcome.slo_held:
                self.sizes[k] = min(float(MAX_BATCH), self.sizes[k] + self.step)
            else:
                self.sizes[k] = max(1.0, self.sizes[k] * (1.0 - self.decrease))
        close = []
        for k, arrivals in enumerate(view.queue_arrival):
            n = len(arrivals)
            free = self.inflight - int(view.live_batches[k])
            sizes: list[int] = []
            cap = int(self.sizes[k])
            while n and free > 0:
                sizes.append(min(n, cap))
                n -= sizes[-1]
                free -= 1
            close.append(tuple(sizes))
        return BatchDecision(tuple(close), self._caps)
