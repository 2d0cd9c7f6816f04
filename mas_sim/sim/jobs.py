"""Run-time state of requests (jobs) and their layers (sub-jobs), as the engine keeps it.

Observers receive these objects; treat them as read-only. Times in cycles.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

from mas_sim.hardware.profile import ModelProfile
from mas_sim.sim.requests import Request

# Sub-job states.
PENDING = 0
"""Not started: in the ready queue (or, without re-queueing, in an SA's local queue)."""
RUNNING = 1
DONE = 2
DROPPED = 3
"""Removed unstarted because its request's deadline passed (firm deadlines)."""

JobStatus = Literal["live", "met", "missed", "dropped"]


class Job:
    """One request being served: its profile, sub-jobs and progress."""

    __slots__ = ("end", "isolated_latency", "layers_left", "left", "model_id", "plan", "plan_slot",
                 "profile", "remaining_work", "request", "row", "status", "subjobs", "unstarted",
                 "version")

    changes = 0
    """Bumped whenever any job is made or any job's :attr:`version` changes (in this process; a
    plain counter beside ``version``, not a property, because it moves twice per sub-job):
    while it stands still, every ready queue is what it was (the engine reuses its arrays)."""

    def __init__(self, request: Request, profile: ModelProfile, model_id: int,
                 isolated_latency: float, min_latency: list[float],
                 num_preds: npt.NDArray[np.int64] | None = None) -> None:
        """``num_preds``: the number of predecessors of each layer (computed if None)."""
        self.request = request
        self.profile = profile
        self.model_id = model_id
        self.isolated_latency = isolated_latency
        """C_SP of the request's model, cycles."""
        if num_preds is None:
            num_preds = np.asarray([len(p) for p in profile.predecessors], dtype=np.int64)
        self.left = num_preds.copy()
        """Per layer: -1 once started (or dropped), else its unfinished predecessors (the
        sub-jobs' ``state`` and ``preds_left`` as one array, for the ready-queue kernel)."""
        self.subjobs = [SubJob(self, layer, preds)
                        for layer, preds in enumerate(num_preds.tolist())]
        self.layers_left = len(self.subjobs)
        """Sub-jobs not yet finished."""
        self.unstarted = len(self.subjobs)
        """Sub-jobs not yet started (pending)."""
        self.remaining_work = float(sum(min_latency))
        """Sum of min-over-SAs latency of the unfinished layers, cycles."""
        self.status: JobStatus = "live"
        self.end = float("nan")
        """When the job finished (all layers done), cycles; NaN if it never did."""
        self.version = 0
        """Bumped whenever a sub-job starts or finishes or the request changes (its place in the
        ready queue is rebuilt); whoever bumps it also bumps :attr:`changes`."""
        Job.changes += 1
        self.row = -1
        """The job's row in the engine's job table while it is live (-1: none)."""
        self.plan: Plan | None = None
        """The last schedule that planned the job's unstarted SJs (None: never planned). When
        unstarted SJs return to the RQ at each tick, it is in force only while it is the
        engine's latest schedule."""
        self.plan_slot = 0
        """Slot of the job's layer 0 in ``plan.slot_rq`` (layer ``l`` is ``plan_slot + l``)."""

    @property
    def job_id(self) -> int:
        """The request's id."""
        return self.request.job_id

    @property
    def deadline(self) -> float:
        """Absolute deadline, cycles."""
        return self.request.deadline

    @property
    def priority(self) -> int:
        """Priority class of the request."""
        return self.request.priority

    def sort_key(self) -> tuple[float, float, int]:
        """Ready-queue order: absolute deadline, then arrival, then job id."""
        r = self.request
        return (r.deadline, r.arrival, r.job_id)


class SubJob:
    """One layer of one job."""

    __slots__ = ("entry", "finish", "job", "layer", "preds_left", "sa", "sched_priority", "start",
                 "state")

    def __init__(self, job: Job, layer: int, preds_left: int) -> None:
        self.job = job
        self.layer = layer
        """Index of the layer in the profile's topological order."""
        self.preds_left = preds_left
        """Predecessors not yet finished."""
        self.state = PENDING
        self.sa = -1
        """Assigned SA index, -1 if unassigned."""
        self.sched_priority = 0.0
        """Priority given by the current schedule (higher runs first)."""
        self.entry = -1
        """Sequence number of the live local-queue entry (older entries are stale)."""
        self.start = float("nan")
        """Start time, cycles."""
        self.finish = float("nan")
        """Finish time, cycles."""

    # The DramClient protocol (what a bandwidth-sharing rule may read).
    @property
    def priority(self) -> int:
        """Priority class of the request."""
        return self.job.request.priority

    @property
    def deadline(self) -> float:
        """Absolute deadline of the request, cycles."""
        return self.job.request.deadline

    @property
    def remaining_work(self) -> float:
        """Min-latency sum of the request's unfinished layers, cycles."""
        return self.job.remaining_work

    @property
    def isolated_latency(self) -> float:
        """Isolated latency of the request, cycles."""
        return self.job.isolated_latency

    @property
    def name(self) -> str:
        """Layer name."""
        return self.job.profile.layers[self.layer]


class Plan:
    """One schedule as the SAs use it: SA and priority per RQ index, and its entry numbers."""

    __slots__ = ("priority", "sa", "seq", "slot_rq")

    def __init__(self, sa: npt.NDArray[np.integer], priority: npt.NDArray[np.floating],
                 seq: int, slot_rq: npt.NDArray[np.int64]) -> None:
        self.sa = sa
        self.priority = priority
        self.seq = seq
        """Local-queue entry number of RQ index 0 (ties: earlier plans, lower index first)."""
        self.slot_rq = slot_rq
        """RQ index of each (job, layer) slot of the planned jobs (-1: not in the RQ)."""
