"""Golden outputs: refactors and speed work must give today's results (``record.py`` wrote them).

Traces of the deterministic heuristics byte for byte, MAGMA's schedules and fitness and the
forecast exactly, RELMAS's decisions with the same SAs and priorities within float tolerance.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.golden import golden_cases as gc

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def traces() -> dict[str, np.ndarray]:
    return dict(np.load(HERE / "traces.npz"))


@pytest.fixture(scope="module")
def summaries() -> dict[str, dict]:
    return json.loads((HERE / "summaries.json").read_text())


@pytest.fixture(scope="module")
def views() -> list:
    return gc.views_from_arrays(dict(np.load(HERE / "views.npz")))


@pytest.fixture(scope="module")
def decisions() -> dict[str, np.ndarray]:
    return dict(np.load(HERE / "decisions.npz"))


@pytest.mark.parametrize(("policy", "workload", "seed"), gc.trace_cases(),
                         ids=[gc.case_key(*c) for c in gc.trace_cases()])
def test_heuristic_trace_is_byte_identical(policy: str, workload: str, seed: int,
                                           traces: dict, summaries: dict) -> None:
    key = gc.case_key(policy, workload, seed)
    arrays, summary = gc.run_trace(policy, workload, seed)
    for name, got in arrays.items():
        want = traces[f"{key}/{name}"]
        assert got.dtype == want.dtype and got.shape == want.shape, name
        assert got.tobytes() == want.tobytes(), f"{key}: column {name} differs"
    assert summary == summaries[key]


def test_magma_schedules_are_identical(views: list, decisions: dict) -> None:
    for k, view in enumerate(views):
        s = gc.magma_schedule(view)
        np.testing.assert_array_equal(s.sa, decisions[f"{k}/magma_sa"])
        np.testing.assert_array_equal(s.priority, decisions[f"{k}/magma_priority"])


def test_magma_fitness_is_identical(views: list, decisions: dict) -> None:
    for k, view in enumerate(views):
        np.testing.assert_array_equal(gc.fitness_finish(view), decisions[f"{k}/fitness_finish"])


def test_forecast_is_identical(views: list, decisions: dict) -> None:
    for k, view in enumerate(views):
        np.testing.assert_array_equal(gc.forecast_finish(view), decisions[f"{k}/forecast_finish"])


def test_relmas_decisions_are_equal(views: list, decisions: dict) -> None:
    pytest.importorskip("torch")
    for k, (view, workload) in enumerate(zip(views, gc.view_workloads(), strict=True)):
        for hidden in gc.RELMAS_CHECKPOINTS[workload]:
            s = gc.relmas_schedule(view, workload, hidden)
            np.testing.assert_array_equal(s.sa, decisions[f"{k}/relmas_{hidden}_sa"])
            np.testing.assert_allclose(s.priority, decisions[f"{k}/relmas_{hidden}_priority"],
                                       rtol=0, atol=1e-5)
