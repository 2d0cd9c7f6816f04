"""Herald-like: the 2x rule both ways, load accumulation, request order."""

from __future__ import annotations

from policies.herald import HeraldLike
from tests.policies.policy_views import make_view


def test_least_loaded_sa_wins_when_less_than_twice_as_slow() -> None:
    view = make_view([[10.0, 15.0]], sa_busy_for=[100.0, 0.0])
    assert HeraldLike().schedule(view).sa.tolist() == [1]   # 15 < 2 x 10


def test_fastest_sa_kept_when_the_least_loaded_is_twice_as_slow() -> None:
    view = make_view([[10.0, 20.0]], sa_busy_for=[100.0, 0.0])
    assert HeraldLike().schedule(view).sa.tolist() == [0]   # 20 is not < 2 x 10


def test_load_accumulates_and_sas_run_fifo_in_request_order() -> None:
    # Job 1 arrived first but sits second in the (deadline-sorted) RQ.
    view = make_view([[10.0, 15.0], [10.0, 15.0], [10.0, 15.0]], job_id=[2, 1, 1],
                     arrival=[5.0, 0.0, 0.0], layer_index=[0, 0, 1])
    schedule = HeraldLike().schedule(view)
    # Visit order: (job 1, layer 0), (job 1, layer 1), (job 2, layer 0).
    # loads: 0/0 -> SA0 (best = least) -> 10/0 -> SA1 (15 < 20) -> 10/15 -> SA0 (least = best).
    assert schedule.sa.tolist() == [0, 0, 1]
    assert schedule.priority[1] > schedule.priority[2] > schedule.priority[0]
