"""RELMAS's tenant option (beyond the paper): the deficit and target in the state, the reward
weighted by each tenant's deficit, checkpoints of the wider state, selection by tenants met."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from mas_sim.core.errors import CheckpointError, ConfigError
from mas_sim.hardware import SystemSpec
from policies.relmas.checkpoint import load_checkpoint, save_checkpoint
from policies.relmas.config import TrainConfig
from policies.relmas.encoding import Normalisation, StateEncoder, encode, num_features
from policies.relmas.evaluation import TenantOutcomes, evaluate
from policies.relmas.networks import Actor, Critic
from policies.relmas.policy import Relmas
from policies.relmas.reward import RewardConfig, tick_reward
from tests.policies.policy_views import make_view

NORM = Normalisation(("toy",), max_layers=2, time_unit=1000.0, dram_bandwidth=16.0,
                     tenant_features=True)


def _view():  # type: ignore[no-untyped-def]
    return make_view([[100.0, 200.0], [50.0, 60.0], [70.0, 80.0]], deadline=[5e3, 6e3, 7e3],
                     tenant=[0, 1, 1], tenant_deficit=[0.25, -1.5, -1.5],
                     now=0.0, period=1000.0)


def test_two_more_columns_hold_the_deficit_and_the_target() -> None:
    view = make_view([[100.0, 200.0], [50.0, 60.0]], tenant=[0, 1],
                     tenant_deficit=[0.25, -1.5], now=0.0, period=1000.0)
    view = type(view)(**{**view.__dict__, "tenant_target": np.array([0.95, 0.6])})
    x = encode(view, NORM)
    assert NORM.features(2) == num_features(2) + 2 == x.shape[1] == 10
    np.testing.assert_allclose(x[1:, 8], [0.25, -1.0])  # the deficit, clipped to [-1, 1]
    np.testing.assert_allclose(x[1:, 9], [0.95, 0.6], rtol=1e-6)
    assert not x[0, 8:].any()  # the primer has none
    plain = Normalisation(("toy",), 2, 1000.0, 16.0)
    np.testing.assert_array_equal(encode(view, plain), x[:, :8])
    assert StateEncoder(NORM).empty(2).shape == (1, 10)


def test_the_reward_weighs_each_sj_by_its_tenants_deficit() -> None:
    # now 0, Ts 1000; every SJ met within the period with zero slack term (gamma 0): each term is
    # alpha x max(0, 1 + w d): w = 2 -> 0.1 x (1 + 2 x 0.25), 0.1 x 0 (d clipped to -1), twice.
    view = _view()
    config = RewardConfig(alpha=0.1, gamma=0.0, tenant_weight=2.0)
    assert tick_reward(view, [500.0, 500.0, 500.0], config) == pytest.approx(0.1 * 1.5)
    assert tick_reward(view, [500.0] * 3, RewardConfig(alpha=0.1, gamma=0.0)) == pytest.approx(
        0.3)  # without the weight: the paper's reward
    with pytest.raises(ConfigError, match="tenant_weight"):
        RewardConfig(tenant_weight=float("inf"))


def test_checkpoints_keep_the_wider_state(tmp_path: Path) -> None:
    torch.manual_seed(0)
    f, g = NORM.features(2), 3
    path = tmp_path / "t.pt"
    save_checkpoint(path, actor=Actor(f, g, 8), critic=Critic(f, g, 8), normalisation=NORM)
    ckpt = load_checkpoint(path)
    assert ckpt.features == 10 and ckpt.normalisation.tenant_features
    schedule = Relmas(checkpoint=str(path)).schedule(_view())
    assert schedule.sa.shape == (3,)
    bad = tmp_path / "bad.pt"
    save_checkpoint(bad, actor=Actor(8, g, 8), critic=Critic(8, g, 8), normalisation=NORM)
    with pytest.raises(CheckpointError, match=r"8 features for 2 SAs, expected F = 4 \+ 2M "
                                              r"\+ 2 = 10"):
        load_checkpoint(bad)


def test_selection_by_tenants_met(paper_system: SystemSpec) -> None:
    import policies
    from mas_sim.workload.scenario import Scenario, build_workload

    def scenario(seed: int, requests: int):  # type: ignore[no-untyped-def]
        return build_workload(paper_system, Scenario(workload="light", requests=requests,
                                                     seed=seed, tenants=2,
                                                     tenant_targets="0.5,0.1"))

    sla = evaluate(policies.make("edf-ac-h"), paper_system, scenario, [3], 12, 100_000.0)
    both = evaluate(policies.make("edf-ac-h"), paper_system, scenario, [3], 12, 100_000.0,
                    select_by="tenants")
    from mas_sim import simulate

    run = simulate(paper_system, scenario(3, 12), "edf-ac-h", seed=3, trace=False)
    assert sla[0] == run.sla_satisfaction
    assert both[0] == run.tenants_met + run.sla_satisfaction  # tenants met, then the SLA
    with pytest.raises(ConfigError, match="select_by = 'tenants' needs tenant_targets"):
        TrainConfig(select_by="tenants")
    with pytest.raises(ConfigError, match="unknown select_by 'best'"):
        TrainConfig(select_by="best")


def test_tenant_outcomes_by_hand() -> None:
    class Job:
        def __init__(self, tenant: int, target: float | None, status: str) -> None:
            from types import SimpleNamespace

            self.request = SimpleNamespace(tenant=tenant, target=target)
            self.status = status

    outcomes = TenantOutcomes()
    for job in [Job(0, 0.5, "met"), Job(0, 0.5, "missed"), Job(1, 0.9, "met"),
                Job(1, 0.9, "dropped"), Job(2, None, "missed")]:
        outcomes.job_ended(job, 0.0)  # type: ignore[arg-type]
    assert outcomes.tenants_met() == 1  # tenant 0 at 0.5 >= 0.5; tenant 1 at 0.5 < 0.9


def test_tenant_plan_features_are_tenant_edfs_plan() -> None:
    # Two SAs, SA 1 the lane (50 cycles): the long SJ may not use it; the tenant below its target
    # (job 1, deficit 0.5) is planned first although its deadline is later.
    from policies.tenant_edf import TenantEdf, tenant_planned_finish

    view = make_view([[300.0, 200.0], [40.0, 30.0]], deadline=[1000.0, 1100.0], tenant=[0, 1],
                     tenant_deficit=[0.0, 0.5], now=0.0)
    finish = tenant_planned_finish(view, [0, 1], lane_sa=1, lane=50.0)
    # Job 1 first (virtual deadline 1100 - 0.5 x 1100 = 550): 40 on SA 0, 30 on SA 1; then job 0:
    # SA 0 free at 0 (job 1 took SA 1) -> 300; SA 1 is not its lane -> beyond any deadline.
    assert finish[1].tolist() == [40.0, 30.0]
    assert finish[0, 0] == 300.0 and finish[0, 1] > 1e17
    policy = TenantEdf(lane=50.0)
    policy.lane_sa = 1
    assert np.argmin(finish, axis=1).tolist() == policy.schedule(view).sa.tolist()
    norm = Normalisation(("toy",), 2, 1000.0, 16.0, sa_time="tenant_plan", lane_sa=1)
    x = encode(view, norm)
    np.testing.assert_allclose(x[2, 4:6], np.log1p(np.array([40.0, 30.0]) / 1000.0), rtol=1e-6)
    with pytest.raises(CheckpointError, match="needs the lane SA"):
        Normalisation(("toy",), 2, 1000.0, 16.0, sa_time="tenant_plan")
