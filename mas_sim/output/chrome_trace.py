"""Export a run as a Chrome Trace Event Format file, for Perfetto (ui.perfetto.dev) and
chrome://tracing.

Layout of the trace:

* process 1, ``"SAs"``: one thread per sub-accelerator, named by its label and sorted by SA index;
  one complete event (``"ph": "X"``) per executed sub-job, named ``"model:layer"``.
* process 2, ``"requests"``: one complete event per request (job), from its arrival to its finish
  (to its deadline if it was dropped or never finished), coloured by status through the viewer's
  reserved colour names (met ``good``, missed ``bad``, dropped ``terrible``). Requests overlap in
  time and complete events on one thread must nest, so requests are packed greedily onto
  ``lane N`` threads: each request takes the lowest-numbered lane free at its arrival.

Times: the simulator counts cycles of the 1 GHz clock (1 cycle = 1 ns); the format wants
microseconds, so ``ts = cycles / 1000`` and ``dur = (finish - start) / 1000``. ``displayTimeUnit``
is ``"ns"`` so chrome://tracing shows cycles. The output is deterministic: events are sorted,
and :func:`write_chrome_trace` writes keys in sorted order.
"""

from __future__ import annotations

import heapq
import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from mas_sim.core.errors import ConfigError
from mas_sim.core.files import atomic_write_text
from mas_sim.output.tables import JOB_COLUMNS, SUBJOB_COLUMNS, require_columns, require_statuses

SA_PID = 1
"""Process id of the "SAs" process."""
REQUEST_PID = 2
"""Process id of the "requests" process."""
STATUS_COLOR: dict[str, str] = {"met": "good", "missed": "bad", "dropped": "terrible"}
"""Chrome trace reserved colour name of each job status."""

_CYCLES_PER_US = 1000.0


def _us(cycles: float) -> float:
    return float(cycles) / _CYCLES_PER_US


def _finite(value: Any) -> float | None:
    """A JSON-safe number: NaN and infinities (not valid JSON) become ``None``."""
    x = float(value)
    return x if math.isfinite(x) else None


def _metadata(pid: int, tid: int, name: str, args: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "ph": "M", "pid": pid, "tid": tid, "args": args}


def _process(pid: int, name: str) -> list[dict[str, Any]]:
    return [_metadata(pid, 0, "process_name", {"name": name}),
            _metadata(pid, 0, "process_sort_index", {"sort_index": pid})]


def _thread(pid: int, tid: int, name: str) -> list[dict[str, Any]]:
    return [_metadata(pid, tid, "thread_name", {"name": name}),
            _metadata(pid, tid, "thread_sort_index", {"sort_index": tid})]


def _records(frame: pd.DataFrame, columns: Sequence[str]) -> list[dict[str, Any]]:
    """The rows of ``frame`` as plain dicts of the given columns."""
    return [{str(k): v for k, v in row.items()}
            for row in frame[list(columns)].to_dict(orient="records")]


def _subjob_events(subjobs: pd.DataFrame, status: dict[int, str]) -> list[dict[str, Any]]:
    rows = _records(subjobs, SUBJOB_COLUMNS)
    rows.sort(key=lambda r: (int(r["sa"]), float(r["start"]), float(r["finish"]),
                             int(r["job_id"]), str(r["layer"])))
    events = []
    for r in rows:
        job = int(r["job_id"])
        args: dict[str, Any] = {
            "job_id": job,
            "tenant": int(r["tenant"]),
            "deadline_us": _finite(_us(r["deadline"])),
            "energy_pj": _finite(r["energy_pj"]),
            "bandwidth": _finite(r["bandwidth_bytes_per_cycle"]),
            "sa_class": str(r["sa_class"]),
        }
        if job in status:
            args["status"] = status[job]
        events.append({
            "name": f"{r['model']}:{r['layer']}", "cat": "subjob", "ph": "X",
            "ts": _us(r["start"]), "dur": _us(float(r["finish"]) - float(r["start"])),
            "pid": SA_PID, "tid": int(r["sa"]), "args": args,
        })
    return events


def _job_end(arrival: float, deadline: float, finish: float, status: str) -> float:
    """Cycle at which a request's bar ends: its finish, or its deadline if it has none."""
    end = finish if status != "dropped" and math.isfinite(finish) else deadline
    return max(end, arrival)


def _request_events(jobs: pd.DataFrame) -> tuple[list[dict[str, Any]], int]:
    """Complete events of the requests, packed onto lanes; also the number of lanes used."""
    rows = [(float(r["arrival"]),
             _job_end(float(r["arrival"]), float(r["deadline"]), float(r["finish"]),
                      str(r["status"])),
             int(r["job_id"]), r) for r in _records(jobs, JOB_COLUMNS)]
    # By arrival, then end: a zero-length bar goes first and frees its lane at once.
    rows.sort(key=lambda t: t[:3])
    busy: list[tuple[float, int]] = []  # (end cycle, lane) of requests still open
    free: list[int] = []  # lanes closed before the current arrival
    lanes = 0
    events = []
    for arrival, end, job, r in rows:
        while busy and busy[0][0] <= arrival:
            heapq.heappush(free, heapq.heappop(busy)[1])
        if free:
            lane = heapq.heappop(free)
        else:
            lane, lanes = lanes, lanes + 1
        heapq.heappush(busy, (end, lane))
        status = str(r["status"])
        events.append({
            "name": f"job {job} {r['model']}", "cat": "request", "ph": "X",
            "ts": _us(arrival), "dur": _us(end - arrival),
            "pid": REQUEST_PID, "tid": lane, "cname": STATUS_COLOR[status],
            "args": {
                "job_id": job, "tenant": int(r["tenant"]), "model": str(r["model"]),
                "qos": _finite(r["qos"]), "status": status, "arrival_us": _us(arrival),
                "deadline_us": _finite(_us(r["deadline"])),
                "finish_us": _finite(_us(r["finish"])),
            },
        })
    return events, lanes


def chrome_trace(subjobs: pd.DataFrame, jobs: pd.DataFrame,
                 sa_labels: Sequence[str]) -> dict[str, Any]:
    """The run as a Trace Event Format object (``{"traceEvents": [...], ...}``).

    ``subjobs`` and ``jobs`` are the sub-job trace and job table (docs/architecture.md
    section 4; times in cycles). ``sa_labels[i]`` names SA ``i``; every SA index in ``subjobs``
    must have a label.
    Raises :class:`ConfigError` on missing columns, unknown statuses or unlabelled SAs.
    """
    require_columns(subjobs, SUBJOB_COLUMNS, "sub-job trace")
    require_columns(jobs, JOB_COLUMNS, "job table")
    require_statuses(jobs)
    labels = [str(s) for s in sa_labels]
    if len(subjobs):
        sa = subjobs["sa"]
        if sa.min() < 0 or sa.max() >= len(labels):
            raise ConfigError(f"sub-job trace: SA indices {sorted(set(sa))} out of range, "
                              f"expected 0..{len(labels) - 1} ({len(labels)} SA labels)")
    status = {int(j): str(s) for j, s in zip(jobs["job_id"], jobs["status"], strict=True)}

    events: list[dict[str, Any]] = _process(SA_PID, "SAs")
    for i, label in enumerate(labels):
        events += _thread(SA_PID, i, label)
    request_events, lanes = _request_events(jobs)
    events += _process(REQUEST_PID, "requests")
    for lane in range(lanes):
        events += _thread(REQUEST_PID, lane, f"lane {lane}")
    events += _subjob_events(subjobs, status)
    events += request_events
    return {
        "traceEvents": events,
        "displayTimeUnit": "ns",
        "otherData": {"clock": "1 GHz system clock; ts and dur in us = cycles / 1000"},
    }


def write_chrome_trace(path: str | os.PathLike[str], subjobs: pd.DataFrame, jobs: pd.DataFrame,
                       sa_labels: Sequence[str]) -> Path:
    """Write :func:`chrome_trace` to ``path`` as compact JSON, atomically; return the path."""
    text = json.dumps(chrome_trace(subjobs, jobs, sa_labels), sort_keys=True,
                      separators=(",", ":"), allow_nan=False)
    return atomic_write_text(path, text + "\n")
