"""The shared earliest-finish SA assignment."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mas_sim.sim.view import validate_schedule
from policies.earliest_finish import (
    EarliestFinishPlan,
    assign_earliest_finish,
    assign_with_admission,
    earliest_finish_sas,
    planned_finish,
)
from tests.policies.policy_views import make_view, random_view


def test_each_sj_goes_where_it_finishes_first() -> None:
    view = make_view([[4.0, 6.0], [4.0, 6.0], [4.0, 6.0]])
    schedule = assign_earliest_finish(view, [0, 1, 2])
    # SJ0 -> SA0 (4); SJ1: SA0 at 8 vs SA1 at 6 -> SA1; SJ2: SA0 at 8 vs SA1 at 12 -> SA0.
    assert schedule.sa.tolist() == [0, 1, 0]
    assert schedule.priority.tolist() == [0.0, -1.0, -2.0]


def test_order_sets_priorities_and_visiting_order() -> None:
    view = make_view([[4.0, 6.0], [4.0, 6.0]])
    schedule = assign_earliest_finish(view, [1, 0])
    assert schedule.sa.tolist() == [1, 0]
    assert schedule.priority[1] > schedule.priority[0]


def test_busy_sas_release_and_predecessors() -> None:
    # now = 100; SA0 busy for 5 -> free at 105.
    view = make_view([[4.0, 6.0]], sa_busy_for=[5.0, 0.0], now=100.0)
    assert earliest_finish_sas(view, [0]) == [1]  # SA1 at 106 beats SA0 at 109
    # SJ1 depends on SJ0 (in the RQ): it cannot start before SJ0's planned finish 14.
    view = make_view([[4.0, 3.0], [1.0, 5.0]], preds=[(), (0,)], release=[10.0, 0.0])
    assert earliest_finish_sas(view, [0, 1]) == [1, 0]  # SJ0 on SA1 ends 13; SJ1 on SA0 ends 14


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_any_order_gives_a_valid_schedule(seed: int) -> None:
    rng = np.random.default_rng(seed)
    view = random_view(rng, jobs=5, max_layers=4, sas=4)
    order = rng.permutation(view.size)
    schedule = validate_schedule(assign_earliest_finish(view, order), view, "ef")
    assert np.argsort(-schedule.priority, kind="stable").tolist() == order.tolist()


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_admission_keeps_requests_together_and_admitted_ones_on_time(seed: int) -> None:
    rng = np.random.default_rng(seed)
    view = random_view(rng, jobs=6, max_layers=4, sas=3)
    order = np.lexsort((view.layer_index, view.job_id, view.deadline))
    schedule = validate_schedule(assign_with_admission(view, order), view, "ac")
    ranked = np.argsort(-schedule.priority, kind="stable").tolist()
    jobs = view.job_id[ranked].tolist()
    # Each request's SJs are contiguous and in the given order.
    assert [j for k, j in enumerate(jobs) if k == 0 or jobs[k - 1] != j] == list(
        dict.fromkeys(jobs))
    assert all(view.layer_index[a] < view.layer_index[b]
               for a, b in itertools.pairwise(ranked) if view.job_id[a] == view.job_id[b])
    # Replaying the final order with the plain rule gives the same SAs for the admitted prefix,
    # and every request in that prefix (the ones before the first late one) is planned on time.
    plan = EarliestFinishPlan(view)
    for job in dict.fromkeys(jobs):
        sjs = [i for i in ranked if view.job_id[i] == job]
        if plan.place_all(sjs) > view.deadline[sjs[0]]:
            break
        assert [schedule.sa[i] for i in sjs] == [plan.chosen[i] for i in sjs]


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_planned_finish_rows_hold_edf_ac_h_sa_as_their_argmin(seed: int) -> None:
    rng = np.random.default_rng(seed)
    view = random_view(rng, jobs=6, max_layers=4, sas=3)
    order = np.lexsort((view.layer_index, view.job_id, view.arrival, view.deadline))
    finish = planned_finish(view, order.tolist())
    schedule = assign_with_admission(view, order)
    assert finish.shape == (view.size, view.num_sas)
    # A row's argmin is the SA the plan gave the SJ; no SJ can finish before its latency.
    np.testing.assert_array_equal(np.argmin(finish, axis=1), schedule.sa[order])
    assert np.all(finish >= view.latency[order] - 1e-9)


def test_an_index_outside_the_rq_is_refused_not_read() -> None:
    view = make_view([[4.0, 6.0], [4.0, 6.0]])
    for bad in ([0, 2], [-1, 0]):
        with pytest.raises(IndexError, match=r"out of range 0\.\.1"):
            assign_earliest_finish(view, bad)
        with pytest.raises(IndexError, match=r"out of range 0\.\.1"):
            assign_with_admission(view, bad)
        with pytest.raises(IndexError, match=r"out of range 0\.\.1"):
            EarliestFinishPlan(view).place_all(bad)
