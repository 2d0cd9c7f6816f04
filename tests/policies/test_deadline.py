"""EDF-H, EDF-AC-H and LLF-H orders."""

from __future__ import annotations

import numpy as np
import pytest

from mas_sim.sim.view import Schedule
from policies.deadline import EdfAcH, EdfH, LlfH, critical_path_finish, laxity
from policies.magma.fitness import FitnessProblem, evaluate
from tests.policies.policy_views import make_view


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


def test_edf_ac_defers_the_hopeless_request_and_saves_the_others() -> None:
    # One SA, three 10-cycle requests with deadlines 5, 15, 25. EDF runs A first: A ends at 10
    # (late), B at 20 (late), C at 30 (late). EDF-AC plans A to end at 10 > 5, defers it, and
    # plans B (10 <= 15) and C (20 <= 25): two met, A last.
    view = make_view([[10.0], [10.0], [10.0]], deadline=[5.0, 15.0, 25.0])
    edf = EdfH().schedule(view)
    ac = EdfAcH().schedule(view)
    assert np.argsort(-edf.priority).tolist() == [0, 1, 2]
    assert np.argsort(-ac.priority).tolist() == [1, 2, 0]
    problem = FitnessProblem.from_view(view)
    _, hits, _ = evaluate(problem, np.stack([edf.sa, ac.sa]), np.stack([edf.priority, ac.priority]))
    assert hits.tolist() == [0, 2]


def test_edf_ac_withdraws_the_deferred_plan_before_planning_the_others() -> None:
    # A (deadline 5) would end at 10 on SA0: withdrawn, so B gets SA0 (ends 10) and A, planned
    # last, takes SA1 (ends 12 < SA0's 20). EDF-H instead leaves A on SA0 and B on SA1.
    view = make_view([[10.0, 12.0], [10.0, 12.0]], deadline=[5.0, 15.0])
    assert EdfH().schedule(view).sa.tolist() == [0, 1]
    ac = EdfAcH().schedule(view)
    assert ac.sa.tolist() == [1, 0]
    assert ac.priority[1] > ac.priority[0]


def test_edf_ac_judges_a_request_by_its_last_layer() -> None:
    # Request 0 is a chain of two 10-cycle layers, deadline 15: its first layer would be on
    # time, its last (ends 20) not, so the whole request goes behind request 1 (deadline 30).
    view = make_view([[10.0], [10.0], [10.0]], job_id=[0, 0, 1], preds=[(), (0,), ()],
                     deadline=[15.0, 15.0, 30.0])
    ac = EdfAcH().schedule(view)
    assert np.argsort(-ac.priority).tolist() == [2, 0, 1]


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
