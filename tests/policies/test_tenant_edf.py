"""Tenant-EDF: deficit priorities on hand-made views, and its closed loop in the engine."""

from __future__ import annotations

import numpy as np
import pytest

import policies
from mas_sim import SystemSpec, simulate
from mas_sim.core.errors import PolicyError
from mas_sim.sim.engine import EngineConfig
from mas_sim.workload.scenario import Scenario, build_workload
from policies.deadline import EdfAcH
from policies.tenant_edf import TenantEdf, virtual_deadline
from tests.policies.policy_views import make_view


def order(schedule: object) -> list[int]:
    return np.argsort(-schedule.priority, kind="stable").tolist()  # type: ignore[attr-defined]


def test_a_tenant_below_target_gains_priority_in_proportion_to_its_deficit() -> None:
    # Three one-layer requests on one SA, all arrived at 0; q = deadline.
    # Tenant 0 (deadline 100) is on target, tenant 1 (deadline 110) is 0.2 below,
    # tenant 2 (deadline 120) 0.05 below. Virtual deadlines with gain 1:
    # 100, 110 - 0.2 x 110 = 88, 120 - 0.05 x 120 = 114.
    view = make_view([[10.0], [10.0], [10.0]], deadline=[100.0, 110.0, 120.0],
                     tenant=[0, 1, 2], tenant_deficit=[0.0, 0.2, 0.05])
    np.testing.assert_allclose(virtual_deadline(view, 1.0), [100.0, 88.0, 114.0])
    assert order(TenantEdf(gain=1.0).schedule(view)) == [1, 0, 2]
    # Twice the gain: 100, 66, 108: the same order; a smaller deficit is not enough to pass.
    assert order(TenantEdf(gain=2.0).schedule(view)) == [1, 0, 2]
    # A tenant above its target (negative deficit) yields: 100 + 0.5 x 100 = 150 goes last.
    view = make_view([[10.0], [10.0], [10.0]], deadline=[100.0, 110.0, 120.0],
                     tenant=[0, 1, 2], tenant_deficit=[-0.5, 0.0, 0.0])
    assert order(TenantEdf().schedule(view)) == [1, 2, 0]


def test_without_deficits_it_is_edf_ac_h() -> None:
    view = make_view([[10.0], [10.0], [10.0]], deadline=[5.0, 15.0, 25.0])
    assert order(TenantEdf().schedule(view)) == order(EdfAcH().schedule(view)) == [1, 2, 0]
    # With a zero gain the deficits are ignored.
    view = make_view([[10.0], [10.0]], deadline=[15.0, 25.0], tenant_deficit=[0.0, 0.9])
    assert order(TenantEdf(gain=0.0).schedule(view)) == [0, 1]
    assert order(TenantEdf(gain=1.0).schedule(view)) == [1, 0]


def test_admission_uses_the_real_deadline() -> None:
    # Tenant 1 is far below target, but its request cannot finish by its real deadline (5):
    # it is deferred behind the one that can, whatever its virtual deadline.
    view = make_view([[10.0], [10.0]], deadline=[5.0, 30.0], tenant=[1, 0],
                     tenant_deficit=[0.9, 0.0])
    assert order(TenantEdf(gain=4.0).schedule(view)) == [1, 0]


def test_the_fast_lane_takes_only_short_sub_jobs(paper_system: SystemSpec) -> None:
    # Two SAs; SA 1 is the lane (set by hand here). The long request would finish first on SA 1
    # (200 < 300 cycles) but may not use it; the short one does.
    view = make_view([[300.0, 200.0], [60.0, 40.0]], deadline=[1000.0, 1000.0])
    policy = TenantEdf(lane=50.0)
    policy.lane_sa = 1
    assert policy.schedule(view).sa.tolist() == [0, 1]
    # Without the lane the long one takes SA 1 (finish 200) and the short one SA 0 (finish 60).
    assert TenantEdf(lane=0.0).schedule(view).sa.tolist() == [1, 0]
    # reset() picks the SA with the most peak MACs per cycle: Eyeriss-Large in the paper's system.
    policy.reset(paper_system)
    assert paper_system.sa_labels[policy.lane_sa] == "Eyeriss-Large"


@pytest.mark.parametrize(("options", "message"), [({"gain": -1}, "gain = -1"),
                                                  ({"lane": float("nan")}, "lane = nan")])
def test_bad_options(options: dict[str, float], message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        policies.make("tenant-edf", **options)


def test_the_engine_feeds_back_each_tenants_deficit(paper_system: SystemSpec) -> None:
    """Every view's deficits equal a reference computed from the ended requests seen so far."""
    sc = Scenario(requests=60, seed=4, tenant_targets="0.95x2,0.8x3,0.6x3", workload="heavy")
    wl = build_workload(paper_system, sc)
    window = 5
    ended: dict[int, list[tuple[float, bool]]] = {}
    checked = []

    class Reference:
        def job_ended(self, job, now):  # type: ignore[no-untyped-def]
            ended.setdefault(job.request.tenant, []).append(
                (job.request.target, job.status == "met"))

        def ticked(self, now, view, schedule, seconds):  # type: ignore[no-untyped-def]
            if view is None:
                return
            for t, d, target in zip(view.tenant.tolist(), view.tenant_deficit.tolist(),
                                    view.tenant_target.tolist(), strict=True):
                last = ended.get(t, [])[-window:]
                mean_target = sum(x for x, _ in last) / len(last) if last else 0.0
                hit_rate = sum(m for _, m in last) / len(last) if last else 0.0
                assert target == pytest.approx(mean_target, abs=1e-12)
                assert d == pytest.approx(mean_target - hit_rate, abs=1e-12)
                checked.append(d)

    simulate(paper_system, wl, TenantEdf(), config=EngineConfig(tenant_window=window),
             observers=(Reference(),))
    assert any(d > 0 for d in checked) and any(d < 0 for d in checked)


def test_deficits_stay_zero_without_targets(paper_system: SystemSpec) -> None:
    wl = build_workload(paper_system, Scenario(requests=20, seed=1, workload="light"))
    deficits = []

    class Spy:
        def ticked(self, now, view, schedule, seconds):  # type: ignore[no-untyped-def]
            if view is not None:
                deficits.extend([view.tenant_deficit, view.tenant_target])

    simulate(paper_system, wl, "edf-ac-h", observers=(Spy(),), trace=False)
    assert deficits and all(d.shape[0] > 0 and not d.any() for d in deficits)
