"""The RELMAS reward on a hand-made tick."""

from __future__ import annotations

import numpy as np
import pytest

from policies.relmas.reward import OutcomeReward, RewardConfig, request_outlook, tick_reward
from tests.policies.policy_views import make_view


def test_reward_of_a_hand_made_tick() -> None:
    # now = 1000, Ts = 1000, so t + Ts = 2000. alpha .10, beta .11, gamma .05, delta .01.
    #  SJ  arrival deadline  q     f     D     A      value
    #  0   0       4000      4000  1500  1     +.10   .10 + .05 * 2500/4000      =  .13125
    #  1   500     1800      1300  1900  1     -.11   -.11 + .05 * (-100)/1300   = -.113846153846
    #  2   0       3000      3000  2500  .01   +.10   .01 * (.10 + .05 * 500/3000) = .00108333333
    #  3   1000    2000      1000  2000  .01   +.10   .01 * (.10 + 0)  (f = t+Ts -> delta;
    #                                                        f = deadline -> hit) = .001
    #  sum = .13125 - .113846153846 + .00108333333 + .001 = .019487179487
    view = make_view(np.ones((4, 2)), deadline=[4000, 1800, 3000, 2000],
                     arrival=[0, 500, 0, 1000], now=1000.0, period=1000.0)
    r = tick_reward(view, [1500.0, 1900.0, 2500.0, 2000.0])
    assert r == pytest.approx(0.019487179487, abs=1e-12)


def test_coefficients_are_the_papers_and_configurable() -> None:
    assert RewardConfig() == RewardConfig(alpha=0.10, beta=0.11, gamma=0.05, delta=0.01)
    view = make_view(np.ones((1, 2)), deadline=[2000], arrival=[0], now=0.0, period=1000.0)
    # f = 500 < t + Ts, hit: alpha + gamma (2000 - 500) / 2000 = 1 + 2 * .75 = 2.5
    assert tick_reward(view, [500.0], RewardConfig(alpha=1.0, gamma=2.0)) == pytest.approx(2.5)


def test_never_started_sj_counts_as_a_late_miss_without_slack() -> None:
    view = make_view(np.ones((1, 2)), deadline=[2000], arrival=[0], now=0.0, period=1000.0)
    assert tick_reward(view, [np.inf]) == pytest.approx(0.01 * -0.11)


def test_finish_shape_is_checked() -> None:
    view = make_view(np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"expected \(2,\)"):
        tick_reward(view, [1.0])


# -- the outcome reward (beyond the paper) --------------------------------------------------------

def test_request_outlook_of_a_hand_made_tick() -> None:
    # Jobs 7 (SJs 0, 1) and 3 (SJ 2); deadlines 4000 and 2000, arrivals 0 and 1000 (q 4000, 1000).
    view = make_view(np.ones((3, 2)), preds=[(), (0,), ()], job_id=[7, 7, 3],
                     layer_index=[0, 1, 0], deadline=[4000, 4000, 2000], arrival=[0, 0, 1000])
    finish = [1500.0, 3500.0, 2100.0]  # job 7 finishes at 3500 (slack 500), job 3 at 2100 (-100)
    jobs, outlook = request_outlook(view, finish, slack=0.0)
    assert jobs.tolist() == [3, 7] and outlook.tolist() == [-1.0, 1.0]
    jobs, outlook = request_outlook(view, finish, slack=4.0)
    # k x slack / q: job 3: 4 x -100 / 1000 = -0.4; job 7: 4 x 500 / 4000 = 0.5
    np.testing.assert_allclose(outlook, [-0.4, 0.5])
    _, outlook = request_outlook(view, [1500.0, np.inf, 0.0], slack=4.0)
    assert outlook.tolist() == [1.0, -1.0]  # never started: -1; far ahead: clipped to 1


def test_outcome_reward_credits_changes_and_telescopes_to_the_outcomes() -> None:
    view = make_view(np.ones((2, 2)), job_id=[1, 2], deadline=[2000, 2000], arrival=[0, 0])
    reward = OutcomeReward(slack=0.0)
    assert reward.decided(view, [1000.0, 3000.0]) == 0.0  # +1 and -1 from 0
    assert reward.decided(view, [1000.0, 1500.0]) == 2.0  # job 2 now projected in time
    assert reward.ended(2, met=False) == -2.0  # ...but it missed
    assert reward.ended(1, met=True) == 0.0  # as projected
    assert reward.ended(9, met=True) == 1.0  # never seen in a view
    assert reward.outlook == {}


@pytest.mark.parametrize("slack", [0.0, 4.0])
def test_an_episodes_outcome_rewards_add_up_to_met_minus_the_rest(slack: float) -> None:
    import policies
    from policies.relmas.rollout import Episode
    from tests.policies.relmas.relmas_scenarios import PERIOD, random_workload, tiny_system

    system = tiny_system()
    for name in ("edf-h", "fcfs-h"):
        policy = policies.make(name)
        policy.reset(system, 0)
        ep = Episode(system, random_workload(4, 30, load=1.5, qos=1.5), PERIOD,
                     reward_config=RewardConfig(kind="outcome", outcome_slack=slack))
        rewards = []
        while ep.view is not None:
            rewards.append(ep.step(policy.schedule(ep.view)).reward)
        o = ep.outcomes
        assert o.met and o.missed + o.dropped  # both kinds of outcome occur
        assert sum(rewards) == pytest.approx(o.met - o.missed - o.dropped, abs=1e-9)
        assert any(r != 0.0 for r in rewards)


@pytest.mark.parametrize(("changes", "match"), [
    ({"kind": "sla"}, "reward kind = 'sla'"),
    ({"outcome_slack": -1.0}, "outcome_slack = -1.0"),
    ({"kind": "outcome", "tenant_weight": 1.0}, "tenant_weight applies to the paper's"),
])
def test_bad_reward_settings_are_refused(changes: dict[str, object], match: str) -> None:
    from mas_sim.core.errors import ConfigError

    with pytest.raises(ConfigError, match=match):
        RewardConfig(**changes)  # type: ignore[arg-type]
