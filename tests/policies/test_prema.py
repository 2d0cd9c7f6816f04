"""PREMA-H: tokens, threshold and candidate choice."""

from __future__ import annotations

import pytest

from mas_sim.hardware import SystemSpec
from mas_sim.sim.view import SchedulerView
from policies.prema import PremaH
from tests.policies.policy_views import make_view


def _view(now: float, jobs: list[int]) -> SchedulerView:
    # A: priority 1, isolated 50, remaining 10; B: priority 3, isolated 100, remaining 300;
    # C: priority 1, isolated 1000, remaining 5. One SJ each, one SA.
    table = {0: (1, 50.0, 10.0), 1: (3, 100.0, 300.0), 2: (1, 1000.0, 5.0)}
    return make_view([[10.0]] * len(jobs), job_id=jobs,
                     priority=[table[j][0] for j in jobs],
                     isolated_latency=[table[j][1] for j in jobs],
                     remaining_work=[table[j][2] for j in jobs], now=now)


def _rank(priority: list[float]) -> list[int]:
    return sorted(range(len(priority)), key=lambda i: -priority[i])


def test_new_tokens_threshold_and_candidates() -> None:
    policy = PremaH()
    policy.reset(SystemSpec.paper(), seed=0)
    schedule = policy.schedule(_view(0.0, [0, 1, 2]))
    assert policy.tokens == {0: 1.0, 1: 3.0, 2: 1.0}
    # Largest token 3 -> threshold 3 -> only B is a candidate; the rest by token (tie: RQ order).
    assert _rank(schedule.priority.tolist()) == [1, 0, 2]


def test_tokens_grow_and_candidates_go_shortest_remaining_first() -> None:
    policy = PremaH()
    policy.reset(SystemSpec.paper())
    policy.schedule(_view(0.0, [0, 1, 2]))
    schedule = policy.schedule(_view(100.0, [0, 1, 2]))
    tokens = policy.tokens
    assert tokens[0] == pytest.approx(1 + 1 * 100 / 50)      # 3
    assert tokens[1] == pytest.approx(3 + 3 * 100 / 100)     # 6
    assert tokens[2] == pytest.approx(1 + 1 * 100 / 1000)    # 1.1
    # Threshold 3: candidates A (remaining 10) and B (300), shortest first; C last although it
    # has the least remaining work.
    assert _rank(schedule.priority.tolist()) == [0, 1, 2]


def test_threshold_nine_and_forgetting_finished_jobs() -> None:
    policy = PremaH()
    policy.reset(SystemSpec.paper())
    policy.schedule(_view(0.0, [0, 1, 2]))
    schedule = policy.schedule(_view(200.0, [0, 1]))  # C finished
    assert set(policy.tokens) == {0, 1}
    # A = 1 + 4 = 5, B = 3 + 6 = 9 -> threshold 9 -> B alone is a candidate although A is shorter.
    assert _rank(schedule.priority.tolist()) == [1, 0]
    policy.reset(SystemSpec.paper())
    assert policy.tokens == {}


def test_layers_of_a_request_stay_in_order() -> None:
    view = make_view([[5.0, 5.0]] * 3, job_id=[7, 7, 8], preds=[(), (0,), ()],
                     priority=[1, 1, 9], remaining_work=[10.0, 10.0, 50.0])
    policy = PremaH()
    policy.reset(SystemSpec.paper())
    schedule = policy.schedule(view)
    assert _rank(schedule.priority.tolist()) == [2, 0, 1]
