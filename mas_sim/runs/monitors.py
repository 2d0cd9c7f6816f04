"""Observers attached to a :class:`~mas_sim.sim.engine.Simulation` from outside (as in ns.py).

- :class:`TraceRecorder`: one row per executed sub-job (the sub-job trace) -- memory grows with
  the run; leave it out of very long runs.
- :class:`JobRecorder`: one row per request (the job table).
- :class:`UsageMonitor`: constant-memory counters (busy cycles per SA, energy, DRAM bytes,
  makespan, scheduler ticks) from which the summary metrics are computed.

Times in cycles, energy in pJ, bytes in bytes.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd

from mas_sim.hardware import SystemSpec
from mas_sim.output.tables import SUBJOB_COLUMNS
from mas_sim.sim.jobs import Job, SubJob
from mas_sim.sim.view import Schedule, SchedulerView

#: The job table of docs/architecture.md section 4: the documented columns plus the request's
#: priority class and isolated latency.
JOB_TABLE_COLUMNS = ("job_id", "tenant", "model", "priority", "qos", "arrival", "deadline",
                     "finish", "status", "isolated_latency", "target")
"""``target`` is the request's hit-rate target (NaN without one)."""
#: Extra job-table columns of a run with batching: the serving batch's id (its oldest member's
#: request id; -1 for a request dropped while queued) and size.
BATCH_JOB_COLUMNS = ("batch_id", "batch_size")
#: Extra trace columns of a run with batching: the batch's size and the request ids it served
#: (";"-separated, the members still in the batch when the sub-job finished).
BATCH_TRACE_COLUMNS = ("batch_size", "members")


class TraceRecorder:
    """Records every executed sub-job (the trace columns of docs/architecture.md section 4; with
    ``batching``, also :data:`BATCH_TRACE_COLUMNS`)."""

    def __init__(self, system: SystemSpec, *, batching: bool = False) -> None:
        self._sa_class = [sa.name for sa in system.sub_accelerators]
        self._rows: list[tuple[object, ...]] = []
        self._batching = batching

    def subjob_finished(self, sj: SubJob, sa: int, now: float) -> None:
        """Append the finished sub-job's row."""
        job = sj.job
        req = job.request
        profile = job.profile
        layer = sj.layer
        row: tuple[object, ...] = (
            req.job_id, req.tenant, req.model, profile.layers[layer], sa, self._sa_class[sa],
            req.arrival, req.deadline, sj.start, now,
            *(rows[layer][sa] for rows in profile.cost_rows))
        if self._batching:
            members = getattr(job, "members", ())
            row = (*row, req.batch, ";".join(str(m.request.job_id) for m in members
                                             if m.status == "live"))
        self._rows.append(row)

    def frame(self) -> pd.DataFrame:
        """The trace, ordered by start time then SA."""
        columns = [*SUBJOB_COLUMNS, *(BATCH_TRACE_COLUMNS if self._batching else ())]
        df = pd.DataFrame(self._rows, columns=columns)
        df = df.astype({"job_id": "int64", "tenant": "int64", "sa": "int64"})
        return df.sort_values(["start", "sa"], kind="stable").reset_index(drop=True)


class JobRecorder:
    """Records each request once, when it ends (with ``batching``, each batch member, with
    :data:`BATCH_JOB_COLUMNS`)."""

    def __init__(self, *, batching: bool = False) -> None:
        self._rows: list[tuple[object, ...]] = []
        self._batching = batching

    def job_ended(self, job: Job, now: float) -> None:
        """Append the ended job's row; ``finish`` is NaN for a dropped job."""
        req = job.request
        finish = now if job.status in ("met", "missed") else math.nan
        row: tuple[object, ...] = (req.job_id, req.tenant, req.model, req.priority, req.qos,
                                   req.arrival, req.deadline, finish, job.status,
                                   job.isolated_latency,
                                   math.nan if req.target is None else req.target)
        if self._batching:
            batch = getattr(job, "batch", None)
            row = (*row, -1, 0) if batch is None else (*row, batch.job_id, batch.size)
        self._rows.append(row)

    def frame(self) -> pd.DataFrame:
        """The job table, ordered by job id."""
        columns = [*JOB_TABLE_COLUMNS, *(BATCH_JOB_COLUMNS if self._batching else ())]
        df = pd.DataFrame(self._rows, columns=columns)
        df = df.astype({"job_id": "int64", "tenant": "int64", "priority": "int64",
                        "target": "float64",
                        **({"batch_id": "int64", "batch_size": "int64"}
                           if self._batching else {})})
        return df.sort_values("job_id", kind="stable").reset_index(drop=True)


class UsageMonitor:
    """Constant-memory counters of what the hardware and the scheduler did."""

    def __init__(self, system: SystemSpec) -> None:
        self.busy = [0.0] * system.num_sas
        """Cycles each SA spent running sub-jobs (stalls included)."""
        self.energy_pj = 0.0
        """Energy of the executed sub-jobs, pJ."""
        self.dram_bytes = 0.0
        """Bytes moved from/to DRAM by the executed sub-jobs."""
        self.subjobs = 0
        self.first_arrival = math.inf
        self.last_finish = -math.inf
        self.policy_ticks = 0
        """Ticks at which the policy was called."""
        self.decisions = 0
        """Sum of RQ sizes over policy calls."""
        self.status_counts = {"met": 0, "missed": 0, "dropped": 0}

    def job_admitted(self, job: Job, now: float) -> None:
        """Track the first arrival (start of the makespan)."""
        self.first_arrival = min(self.first_arrival, job.request.arrival)

    def subjob_finished(self, sj: SubJob, sa: int, now: float) -> None:
        """Accumulate busy time, energy and DRAM traffic."""
        latency, bandwidth, energy = sj.job.profile.cost_rows
        layer = sj.layer
        self.busy[sa] += now - sj.start
        self.energy_pj += energy[layer][sa]
        self.dram_bytes += latency[layer][sa] * bandwidth[layer][sa]
        self.subjobs += 1
        self.last_finish = max(self.last_finish, now)

    def job_ended(self, job: Job, now: float) -> None:
        """Count the job's outcome."""
        self.status_counts[job.status] += 1

    def ticked(self, now: float, view: SchedulerView | None, schedule: Schedule | None,
               policy_seconds: float) -> None:
        """Count policy calls and decisions."""
        if view is not None:
            self.policy_ticks += 1
            self.decisions += view.size

    @property
    def makespan(self) -> float:
        """Last finish minus first arrival, cycles (0 if nothing ran)."""
        if self.subjobs == 0:
            return 0.0
        return self.last_finish - self.first_arrival


class SchedulerEnergyMonitor:
    """Sums a policy's own energy per decision (``policy.decision_energy_pj(rq_size)``), pJ."""

    def __init__(self, energy_per_decision: Callable[[int], float]) -> None:
        self._fn = energy_per_decision
        self.energy_pj = 0.0

    def ticked(self, now: float, view: SchedulerView | None, schedule: Schedule | None,
               policy_seconds: float) -> None:
        """Charge the policy's energy for this tick's decision."""
        if view is not None:
            self.energy_pj += float(self._fn(view.size))

