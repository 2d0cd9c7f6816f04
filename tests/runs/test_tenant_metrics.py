"""Tenant metrics on a hand-made job table, computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mas_sim.runs.metrics import jain_index, tenant_metrics


def job_table() -> pd.DataFrame:
    # Tenant 0: target 0.5, 4 requests, 2 met -> 0.5 / 0.5 = 1.0 (met).
    # Tenant 1: targets 0.9 (model a) and 0.6 (model b): mean 0.75; 3 of 4 met -> 0.75 / 0.75.
    # Tenant 2: target 1.0, 2 requests, 1 met, 1 dropped -> 0.5 / 1.0 = 0.5 (not met).
    # Tenant 3: no target: hit rate reported, nothing else.
    rows = [
        # tenant, model, status, arrival, finish, target
        (0, "a", "met", 0.0, 1e9, 0.5),
        (0, "a", "met", 0.0, 2e9, 0.5),
        (0, "a", "missed", 0.0, 3e9, 0.5),
        (0, "a", "dropped", 0.0, math.nan, 0.5),
        (1, "a", "met", 0.0, 1e9, 0.9),
        (1, "a", "met", 0.0, 1e9, 0.9),
        (1, "b", "met", 1e9, 2e9, 0.6),
        (1, "b", "missed", 1e9, 5e9, 0.6),
        (2, "a", "met", 0.0, 4e9, 1.0),
        (2, "b", "dropped", 0.0, math.nan, 1.0),
        (3, "a", "missed", 0.0, 1e9, math.nan),
    ]
    frame = pd.DataFrame(rows, columns=["tenant", "model", "status", "arrival", "finish",
                                        "target"])
    frame["job_id"] = range(len(frame))
    return frame


def test_tenant_metrics_by_hand() -> None:
    m = tenant_metrics(job_table())
    assert m["tenant_hit_rate"] == {"0": 0.5, "1": 0.75, "2": 0.5, "3": 0.0}
    assert m["tenant_target"] == pytest.approx({"0": 0.5, "1": 0.75, "2": 1.0})
    assert m["tenants_with_target"] == 3
    assert m["tenants_met"] == 2
    assert m["tenant_worst_ratio"] == pytest.approx(0.5)
    # Jain over (1, 1, 0.5): 2.5^2 / (3 x 2.25) = 6.25 / 6.75.
    assert m["tenant_jain"] == pytest.approx(6.25 / 6.75)
    # Tail latency over finished requests, seconds: tenant 0 has 1, 2, 3 s.
    assert m["tenant_p95_latency_s"]["0"] == pytest.approx(np.quantile([1, 2, 3], 0.95))
    assert m["tenant_p99_latency_s"]["1"] == pytest.approx(np.quantile([1, 1, 1, 4], 0.99))
    assert m["tenant_p99_latency_s"]["2"] == pytest.approx(4.0)


def test_no_targets_no_tenant_metrics() -> None:
    frame = job_table()
    frame["target"] = math.nan
    assert tenant_metrics(frame) == {}
    assert tenant_metrics(frame.drop(columns="target")) == {}


def test_jain_index() -> None:
    assert jain_index(np.array([1.0, 1.0, 1.0])) == 1.0
    assert jain_index(np.array([1.0, 0.0])) == 0.5


def test_a_tenants_single_target_is_reported_exactly() -> None:
    # Nine requests at 0.9: a float mean would report 0.8999999999999999.
    frame = pd.DataFrame({"tenant": [0] * 9, "model": "a", "status": "met", "arrival": 0.0,
                          "finish": 1e9, "target": 0.9, "job_id": range(9)})
    assert sum([0.9] * 9) / 9 != 0.9
    assert tenant_metrics(frame)["tenant_target"] == {"0": 0.9}
