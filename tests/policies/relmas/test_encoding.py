"""State encoding: shapes, the primer row, exact feature values, the cap and the tail rule."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mas_sim.core.errors import CheckpointError
from mas_sim.sim.view import SchedulerView
from policies.relmas.encoding import (
    Normalisation,
    StateEncoder,
    decode,
    encode,
    num_actions,
    num_features,
    tail_schedule,
)
from tests.policies.policy_views import make_view


def _view() -> SchedulerView:
    # Three SJs on two SAs at now = 2000: job 0 (layers 0, 1), job 1 (layer 0); SA 1 busy 500.
    return make_view([[1000.0, 3000.0], [200.0, 100.0], [4000.0, 4000.0]],
                     preds=[(), (0,), ()], job_id=[0, 0, 1], layer_index=[0, 1, 0],
                     deadline=[5000.0, 5000.0, 12000.0], arrival=[1000.0, 1000.0, 2000.0],
                     bandwidth=[[8.0, 4.0], [0.0, 16.0], [2.0, 1.0]], sa_busy_for=[0.0, 500.0],
                     now=2000.0, period=1000.0)


NORM = Normalisation(("other", "toy"), max_layers=4, time_unit=1000.0, dram_bandwidth=16.0)


def test_feature_and_action_counts() -> None:
    assert num_features(6) == 16
    assert num_actions(6) == 7


def test_primer_then_one_row_per_sj_with_documented_values() -> None:
    x = encode(_view(), NORM)
    assert x.shape == (4, num_features(2)) and x.dtype == np.float32
    # Primer: zero except the busy times of the SAs.
    np.testing.assert_allclose(x[0], [0, 0, 0, 0, 0.0, math.log1p(0.5), 0, 0], rtol=1e-6)
    # SJ 1 (row 2): model "toy" = index 1 -> 2/2; layer 1 -> 2/4; slack 3000 -> log1p(3);
    # waiting 1000 -> log1p(1); latencies 200, 100 -> log1p(.2), log1p(.1); bandwidth 0, 16/16.
    np.testing.assert_allclose(
        x[2], [1.0, 0.5, math.log1p(3.0), math.log1p(1.0), math.log1p(0.2), math.log1p(0.1),
               0.0, 1.0], rtol=1e-6)
    # SJ 2 arrived now: waiting 0; slack 10000 -> log1p(10).
    assert x[3, 3] == 0.0
    assert x[3, 2] == pytest.approx(math.log1p(10.0), rel=1e-6)


def test_linear_time_encoding_divides_latencies_and_busy_times_only() -> None:
    norm = Normalisation(("other", "toy"), 4, 1000.0, 16.0, time_encoding="linear")
    x = encode(_view(), norm)
    log = encode(_view(), NORM)
    # Primer: SA 1 busy 500 -> 0.5; SJ 1: latencies 200, 100 -> 0.2, 0.1.
    np.testing.assert_allclose(x[0, 4:6], [0.0, 0.5], rtol=1e-6)
    np.testing.assert_allclose(x[2, 4:6], [0.2, 0.1], rtol=1e-6)
    # Deadline slack, waiting time, model, layer and bandwidth are encoded as with logs.
    np.testing.assert_array_equal(x[:, [0, 1, 2, 3, 6, 7]], log[:, [0, 1, 2, 3, 6, 7]])


def test_time_encoding_round_trips_and_old_dicts_mean_log() -> None:
    norm = Normalisation(("toy",), 4, 1000.0, 16.0, time_encoding="linear")
    assert Normalisation.from_dict(norm.to_dict()) == norm
    old = {k: v for k, v in NORM.to_dict().items() if k != "time_encoding"}
    assert Normalisation.from_dict(old).time_encoding == "log"
    with pytest.raises(CheckpointError, match=r"time_encoding = 'cubic'.*'log', 'linear'"):
        Normalisation(("toy",), 4, 1000.0, 16.0, time_encoding="cubic")


PLANNED = Normalisation(("other", "toy"), 4, 1000.0, 16.0, sa_time="planned_finish")


def test_planned_finish_columns_follow_edf_ac_h_plan_by_hand() -> None:
    # now 2000, SAs free at 2000 and 2500. Job 0 (deadline 5000): SJ 0 finishes at 3000 on SA 0
    # or 2500 + 3000 = 5500 on SA 1 -> SA 0; SJ 1 waits for SJ 0 (3000): 3200 on SA 0, 3100 on
    # SA 1 -> SA 1; planned 3200 <= 5000, admitted. Job 1: SJ 2 7000 on SA 0, 7100 on SA 1.
    x = encode(_view(), PLANNED)
    expected = np.log1p(np.array([[1000, 3500], [1200, 1100], [5000, 5100]]) / 1000.0)
    np.testing.assert_allclose(x[1:, 4:6], expected, rtol=1e-6)
    # Every other column is the paper's encoding.
    np.testing.assert_array_equal(np.delete(x, [4, 5], axis=1)[1:],
                                  np.delete(encode(_view(), NORM), [4, 5], axis=1)[1:])
    assert Normalisation.from_dict(PLANNED.to_dict()) == PLANNED
    with pytest.raises(CheckpointError, match=r"sa_time = 'eta'.*'latency', 'planned_finish'"):
        Normalisation(("toy",), 4, 1000.0, 16.0, sa_time="eta")


def test_planned_finish_of_a_deferred_request_comes_after_the_admitted_ones() -> None:
    # SJ 0 (deadline 2000) cannot finish before 3000: deferred behind SJ 1, which takes SA 0
    # until 1000, so SJ 0's finishes are 1000 + 3000 on SA 0 and 0 + 6000 on SA 1.
    view = make_view([[3000.0, 6000.0], [1000.0, 1500.0]], deadline=[2000.0, 5000.0])
    x = encode(view, Normalisation(("toy",), 1, 1000.0, 16.0, "linear", "planned_finish"))
    np.testing.assert_allclose(x[1:, 4:6], [[4.0, 6.0], [1.0, 1.5]])


def test_planned_finish_is_planned_over_all_rows_before_the_cap() -> None:
    view = make_view([[3000.0, 6000.0], [1000.0, 1500.0]], deadline=[2000.0, 5000.0])
    norm = Normalisation(("toy",), 1, 1000.0, 16.0, "linear", "planned_finish")
    capped = encode(view, norm, max_rq=1)
    np.testing.assert_allclose(capped[1, 4:6], [4.0, 6.0])
    residual = encode(view, norm, np.array([0]))  # alone, SJ 0 is late anyway: planned first
    np.testing.assert_allclose(residual[1, 4:6], [3.0, 6.0])


def test_rows_and_cap_keep_deadline_order() -> None:
    full = encode(_view(), NORM)
    sub = encode(_view(), NORM, np.array([0, 2]))
    np.testing.assert_array_equal(sub[1:], full[[1, 3]])
    np.testing.assert_array_equal(sub[0], full[0])
    capped = encode(_view(), NORM, max_rq=2)
    np.testing.assert_array_equal(capped, full[:3])
    np.testing.assert_array_equal(StateEncoder(NORM, 1)(_view()), full[:2])


def test_empty_rows_give_only_the_primer() -> None:
    x = encode(_view(), NORM, np.zeros(0, dtype=np.int64))
    assert x.shape == (1, 8)
    assert StateEncoder(NORM).empty(2).shape == (1, 8)


def test_unknown_model_is_refused_with_the_known_ones() -> None:
    norm = Normalisation(("resnet50",), 10, 1000.0, 16.0)
    with pytest.raises(CheckpointError, match=r"resnet50.*'toy'"):
        encode(_view(), norm)


def test_decode_takes_priority_and_argmax_sa_then_tail_rule() -> None:
    view = _view()
    actions = np.array([[0.5, -0.2, 0.3], [-0.7, 0.9, 0.1]], dtype=np.float32)
    priority, sa = decode(actions, view)
    np.testing.assert_allclose(priority, [0.5, -0.7, -2.0], rtol=1e-6)
    # Rows 0, 1 by argmax of the scores; row 2 (beyond the actions) by the tail rule: fastest SA
    # (a tie 4000/4000 -> SA 0).
    np.testing.assert_array_equal(sa, [1, 0, 0])
    tail_p, tail_sa = tail_schedule(view, 0)
    np.testing.assert_array_equal(tail_p, [-2.0, -3.0, -4.0])
    np.testing.assert_array_equal(tail_sa, [0, 1, 0])


def test_normalisation_round_trip_and_validation() -> None:
    assert Normalisation.from_dict(NORM.to_dict()) == NORM
    with pytest.raises(CheckpointError, match="malformed"):
        Normalisation.from_dict({"model_names": ["a"]})
    with pytest.raises(CheckpointError, match="time_unit"):
        Normalisation(("a",), 3, 0.0, 16.0)
    with pytest.raises(CheckpointError, match="max_layers"):
        Normalisation(("a",), 0, 1.0, 16.0)
    with pytest.raises(CheckpointError, match="empty"):
        Normalisation((), 3, 1.0, 16.0)
