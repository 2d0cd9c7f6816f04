"""A sub-accelerator: a SimPy process that runs one sub-job at a time, non-preemptively.

Its local queue holds the sub-jobs (SJs) the current schedule assigned to it. Work-conserving
(the default): whenever idle, it starts the highest-priority assigned SJ whose predecessors have
all finished. Strict order: it starts only the highest-priority assigned SJ, waiting for it to
become ready. Ties go to the SJ assigned first (lower ready-queue index).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Generator

import simpy

from mas_sim.sim.dram import DramArbiter, Transfer
from mas_sim.sim.jobs import PENDING, RUNNING, SubJob

_Entry = tuple[float, int, SubJob]


class SubAccelerator:
    """SA ``index``: local queue, the running SJ, and the process that executes them."""

    def __init__(self, env: simpy.Environment, index: int, dram: DramArbiter,
                 work_conserving: bool, on_start: Callable[[SubJob], None],
                 on_finish: Callable[[SubJob], None]) -> None:
        self.env = env
        self.index = index
        self.dram = dram
        self.work_conserving = work_conserving
        self.running: SubJob | None = None
        """The SJ executing now, if any."""
        self.transfer: Transfer | None = None
        """The DRAM arbiter's record of the running SJ (remaining work, rate)."""
        self._queue: list[_Entry] = []
        self._idle: simpy.Event | None = None
        self._on_start = on_start
        self._on_finish = on_finish
        self.admit: Callable[[SubJob], bool] | None = None
        """If set, a ready SJ for which it returns False is not started now (it stays queued;
        :meth:`wake` the SA when that may change): the batching engine's concurrency caps."""
        self.process = env.process(self._run())

    def clear(self) -> None:
        """Forget every queued SJ (at a tick, unstarted SJs return to the ready queue)."""
        self._queue = []

    def push(self, sj: SubJob, seq: int) -> None:
        """Queue ``sj`` (already given ``sa`` and ``sched_priority``) under entry number ``seq``.

        With work conservation only ready SJs are pushed, when they become ready.
        """
        sj.entry = seq
        heapq.heappush(self._queue, (-sj.sched_priority, seq, sj))

    def wake(self) -> None:
        """Let an idle SA look at its queue again (an SJ was queued or became ready)."""
        if self._idle is not None:
            idle, self._idle = self._idle, None
            idle.succeed()

    def _next(self) -> SubJob | None:
        """Pop the SJ to start now, or None; drops stale entries on the way."""
        if self.admit is not None:
            return self._next_admitted(self.admit)
        queue = self._queue
        while queue:
            sj = queue[0][2]
            if sj.state != PENDING or sj.entry != queue[0][1] or sj.sa != self.index:
                heapq.heappop(queue)  # started elsewhere, dropped, or re-assigned
                continue
            if sj.preds_left:
                if self.work_conserving:  # cannot happen: only ready SJs are pushed
                    raise AssertionError("unready sub-job in a work-conserving queue")
                return None  # strict order: wait for the head
            heapq.heappop(queue)
            return sj
        return None

    def _next_admitted(self, admit: Callable[[SubJob], bool]) -> SubJob | None:
        """:meth:`_next` skipping SJs ``admit`` refuses (they stay queued, in order)."""
        queue = self._queue
        held: list[_Entry] = []
        found: SubJob | None = None
        while queue:
            entry = queue[0]
            sj = entry[2]
            if sj.state != PENDING or sj.entry != entry[1] or sj.sa != self.index:
                heapq.heappop(queue)
                continue
            if sj.preds_left:
                if self.work_conserving:
                    raise AssertionError("unready sub-job in a work-conserving queue")
                break  # strict order: wait for the head
            if not admit(sj):
                if not self.work_conserving:
                    break  # strict order: the head waits for its model's cap
                held.append(heapq.heappop(queue))
                continue
            found = heapq.heappop(queue)[2]
            break
        for entry in held:
            heapq.heappush(queue, entry)
        return found

    def _run(self) -> Generator[simpy.Event, object, None]:
        env = self.env
        while True:
            sj = self._next()
            if sj is None:
                self._idle = env.event()
                yield self._idle
                continue
            sj.state = RUNNING
            sj.start = env.now
            self.running = sj
            self._on_start(sj)
            latency, bandwidth, _ = sj.job.profile.cost_rows
            self.transfer = self.dram.start(sj, latency[sj.layer][self.index],
                                            bandwidth[sj.layer][self.index])
            yield self.transfer.done
            self.running = None
            self.transfer = None
            sj.finish = env.now
            self._on_finish(sj)
