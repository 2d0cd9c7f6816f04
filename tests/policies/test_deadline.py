"""EDF-H and LLF-H orders."""

from __future__ import annotations

import numpy as np
import pytest
from policy_views import make_view

from mas_sim.view import Schedule
from policies.deadline import EdfH, LlfH, critical_path_finish, laxity
from policies.magma.fitness import FitnessProblem, evaluate


def test_edf_saves_the_request_that_fcfs_loses() -> None:
    # RQ (deadline-sorted): Y arrived at 1 with deadline 12; X arrived at 0 with deadline 100.
    view = make_view([[10.0], [10.0]], job_id=[1, 0], arrival=[1.0, 0.0],
                     deadline=[12.0, 100.0], now=2.0)
    edf = EdfH().schedule(view)
    assert edf.priority[0] > edf.priority[1]
    fcfs = Schedule.from_order([1, 0], [0, 0])  # arrival order
    problem = FitnessProblem.from_view(view)
    _, hits, _ = evaluate(problem, np.stack([edf.sa, fcfs.sa]),
                          np.stack([edf.priority, fcfs.priority]))
    assert hits.tolist() == [2, 1]


def _llf_view():  # type: ignore[no-untyped-def]
    # Q: one SJ of 5 cycles, deadline 50. P: a chain of two 45-cycle SJs, deadline 100,
    # the first waiting 0 cycles. EDF serves Q first; P's laxity 100 - 90 = 10 < Q's 45.
    return make_view([[5.0, 8.0], [45.0, 60.0], [45.0, 50.0]], job_id=[0, 1, 1],
                     preds=[(), (), (1,)], deadline=[50.0, 100.0, 100.0])


def test_laxity_is_deadline_minus_critical_path() -> None:
    view = _llf_view()
    assert critical_path_finish(view).tolist() == [5.0, 45.0, 90.0]
    assert laxity(view).tolist() == [45.0, 10.0, 10.0]
    delayed = make_view([[5.0], [5.0]], job_id=[0, 0], preds=[(), (0,)], release=[30.0, 0.0],
                        deadline=[100.0, 100.0], now=10.0)
    # The first layer waits for a running predecessor until 30: CP = 20 + 5 + 5 = 30.
    assert laxity(delayed).tolist() == pytest.approx([60.0, 60.0])


def test_llf_order_differs_from_edf() -> None:
    view = _llf_view()
    edf = EdfH().schedule(view).priority
    llf = LlfH().schedule(view).priority
    assert edf[0] > edf[1] > edf[2]
    assert llf[1] > llf[2] > llf[0]
