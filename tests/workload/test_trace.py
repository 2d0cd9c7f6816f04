"""Trace replay: a hand-made trace replayed exactly, time scaling to a load, every bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mas_sim import SystemSpec, simulate
from mas_sim.core.errors import ConfigError
from mas_sim.workload.arrivals import isolated_work
from mas_sim.workload.scenario import Scenario, build_workload
from mas_sim.workload.trace import SHIPPED_TRACES, load_trace, read_trace

FIVE = """timestamp,model,tenant,qos
0.0,kws,0,4
0.00012,squeezenet,1,high
0.00012,kws,2,3.5
0.0009,yolo_lite,0,low
0.0031,kws,1,medium
"""


def write(tmp_path: Path, text: str, name: str = "trace.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_five_requests_are_replayed_exactly(tmp_path: Path, paper_system: SystemSpec) -> None:
    path = write(tmp_path, FIVE)
    sc = Scenario(workload="light", arrivals=str(path), requests=5, time_scale=1.0, tenants=3)
    wl = build_workload(paper_system, sc)
    got = [(r.job_id, r.model, r.arrival, r.tenant, r.qos) for r in wl.requests]
    assert got == [(0, "kws", 0.0, 0, 4.0), (1, "squeezenet", 120_000.0, 1, 3.2),
                   (2, "kws", 120_000.0, 2, 3.5), (3, "yolo_lite", 900_000.0, 0, 4.8),
                   (4, "kws", 3_100_000.0, 1, 4.0)]
    for r in wl.requests:
        assert r.deadline == r.arrival + r.qos * wl.isolated_latency[r.model]
    # The engine admits each request at its own arrival time.
    jobs = simulate(paper_system, wl, "fcfs-h").jobs
    assert jobs["arrival"].tolist() == [0.0, 120_000.0, 120_000.0, 900_000.0, 3_100_000.0]
    assert jobs["model"].tolist() == ["kws", "squeezenet", "kws", "yolo_lite", "kws"]


def test_iso_timestamps_are_seconds_since_the_first(tmp_path: Path) -> None:
    path = write(tmp_path, "TIMESTAMP,x\n2023-11-16 18:17:03.9799600,1\n"
                           "2023-11-16 18:17:04.0319600,2\n2023-11-16 18:17:05,3\n")
    trace = read_trace(path)
    np.testing.assert_allclose(trace.seconds, [0.0, 0.052, 1.02004], rtol=0, atol=1e-9)


def test_window_and_scale_one(tmp_path: Path, paper_system: SystemSpec) -> None:
    path = write(tmp_path, FIVE)
    sc = Scenario(workload="light", arrivals=str(path), requests=2, time_scale=1.0,
                  trace_start=0.0001, tenants=3)
    wl = build_workload(paper_system, sc)
    assert [(r.model, r.arrival) for r in wl.requests] == [("squeezenet", 0.0), ("kws", 0.0)]
    sc = Scenario(workload="light", arrivals=str(path), requests=2, time_scale=2.0,
                  trace_start=0.0005, tenants=3)
    arrivals = [r.arrival for r in build_workload(paper_system, sc).requests]
    assert arrivals == pytest.approx([0.0, 4_400_000.0], rel=1e-12)  # (3.1 - 0.9) ms x 2


def realised_load(wl: object, num_sas: int) -> float:
    reqs = wl.requests  # type: ignore[attr-defined]
    work = np.mean([isolated_work(wl.profiles[r.model]) for r in reqs])  # type: ignore[attr-defined]
    gap = (reqs[-1].arrival - reqs[0].arrival) / (len(reqs) - 1)
    return float(work / (num_sas * gap))


@pytest.mark.parametrize(("load", "start", "models_from"),
                         [(0.4, 0.0, "draw"), (0.9, 600.0, "draw"), (0.25, 30.0, "tokens")])
def test_time_scaling_hits_the_load(load: float, start: float, models_from: str,
                                    paper_system: SystemSpec) -> None:
    sc = Scenario(arrivals="azure-code-2023", requests=300, load=load, trace_start=start,
                  trace_models=models_from, seed=3)
    wl = build_workload(paper_system, sc)
    assert realised_load(wl, paper_system.num_sas) == pytest.approx(load, rel=0.01)


def test_the_shipped_trace_is_whole_and_sorted() -> None:
    trace = load_trace("azure-code-2023")
    assert len(trace) == 8819
    assert np.all(np.diff(trace.seconds) >= 0)
    assert trace.tokens is not None and trace.tokens.min() > 0
    assert (SHIPPED_TRACES["azure-code-2023"].parent / "README.md").read_text().count(
        "CC BY 4.0") >= 1


def test_tokens_put_bigger_requests_on_heavier_models(paper_system: SystemSpec) -> None:
    sc = Scenario(arrivals="azure-code-2023", requests=400, trace_models="tokens")
    wl = build_workload(paper_system, sc)
    trace = load_trace("azure-code-2023")
    tokens = trace.tokens[:400]  # type: ignore[index]
    work = np.array([isolated_work(wl.profiles[r.model]) for r in wl.requests])
    # Rank-preserving: a request with more tokens never gets a lighter model.
    order = np.argsort(tokens, kind="stable")
    assert np.all(np.diff(work[order]) >= 0)
    # And the marginal mix stays uniform over the seven models.
    counts = np.unique([r.model for r in wl.requests], return_counts=True)[1]
    assert counts.min() >= 57 and counts.max() <= 58


# -- bad input: one clear message naming the file, the line and the value --------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("", "is empty"),
    ("timestamp,model\n", "is empty: a header but no request rows"),
    ("t,model\n0,kws\n", "no timestamp column"),
    ("time\n0\n0.5\n0.2\n", "line 4: timestamp '0.2' is before the previous row's '0.5'"),
    ("time\n0\nsoon\n", "line 3: timestamp 'soon' is not a number of seconds"),
    ("time\n0.1\n-0.2\n", "line 3: timestamp '-0.2' is negative"),
    ("time\n-1\n", "line 2: timestamp '-1' is negative"),
    ("time\n2023-11-16 18:17:03\n2023-13-45 00:00:00\n", "line 3: timestamp '2023-13-45 00:00:00' "
                                                         "is not an ISO 8601 date-time"),
    ("time\n0\n\n1\n", "line 3: timestamp '' is not"),
    ("time,qos\n0,4\n1,fast\n", "line 3: qos 'fast' is neither"),
    ("time,qos\n0,0\n", "line 2: qos '0' is neither"),
    ("time,ContextTokens,GeneratedTokens\n0,10,-1\n", "line 2: GeneratedTokens '-1'"),
])
def test_bad_traces_are_refused_with_file_line_and_value(tmp_path: Path, text: str,
                                                         expected: str) -> None:
    path = write(tmp_path, text, "bad.csv")
    with pytest.raises(ConfigError) as info:
        Scenario(arrivals=str(path), requests=1)
    message = str(info.value)
    assert expected in message
    assert "bad.csv" in message
    assert "\n" not in message


@pytest.mark.parametrize(("text", "fields", "expected"), [
    ("time,model\n0,kws\n1,lenet\n", {}, "line 3: unknown model 'lenet'"),
    ("time,tenant\n0,1\n1,9\n", {}, "line 3: unknown tenant '9' (expected an id 0..7"),
    ("time,tenant\n0,t1\n1,bob\n", {"tenant_targets": "0.9"}, "line 3: unknown tenant 'bob'"),
])
def test_unknown_models_and_tenants_name_the_line(tmp_path: Path, paper_system: SystemSpec,
                                                  text: str, fields: dict[str, object],
                                                  expected: str) -> None:
    path = write(tmp_path, text, "names.csv")
    with pytest.raises(ConfigError, match=r"names\.csv") as info:
        build_workload(paper_system, Scenario(arrivals=str(path), requests=2, time_scale=1.0,
                                              **fields))  # type: ignore[arg-type]
    assert expected in str(info.value)


def test_missing_trace_and_short_window(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"'nowhere\.csv': no such file .*azure-code-2023"):
        Scenario(arrivals="nowhere.csv")
    path = write(tmp_path, FIVE)
    with pytest.raises(ConfigError, match=r"2 requests at or after 0.0005 s \(of 5\), but 3 "
                                          r"were asked for \(--requests 2"):
        Scenario(arrivals=str(path), requests=3, trace_start=0.0005)


def test_trace_options_need_a_trace() -> None:
    with pytest.raises(ConfigError, match=r"time_scale = 1\.0 is for a replayed trace"):
        Scenario(time_scale=1.0)
    with pytest.raises(ConfigError, match=r"trace_start = 5\.0 is for a replayed trace"):
        Scenario(arrivals="poisson", trace_start=5.0)
    with pytest.raises(ConfigError, match=r"time_scale = -1\.0, expected a finite number > 0"):
        Scenario(arrivals="azure-code-2023", time_scale=-1.0)
    with pytest.raises(ConfigError, match="unknown trace_models 'size'"):
        Scenario(arrivals="azure-code-2023", trace_models="size")


def test_a_window_at_one_instant_cannot_be_scaled(tmp_path: Path,
                                                  paper_system: SystemSpec) -> None:
    path = write(tmp_path, "time\n1\n1\n")
    with pytest.raises(ConfigError, match=r"span 0 s; a replay at a load needs"):
        build_workload(paper_system, Scenario(arrivals=str(path), requests=2))
