"""Tests of mas_sim.output.chrome_trace on a hand-made trace and on random job tables."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mas_sim.core.errors import ConfigError
from mas_sim.output.chrome_trace import REQUEST_PID, SA_PID, chrome_trace, write_chrome_trace

NAN = float("nan")
SJ_COLUMNS = ["job_id", "tenant", "model", "layer", "sa", "sa_class", "arrival", "deadline",
              "start", "finish", "latency_cycles", "bandwidth_bytes_per_cycle", "energy_pj"]
JOB_COLUMNS = ["job_id", "tenant", "model", "qos", "arrival", "deadline", "finish", "status"]


def three_subjobs() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Job 0 (met) runs conv1 on SA 0 then fc on SA 1; job 1 (missed) runs l0 on SA 0;
    job 2 is dropped before running anything. Times in cycles."""
    subjobs = pd.DataFrame([
        (0, 7, "m1", "conv1", 0, "Eyeriss-Small", 500.0, 10000.0, 1000.0, 3500.0, 2500.0, 2.0, 5.0),
        (0, 7, "m1", "fc", 1, "Simba-Small", 500.0, 10000.0, 3500.0, 4000.0, 500.0, 1.5, 0.25),
        (1, 3, "m2", "l0", 0, "Eyeriss-Small", 2000.0, 6000.0, 4000.0, 9000.0, 5000.0, 8.0, 40.0),
    ], columns=SJ_COLUMNS)
    jobs = pd.DataFrame([
        (0, 7, "m1", 2.0, 500.0, 10000.0, 4000.0, "met"),
        (1, 3, "m2", 1.5, 2000.0, 6000.0, 9000.0, "missed"),
        (2, 7, "m1", 4.0, 4500.0, 5500.0, NAN, "dropped"),
    ], columns=JOB_COLUMNS)
    return subjobs, jobs


def _of(trace: dict[str, Any], ph: str, pid: int | None = None) -> list[dict[str, Any]]:
    return [e for e in trace["traceEvents"]
            if e["ph"] == ph and (pid is None or e["pid"] == pid)]


def test_event_counts_and_metadata_names() -> None:
    trace = chrome_trace(*three_subjobs(), sa_labels=["Eyeriss-Small", "Simba-Small"])
    assert len(trace["traceEvents"]) == 18
    meta = {(e["pid"], e["tid"], e["name"]): e["args"] for e in _of(trace, "M")}
    assert meta == {
        (SA_PID, 0, "process_name"): {"name": "SAs"},
        (SA_PID, 0, "process_sort_index"): {"sort_index": SA_PID},
        (SA_PID, 0, "thread_name"): {"name": "Eyeriss-Small"},
        (SA_PID, 0, "thread_sort_index"): {"sort_index": 0},
        (SA_PID, 1, "thread_name"): {"name": "Simba-Small"},
        (SA_PID, 1, "thread_sort_index"): {"sort_index": 1},
        (REQUEST_PID, 0, "process_name"): {"name": "requests"},
        (REQUEST_PID, 0, "process_sort_index"): {"sort_index": REQUEST_PID},
        (REQUEST_PID, 0, "thread_name"): {"name": "lane 0"},
        (REQUEST_PID, 0, "thread_sort_index"): {"sort_index": 0},
        (REQUEST_PID, 1, "thread_name"): {"name": "lane 1"},
        (REQUEST_PID, 1, "thread_sort_index"): {"sort_index": 1},
    }
    assert len(_of(trace, "X", SA_PID)) == 3
    assert len(_of(trace, "X", REQUEST_PID)) == 3
    assert trace["displayTimeUnit"] == "ns"


def test_subjob_events_in_microseconds() -> None:
    trace = chrome_trace(*three_subjobs(), sa_labels=["A", "B"])
    got = [(e["name"], e["tid"], e["ts"], e["dur"]) for e in _of(trace, "X", SA_PID)]
    assert got == [("m1:conv1", 0, 1.0, 2.5), ("m2:l0", 0, 4.0, 5.0), ("m1:fc", 1, 3.5, 0.5)]
    first = _of(trace, "X", SA_PID)[0]
    assert first["cat"] == "subjob"
    assert first["args"] == {"job_id": 0, "tenant": 7, "deadline_us": 10.0, "energy_pj": 5.0,
                             "bandwidth": 2.0, "sa_class": "Eyeriss-Small", "status": "met"}
    assert _of(trace, "X", SA_PID)[1]["args"]["status"] == "missed"


def test_request_events_lanes_ends_and_colours() -> None:
    trace = chrome_trace(*three_subjobs(), sa_labels=["A", "B"])
    got = [(e["args"]["job_id"], e["tid"], e["ts"], e["dur"], e["cname"])
           for e in _of(trace, "X", REQUEST_PID)]
    # Job 2 arrives at 4500 after job 0 ended at 4000: it reuses lane 0; a dropped request's
    # bar ends at its deadline.
    assert got == [(0, 0, 0.5, 3.5, "good"), (1, 1, 2.0, 7.0, "bad"), (2, 0, 4.5, 1.0, "terrible")]
    dropped = _of(trace, "X", REQUEST_PID)[2]
    assert dropped["name"] == "job 2 m1"
    assert dropped["args"] == {"job_id": 2, "tenant": 7, "model": "m1", "qos": 4.0,
                               "status": "dropped", "arrival_us": 4.5, "deadline_us": 5.5,
                               "finish_us": None}


def test_missed_request_without_finish_ends_at_deadline() -> None:
    subjobs, jobs = three_subjobs()
    jobs.loc[1, "finish"] = NAN
    trace = chrome_trace(subjobs, jobs, sa_labels=["A", "B"])
    assert _of(trace, "X", REQUEST_PID)[1]["dur"] == 4.0


def test_written_file_is_valid_deterministic_json(tmp_path: Path) -> None:
    subjobs, jobs = three_subjobs()
    a = write_chrome_trace(tmp_path / "a" / "trace.json", subjobs, jobs, ["A", "B"])
    shuffled = (subjobs.iloc[[2, 0, 1]].reset_index(drop=True),
                jobs.iloc[[1, 2, 0]].reset_index(drop=True))
    b = write_chrome_trace(tmp_path / "b.json", *shuffled, ["A", "B"])
    assert a.read_bytes() == b.read_bytes()
    text = a.read_text()
    assert "NaN" not in text
    loaded = json.loads(text)
    assert loaded == json.loads(json.dumps(chrome_trace(subjobs, jobs, ["A", "B"])))
    assert sorted(p.name for p in a.parent.iterdir()) == ["trace.json"]


def test_empty_run() -> None:
    trace = chrome_trace(pd.DataFrame(columns=SJ_COLUMNS), pd.DataFrame(columns=JOB_COLUMNS),
                         ["A"])
    assert [e["name"] for e in trace["traceEvents"]] == [
        "process_name", "process_sort_index", "thread_name", "thread_sort_index",
        "process_name", "process_sort_index"]


def test_errors() -> None:
    subjobs, jobs = three_subjobs()
    with pytest.raises(ConfigError, match=r"SA indices \[0, 1\] out of range, expected 0..0"):
        chrome_trace(subjobs, jobs, ["A"])
    with pytest.raises(ConfigError, match=r"sub-job trace lacks columns \['energy_pj'\]"):
        chrome_trace(subjobs.drop(columns="energy_pj"), jobs, ["A", "B"])
    with pytest.raises(ConfigError, match=r"job table lacks columns \['status'\]"):
        chrome_trace(subjobs, jobs.drop(columns="status"), ["A", "B"])
    jobs.loc[0, "status"] = "late"
    with pytest.raises(ConfigError, match=r"status values \['late'\]"):
        chrome_trace(subjobs, jobs, ["A", "B"])


_job = st.tuples(st.integers(0, 50), st.integers(1, 20),
                 st.sampled_from(["met", "missed", "dropped"]))


@settings(max_examples=60, deadline=None)
@given(st.lists(_job, max_size=25))
def test_lanes_never_overlap_and_are_as_few_as_possible(
        spec: list[tuple[int, int, str]]) -> None:
    rows = [(j, 0, "m", 1.0, 1000.0 * a, 1000.0 * (a + d), 1000.0 * (a + d) if s != "dropped"
             else NAN, s) for j, (a, d, s) in enumerate(spec)]
    jobs = pd.DataFrame(rows, columns=JOB_COLUMNS)
    events = _of(chrome_trace(pd.DataFrame(columns=SJ_COLUMNS), jobs, ["A"]), "X", REQUEST_PID)
    assert len(events) == len(spec)
    by_lane: dict[int, list[tuple[float, float]]] = {}
    for e in events:
        by_lane.setdefault(e["tid"], []).append((e["ts"], e["ts"] + e["dur"]))
    for spans in by_lane.values():
        spans.sort()
        assert all(end <= nxt for (_, end), (nxt, _) in itertools.pairwise(spans))
    # Greedy interval partitioning is optimal: lanes = the largest number of requests open at
    # one arrival instant (bars are half-open, [arrival, end)).
    spans = [(float(a), float(a + d)) for a, d, _ in spec]
    need = max((sum(s <= a < e for s, e in spans) for a, _ in spans), default=0)
    assert sorted(by_lane) == list(range(need))


def test_zero_length_requests_share_lanes() -> None:
    # Arrival == deadline for a dropped request gives a zero-length bar; it must not cost a lane.
    jobs = pd.DataFrame([(0, 0, "m", 1.0, 0.0, 1000.0, 1000.0, "met"),
                         (1, 0, "m", 1.0, 0.0, 0.0, NAN, "dropped"),
                         (2, 0, "m", 1.0, 1000.0, 1000.0, NAN, "dropped")], columns=JOB_COLUMNS)
    events = _of(chrome_trace(pd.DataFrame(columns=SJ_COLUMNS), jobs, ["A"]), "X", REQUEST_PID)
    assert [(e["args"]["job_id"], e["tid"], e["ts"], e["dur"]) for e in events] == [
        (1, 0, 0.0, 0.0), (0, 0, 0.0, 1.0), (2, 0, 1.0, 0.0)]
