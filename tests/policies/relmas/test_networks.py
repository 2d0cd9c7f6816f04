"""Actor and critic shapes, padding, MAC count, and the policy's argmax SA choice."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from policies.relmas.encoding import Normalisation, encode
from policies.relmas.networks import Actor, Critic, macs_per_step
from policies.relmas.policy import Relmas
from policies.relmas.rollout import Episode
from tests.policies.relmas.relmas_scenarios import PERIOD, random_workload, tiny_system


def test_macs_per_step_formula_and_the_papers_figure() -> None:
    # 4h(F + h) + h(h/2) + (h/2)G with h = 256, M = 6: F = 16, G = 7.
    assert macs_per_step(256, 16, 7) == 4 * 256 * 272 + 256 * 128 + 128 * 7 == 312_192
    # The paper's 316,288 is 4,096 = 16h more: the same formula with F = 20.
    assert macs_per_step(256, 20, 7) == 316_288


def test_actor_outputs_one_bounded_action_per_step() -> None:
    torch.manual_seed(0)
    actor = Actor(8, 3, 16)
    with torch.no_grad():
        out = actor(torch.randn(2, 5, 8) * 10)
    assert out.shape == (2, 5, 3)
    assert float(out.abs().max()) <= 1.0


def test_actor_and_critic_ignore_padding_after_the_sequence() -> None:
    torch.manual_seed(0)
    actor, critic = Actor(8, 3, 16), Critic(8, 3, 16)
    s, a = torch.randn(1, 4, 8), torch.randn(1, 4, 3)
    padded_s = torch.cat([s, torch.randn(1, 3, 8)], dim=1)
    padded_a = torch.cat([a, torch.randn(1, 3, 3)], dim=1)
    torch.testing.assert_close(actor(padded_s)[:, :4], actor(s))
    q = critic(s, a, torch.tensor([4]))
    q_padded = critic(padded_s, padded_a, torch.tensor([4]))
    assert q.shape == (1,)
    torch.testing.assert_close(q_padded, q)
    # Reading another length reads another step: the length matters.
    assert not torch.allclose(critic(padded_s, padded_a, torch.tensor([7])), q)


def test_policy_sa_is_the_argmax_of_the_scores_and_priority_the_first_output() -> None:
    system = tiny_system()
    ep = Episode(system, random_workload(3, 6), PERIOD)
    view = ep.view
    assert view is not None and view.size >= 2
    norm = Normalisation.for_profiles(random_workload(3, 1).profiles, time_unit=PERIOD,
                                      dram_bandwidth=16.0)
    torch.manual_seed(1)
    actor = Actor(8, 3, 16)
    policy = Relmas.from_actor(actor, norm)
    policy.reset(system)
    sched = policy.schedule(view)
    with torch.no_grad():
        out = actor(torch.from_numpy(encode(view, norm))[None])[0, 1:].numpy()
    np.testing.assert_array_equal(sched.sa, np.argmax(out[:, 1:], axis=1))
    np.testing.assert_allclose(sched.priority, out[:, 0], rtol=1e-6)
    # Force the scores: bias 0.7 on SA 1, -0.5 on SA 0, so every SJ goes to SA 1 with
    # priority tanh(0.3).
    with torch.no_grad():
        actor.fc2.weight.zero_()
        actor.fc2.bias.copy_(torch.tensor([0.3, -0.5, 0.7]))
    sched = policy.schedule(view)
    np.testing.assert_array_equal(sched.sa, np.ones(view.size, dtype=np.int64))
    np.testing.assert_allclose(sched.priority, np.full(view.size, np.tanh(0.3)), rtol=1e-6)


def test_decision_energy_counts_the_primer_step() -> None:
    from policies.relmas.policy import simba_small_pj_per_mac

    norm = Normalisation(("chain", "fork"), 3, PERIOD, 16.0)
    policy = Relmas.from_actor(Actor(8, 3, 16), norm)
    per_mac = simba_small_pj_per_mac()
    assert per_mac == pytest.approx(0.5 + 0.5 * (24 * 1024 / 512) ** (np.log(6) / np.log(200)))
    assert policy.decision_energy_pj(9) == pytest.approx(macs_per_step(16, 8, 3) * 10 * per_mac)
    capped = Relmas.from_actor(Actor(8, 3, 16), norm, max_rq=4)
    assert capped.decision_energy_pj(9) == pytest.approx(macs_per_step(16, 8, 3) * 5 * per_mac)
