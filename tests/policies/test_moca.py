"""MoCA-like: score-weighted bandwidth caps and the scheduler's order."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.moca import MocaLike, MocaSharing, RunningInfo, moca_score
from tests.policies.policy_views import make_view


def _info(priority: int, remaining: float, deadline: float = 1000.0) -> RunningInfo:
    return RunningInfo(priority=priority, deadline=deadline, remaining_work=remaining,
                       isolated_latency=100.0)


def test_score_formula() -> None:
    assert moca_score(_info(9, 100.0), now=0.0) == 2 + 1
    assert moca_score(_info(1, 100.0), now=0.0) == 0 + 1
    assert moca_score(_info(11, 500.0, deadline=50.0), now=0.0) == 3 + 100
    assert moca_score(_info(3, 10.0, deadline=0.0), now=5.0) == 1 + 100  # slack floored at 1


def test_no_contention_all_rates_one() -> None:
    assert MocaSharing().rates(0.0, [4.0, 4.0], [_info(1, 1.0), _info(9, 1.0)], 8.0) == [1, 1]


def test_higher_score_keeps_more() -> None:
    rates = MocaSharing().rates(0.0, [10.0, 10.0], [_info(9, 100.0), _info(1, 100.0)], 10.0)
    assert rates == pytest.approx([0.75, 0.25])  # weights 3 : 1, caps 7.5 + 2.5 = 10


def test_water_filling_caps_at_demand() -> None:
    rates = MocaSharing().rates(0.0, [2.0, 10.0], [_info(9, 100.0), _info(1, 100.0)], 8.0)
    # lam = 8 / 16 would give the first 1.5 x its demand: it gets its demand, the other the rest.
    assert rates == pytest.approx([1.0, 0.6])


def test_zero_score_still_progresses() -> None:
    rates = MocaSharing().rates(0.0, [8.0, 8.0], [_info(1, 0.0), _info(1, 100.0)], 8.0)
    assert rates == pytest.approx([1 / 3, 2 / 3])  # weights 0.5 : 1


def test_length_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match="2 demands"):
        MocaSharing().rates(0.0, [1.0, 2.0], [_info(1, 1.0)], 1.0)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0.0, 50.0), st.sampled_from([0, 1, 3, 9, 11]),
                          st.floats(0.0, 1e5), st.floats(-100.0, 1e5)), min_size=1, max_size=8),
       st.floats(0.5, 64.0))
def test_caps_properties(jobs: list[tuple[float, int, float, float]], bandwidth: float) -> None:
    demands = [d for d, *_ in jobs]
    infos = [_info(p, rem, dl) for _, p, rem, dl in jobs]
    rates = MocaSharing().rates(10.0, demands, infos, bandwidth)
    assert all(0.0 < r <= 1.0 for r in rates)
    used = sum(r * d for r, d in zip(rates, demands, strict=True))
    if sum(demands) <= bandwidth:
        assert rates == [1.0] * len(jobs)
    else:
        assert math.isclose(used, bandwidth, rel_tol=1e-9)
        scores = [max(moca_score(i, 10.0), 0.5) for i in infos]
        for a in range(len(jobs)):
            for b in range(len(jobs)):
                if scores[a] > scores[b] and demands[a] > 0 and demands[b] > 0:
                    assert rates[a] >= rates[b] - 1e-12


def test_scheduler_orders_by_priority_then_relative_wait() -> None:
    view = make_view([[10.0]] * 3, job_id=[0, 1, 2], priority=[1, 1, 9],
                     arrival=[90.0, 0.0, 99.0], isolated_latency=[10.0, 1000.0, 50.0], now=100.0)
    policy = MocaLike()
    assert isinstance(policy.bandwidth_sharing, MocaSharing)
    priority = policy.schedule(view).priority
    # Job 2 (priority 9) first; then job 0 (waited 10 / 10 = 1) before job 1 (100 / 1000).
    assert priority[2] > priority[0] > priority[1]
