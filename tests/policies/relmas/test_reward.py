"""The RELMAS reward on a hand-made tick."""

from __future__ import annotations

import numpy as np
import pytest

from policies.relmas.reward import RewardConfig, tick_reward
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
