"""The DAgger warm start: labels, data collection, and that imitation fits the teacher."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

import policies
from mas_sim.core.errors import ConfigError
from mas_sim.sim.view import Schedule
from policies.relmas.encoding import Normalisation, StateEncoder, decode, num_actions, num_features
from policies.relmas.imitation import ImitationConfig, collect, imitate, imitation_loss, label
from policies.relmas.networks import Actor
from tests.policies.policy_views import make_view
from tests.policies.relmas.relmas_scenarios import (
    PERIOD,
    random_workload,
    tiny_profiles,
    tiny_system,
)

NORM = Normalisation.for_profiles(tiny_profiles(), time_unit=PERIOD, dram_bandwidth=16.0)


def test_label_ranks_the_teachers_order_on_the_cap_scale_and_decodes_back() -> None:
    view = make_view(np.ones((4, 3)))
    state = np.zeros((5, num_features(3)), dtype=np.float32)
    teacher = Schedule(np.array([5.0, -1.0, 7.0, 0.0]), np.array([2, 0, 1, 2]))
    demo = label(state, teacher, span=7, ready=[True, False, True, False])  # r -> 1 - 2r/6
    np.testing.assert_allclose(demo.priority, [2 / 3, 0.0, 1.0, 1 / 3])
    np.testing.assert_array_equal(demo.sa, [2, 0, 1, 2])
    np.testing.assert_array_equal(demo.ready, [True, False, True, False])
    action = -np.ones((4, num_actions(3)), dtype=np.float32)
    action[:, 0] = demo.priority
    action[np.arange(4), 1 + demo.sa] = 1.0
    priority, sa = decode(action, view)
    np.testing.assert_array_equal(sa, teacher.sa)
    np.testing.assert_array_equal(np.argsort(-priority), np.argsort(-teacher.priority))
    # A state capped at 2 SJs labels only those two, ranked among themselves.
    short = label(state[:3], teacher, span=2, ready=view.ready)
    np.testing.assert_allclose(short.priority, [1.0, -1.0])
    assert short.ready.shape == (2,)


def test_collect_labels_every_tick_with_the_teacher_even_when_the_actor_acts() -> None:
    teacher = policies.make("edf-h")
    encoder = StateEncoder(NORM, 8)
    workload = random_workload(3, 6)
    by_teacher = collect(teacher, tiny_system(), iter([workload]), PERIOD, encoder, 8, 1)
    assert by_teacher and all(d.state.shape[0] - 1 == d.sa.shape[0] <= 8 for d in by_teacher)

    def always_sa1(state: np.ndarray) -> np.ndarray:  # the "actor": every SJ on SA 1
        a = -np.ones((state.shape[0] - 1, 3), dtype=np.float32)
        a[:, 2] = 1.0
        return a

    by_actor = collect(teacher, tiny_system(), iter([random_workload(3, 6)]), PERIOD, encoder,
                       8, 1, always_sa1)
    # Other trajectory (other ticks), but the labels are still the teacher's choices.
    assert any(d.sa.size and (d.sa == 0).any() for d in by_actor)
    assert len(by_actor) != len(by_teacher) or any(
        not np.array_equal(a.state, b.state) for a, b in zip(by_actor, by_teacher, strict=True))


def test_dagger_fits_the_teachers_decisions_on_held_out_ticks() -> None:
    torch.manual_seed(0)
    actor = Actor(num_features(2), num_actions(2), 32)
    teacher = policies.make("edf-h")
    encoder = StateEncoder(NORM, 16)
    held_out = collect(teacher, tiny_system(), iter([random_workload(99, 20)]), PERIOD, encoder,
                       16, 1)
    with torch.no_grad():
        before, agree_before = imitation_loss(actor, held_out, 5.0)
    config = ImitationConfig(rounds=3, states_per_round=40, epochs=10, lr=3e-3)
    workloads = (random_workload(seed, 20) for seed in itertools.count(10))
    result = imitate(actor, teacher, tiny_system(), workloads,
                     PERIOD, encoder, 16, config, np.random.default_rng(0))
    with torch.no_grad():
        after, agree_after = imitation_loss(actor, held_out, 5.0)
    assert len(result.states) == 3 and result.states[0] < result.states[-1]  # data aggregates
    assert float(after) < 0.5 * float(before)
    assert agree_before < 0.6 and agree_after > 0.9  # SA choices: a coin flip, then the teacher's


def test_sa_loss_weighs_ready_sjs_by_ready_weight() -> None:
    torch.manual_seed(1)
    actor = Actor(num_features(2), num_actions(2), 8)
    rng = np.random.default_rng(0)
    state = rng.random((5, num_features(2))).astype(np.float32)
    teacher = Schedule(np.array([3.0, 2.0, 1.0, 0.0]), np.array([0, 1, 1, 0]))
    demo = label(state, teacher, span=4, ready=[True, False, False, True])
    with torch.no_grad():
        out = actor(torch.from_numpy(state)[None])[0, 1:]
        mse = float(((out[:, 0] - torch.from_numpy(demo.priority)) ** 2).mean())
        ce = torch.nn.functional.cross_entropy(out[:, 1:] * 5.0, torch.from_numpy(demo.sa),
                                               reduction="none").numpy()
        equal, _ = imitation_loss(actor, [demo], 5.0, ready_weight=1.0)
        ready_only, _ = imitation_loss(actor, [demo], 5.0, ready_weight=1e9)
        weighted, _ = imitation_loss(actor, [demo], 5.0, ready_weight=3.0)
    assert float(equal) == pytest.approx(mse + ce.mean(), rel=1e-5)
    assert float(ready_only) == pytest.approx(mse + ce[[0, 3]].mean(), rel=1e-5)
    assert float(weighted) == pytest.approx(
        mse + (3 * ce[0] + ce[1] + ce[2] + 3 * ce[3]) / 8, rel=1e-5)


def test_collect_draws_workloads_until_it_has_enough_ticks() -> None:
    encoder = StateEncoder(NORM, 8)
    drawn: list[int] = []

    def workloads():  # type: ignore[no-untyped-def]
        for seed in itertools.count():
            drawn.append(seed)
            yield random_workload(seed, 6)

    one = len(collect(policies.make("edf-h"), tiny_system(), iter([random_workload(0, 6)]),
                      PERIOD, encoder, 8, 1))
    demos = collect(policies.make("edf-h"), tiny_system(), workloads(), PERIOD, encoder, 8,
                    one + 1)
    assert len(drawn) >= 2 and len(demos) > one


def test_imitation_config_errors_name_the_value() -> None:
    with pytest.raises(ConfigError, match="imitation rounds = 0"):
        ImitationConfig(rounds=0)
    with pytest.raises(ConfigError, match="imitation lr = -1"):
        ImitationConfig(lr=-1.0)
    with pytest.raises(ConfigError, match="imitation ready_weight = 0"):
        ImitationConfig(ready_weight=0.0)
