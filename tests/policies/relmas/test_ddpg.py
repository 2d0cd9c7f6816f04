"""DDPG pieces: the residual RQ as next state, padding, and a learning critic."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from mas_sim.core.errors import ConfigError
from mas_sim.sim.view import Schedule
from mas_sim.workload import Request
from policies.relmas.ddpg import DDPG, DDPGConfig, ReplayBuffer, Transition, collate
from policies.relmas.encoding import Normalisation, StateEncoder, decode
from policies.relmas.rollout import Episode, residual_rows
from policies.relmas.train import play_tick
from tests.policies.relmas.relmas_scenarios import (
    PERIOD,
    fixed_workload,
    random_workload,
    tiny_profiles,
    tiny_system,
)

NORM = Normalisation.for_profiles(tiny_profiles(), time_unit=PERIOD, dram_bandwidth=16.0)


def test_replay_buffer_stores_only_the_residual_rq_as_next_state() -> None:
    # Tick 0: RQ = chain's c0, c1, c2, all on SA 0 (Eyeriss-S) in that order. c0 runs 0..600,
    # c1 (800 cycles there) starts at 600, so only c2 is left at the tick at 1000. The fork
    # request arrives at 500: it is in the RQ at 1000 but NOT in the stored next state.
    wl = fixed_workload([Request(0, "chain", 0.0, 100_000.0), Request(1, "fork", 500.0, 200_000.0)])
    ep = Episode(tiny_system(), wl, PERIOD)
    encoder = StateEncoder(NORM)
    schedule = Schedule(np.array([3.0, 2.0, 1.0]), np.array([0, 0, 0]))
    action = np.array([[1, 1, -1], [0, 1, -1], [-1, 1, -1]], dtype=np.float32)
    transition, step = play_tick(ep, encoder, lambda view, state: (schedule, action))
    buffer = ReplayBuffer(4)
    buffer.add(transition)
    stored = buffer.items[0]
    assert step.next_view is not None and step.next_view.size == 4  # c2 + fork's 3 layers
    np.testing.assert_array_equal(step.residual, [0])
    assert stored.state.shape == (4, 8) and stored.next_state.shape == (2, 8)
    expected = np.array([
        # primer: SA 0 busy until 1400 (c1), SA 1 idle
        [0, 0, 0, 0, math.log1p(0.4), 0, 0, 0],
        # c2: model chain (1/2), layer 2 (3/3), slack 99,000, waited 1,000, 500/500 cycles,
        # 3/3 bytes per cycle
        [0.5, 1.0, math.log1p(99.0), math.log1p(1.0), math.log1p(0.5), math.log1p(0.5),
         3 / 16, 3 / 16],
    ], dtype=np.float32)
    np.testing.assert_allclose(stored.next_state, expected, rtol=1e-6)
    np.testing.assert_array_equal(stored.action, action)
    assert not stored.done


def test_last_transition_is_done_with_an_empty_next_state() -> None:
    wl = fixed_workload([Request(0, "fork", 0.0, 100_000.0)])
    ep = Episode(tiny_system(), wl, PERIOD)
    encoder = StateEncoder(NORM)
    last = None
    while not ep.done:
        last, _ = play_tick(ep, encoder, lambda v, s: (Schedule(*decode(
            np.zeros((v.size, 3), dtype=np.float32), v)), np.zeros((v.size, 3), np.float32)))
    assert last is not None and last.done
    np.testing.assert_array_equal(last.next_state, np.zeros((1, 8), dtype=np.float32))
    assert ep.outcomes.met == 1


def test_collate_pads_and_masks() -> None:
    f, g = 8, 3
    a = Transition(np.ones((3, f), np.float32), np.full((2, g), 0.5, np.float32), 1.0,
                   np.ones((1, f), np.float32), False)
    b = Transition(np.ones((5, f), np.float32), np.full((4, g), -0.5, np.float32), -2.0,
                   np.ones((2, f), np.float32), True)
    batch = collate([a, b], reward_scale=0.5)
    assert batch.states.shape == (2, 5, f)
    assert batch.lengths.tolist() == [3, 5] and batch.next_lengths.tolist() == [1, 2]
    assert batch.mask.tolist() == [[False, True, True, False, False],
                                   [False, True, True, True, True]]
    assert float(batch.actions[0, 0].abs().sum()) == 0.0  # primer action is zero
    assert float(batch.actions[0, 3:].abs().sum()) == 0.0  # padding is zero
    assert batch.rewards.tolist() == [0.5, -1.0] and batch.dones.tolist() == [0.0, 1.0]


def test_replay_buffer_is_a_ring() -> None:
    buf = ReplayBuffer(2)
    ts = [Transition(np.zeros((1, 2), np.float32), np.zeros((0, 1), np.float32), float(i),
                     np.zeros((1, 2), np.float32), False) for i in range(3)]
    for t in ts:
        buf.add(t)
    assert len(buf) == 2 and [t.reward for t in buf.items] == [2.0, 1.0]


def test_a_few_hundred_updates_reduce_the_critic_loss() -> None:
    torch.set_num_threads(1)
    cfg = DDPGConfig(batch_size=16, learning_starts=1, max_rq=32)
    agent = DDPG(8, 3, 16, cfg, seed=0)
    rng = np.random.default_rng(0)
    encoder = StateEncoder(NORM, cfg.max_rq)
    buffer = ReplayBuffer(1000)

    def explore(view, state):  # type: ignore[no-untyped-def]
        action = agent.act(state, 0.3, rng)
        return Schedule(*decode(action, view)), action

    for seed in range(3):
        ep = Episode(tiny_system(), random_workload(seed, 30), PERIOD)
        while not ep.done:
            buffer.add(play_tick(ep, encoder, explore)[0])
    assert len(buffer) > 50
    held = collate(buffer.sample(np.random.default_rng(99), 128))
    with torch.no_grad():
        before = float(agent.critic_loss(held))
    for _ in range(300):
        agent.update(collate(buffer.sample(rng, cfg.batch_size)))
    with torch.no_grad():
        after = float(agent.critic_loss(held))
    assert after < 0.5 * before, (before, after)  # measured: 0.024 -> 0.0095


def test_exploration_noise_is_the_papers_and_sa_epsilon_plays_the_drawn_sa() -> None:
    from policies.relmas.ddpg import explore

    rng = np.random.default_rng(0)
    actions = rng.uniform(-1, 1, size=(50, 4)).astype(np.float32)
    state = np.random.default_rng(1).bit_generator.state
    quiet = np.random.default_rng(1)
    np.testing.assert_array_equal(explore(actions, 0.0, 0.0, quiet), actions)
    assert quiet.bit_generator.state == state  # nothing drawn when nothing is explored
    noisy = explore(actions, 0.3, 0.0, np.random.default_rng(2))
    expected = np.clip(actions + np.random.default_rng(2).normal(0.0, 0.3, actions.shape), -1, 1)
    np.testing.assert_array_equal(noisy, expected.astype(np.float32))
    # epsilon 1: every SJ plays a drawn SA, and the stored action's argmax is that SA.
    drawn = explore(actions, 0.0, 1.0, np.random.default_rng(3))
    check = np.random.default_rng(3)
    check.random(50)
    np.testing.assert_array_equal(drawn[:, 1:].argmax(1), check.integers(3, size=50))
    assert drawn.dtype == np.float32 and np.all(np.abs(drawn) <= 1.0)
    np.testing.assert_array_equal(drawn[:, 0], actions[:, 0])  # priorities untouched
    some = explore(actions, 0.0, 0.2, np.random.default_rng(4))
    changed = np.any(some != actions, axis=1).mean()
    assert 0.05 < changed < 0.35


def test_sa_epsilon_out_of_range_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"sa_epsilon = 1\.5"):
        DDPGConfig(sa_epsilon=1.5)


@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 40)), max_size=40),
       st.lists(st.tuples(st.integers(0, 30), st.integers(0, 40)), max_size=40))
def test_residual_rows_are_the_next_views_sjs_already_queued(
        before: list[tuple[int, int]], after: list[tuple[int, int]]) -> None:
    def view(pairs: list[tuple[int, int]]) -> SimpleNamespace:
        job, layer = (np.array([p[i] for p in pairs], dtype=np.int64) for i in (0, 1))
        return SimpleNamespace(job_id=job, layer_index=layer)

    rows = residual_rows(view(before), view(after))  # type: ignore[arg-type]
    assert rows.dtype == np.int64
    assert rows.tolist() == [i for i, pair in enumerate(after) if pair in set(before)]
