"""Tenants: specs, mixes, rates and targets, and how requests are drawn from them."""

from __future__ import annotations

import numpy as np
import pytest

from mas_sim import SystemSpec
from mas_sim.core.errors import ConfigError
from mas_sim.workload.arrivals import Poisson, isolated_work
from mas_sim.workload.mix import RequestMix
from mas_sim.workload.scenario import Scenario, build_workload
from mas_sim.workload.tenants import (
    Tenant,
    TenantSet,
    parse_mix,
    parse_tenant_option,
    parse_tenants,
    parse_values,
)

WORK = {"a": 1.0, "b": 10.0, "c": 100.0}


def test_values_and_mix_shorthands() -> None:
    assert parse_values("0.95x2,0.8x3,0.6x3", "t") == [0.95] * 2 + [0.8] * 3 + [0.6] * 3
    assert parse_values("0.5", "t") == [0.5]
    assert parse_mix("resnet50:2, kws ,x:0.5") == (("resnet50", 2.0), ("kws", 1.0), ("x", 0.5))
    for bad, message in [("0.9x0", "repeats 0 times"), ("abc", "'abc' is not a number")]:
        with pytest.raises(ConfigError, match=message):
            parse_values(bad, "--tenant-targets")
    for bad, message in [("a:-1", "a = -1.0, expected a positive"), ("a,,b", "empty model"),
                         ("a:x", "weight 'x' of model 'a'"), ("a,a", "'a' is given twice")]:
        with pytest.raises(ConfigError, match=message):
            parse_mix(bad)


def test_tenant_tables_with_counts_and_per_model_targets() -> None:
    items = [{"name": "gold", "count": 2, "target": 0.95, "targets": {"kws": 0.99}, "rate": 2},
             {"count": 1, "zipf": 1.2},
             {"name": "solo", "models": ["kws", "alexnet"], "target": 0.6}]
    ts = parse_tenants(items, "s.toml")
    assert ts.names == ("gold-0", "gold-1", "t2", "solo")
    assert ts.target(0, "kws") == 0.99 and ts.target(1, "resnet50") == 0.95
    assert ts.target(2, "kws") is None and ts.target(3, "kws") == 0.6
    np.testing.assert_allclose(ts.shares, [2 / 6, 2 / 6, 1 / 6, 1 / 6])
    assert ts.models_named() == ("kws", "alexnet")
    assert ts.index("solo") == 3 and ts.index("1") == 1 and ts.index("9") is None
    assert not ts.plain and ts.has_targets


@pytest.mark.parametrize(("items", "message"), [
    ([{"name": "a", "target": 0}], "#1: tenant 'a': target = 0, expected a hit-rate target in "
                                   "(0, 1]"),
    ([{"target": 1.5}], "target = 1.5"),
    ([{}, {"targets": {"kws": -0.1}}], "#2: tenant 't1': targets.kws = -0.1"),
    ([{"colour": "red"}], "#1: unknown key 'colour' (known: count, models, name, rate,"),
    ([{"count": 0}], "count = 0, expected a positive integer"),
    ([{"rate": -1}], "rate = -1, expected a positive number"),
    ([{"models": {"kws": 1}, "zipf": 1.0}], "either models or zipf"),
    ([{"name": "x"}, {"name": "x"}], "tenant name 'x' is used twice"),
    ([], "expected a tenant count or an array"),
])
def test_bad_tenant_tables(items: list, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_tenants(items, "s.toml")
    assert message in str(info.value)
    assert str(info.value).startswith("s.toml")


def test_inline_tenant_option() -> None:
    item = parse_tenant_option('{name = "gold", count = 2, target = 0.95}', 1)
    assert parse_tenants(item, "--tenant").names == ("gold-0", "gold-1")
    with pytest.raises(ConfigError, match="--tenant #3 'gold' is not an inline TOML table"):
        parse_tenant_option("gold", 3)


def test_zipf_mix_rotates_per_tenant() -> None:
    t = Tenant("x", zipf=1.0)
    assert t.weights(1, ("a", "b", "c"), None) == (("b", 1.0), ("c", 0.5), ("a", 1 / 3))


def test_mix_draws_follow_rates_and_mixes() -> None:
    tenants = TenantSet((Tenant("big", rate=3, models=(("a", 1.0),)),
                         Tenant("small", rate=1, models=(("b", 1.0), ("c", 3.0)))))
    mix = RequestMix(("a", "b", "c"), WORK, tenants=tenants)
    rng = np.random.default_rng(0)
    draws = [mix.draw(rng) for _ in range(20_000)]
    tenant = np.array([t for t, _ in draws])
    assert abs((tenant == 0).mean() - 0.75) < 0.01
    assert {m for t, m in draws if t == 0} == {"a"}
    small = [m for t, m in draws if t == 1]
    assert abs(small.count("c") / len(small) - 0.75) < 0.02
    assert mix.mean_work() == pytest.approx(0.75 * 1.0 + 0.25 * (0.25 * 10 + 0.75 * 100))
    # A supplied quantile replaces the draw: lightest model first.
    assert mix.draw(rng, tenant=1, u=0.1) == (1, "b")
    assert mix.draw(rng, tenant=1, u=0.9) == (1, "c")


def test_targets_change_no_request(paper_system: SystemSpec) -> None:
    plain = build_workload(paper_system, Scenario(requests=40, seed=5))
    targeted = build_workload(paper_system, Scenario(requests=40, seed=5,
                                                     tenant_targets="0.95x2,0.8x3,0.6x3"))
    assert [(r.model, r.arrival, r.tenant, r.priority) for r in plain.requests] == [
        (r.model, r.arrival, r.tenant, r.priority) for r in targeted.requests]
    expected = [0.95] * 2 + [0.8] * 3 + [0.6] * 3
    assert all(r.target is None for r in plain.requests)
    assert all(r.target == expected[r.tenant] for r in targeted.requests)


def test_scenario_tenant_options(paper_system: SystemSpec) -> None:
    sc = Scenario(requests=30, tenant_rates="3,1", tenants=2, tenant_targets="0.9,0.5",
                  models="resnet50:1,kws:1")
    ts = sc.tenant_set
    assert ts is not None and ts.names == ("t0", "t1")
    assert [t.rate for t in ts.tenants] == [3.0, 1.0]
    with pytest.warns(UserWarning, match="kws"):
        wl = build_workload(paper_system, sc)
    assert {r.model for r in wl.requests} <= {"resnet50", "kws"}
    with pytest.raises(ConfigError, match="3 values for 2 tenants"):
        Scenario(tenants=2, tenant_targets="0.9,0.8,0.7")
    with pytest.raises(ConfigError, match=r"target = 1.2, expected a hit-rate target in \(0, 1\]"):
        Scenario(tenant_targets="1.2")
    with pytest.raises(ConfigError, match="unknown model 'lenet'"):
        build_workload(paper_system, Scenario(models="kws,lenet"))


def test_short_models_warn_with_the_reason(paper_system: SystemSpec) -> None:
    with pytest.warns(UserWarning, match=r"model 'kws': isolated latency 87.\d us is shorter "
                                         r"than the scheduling period 100 us"):
        build_workload(paper_system, Scenario(requests=2, models="kws,resnet50"))


def test_poisson_gaps_have_the_mean_and_unit_cv() -> None:
    rng = np.random.default_rng(1)
    gaps = np.array([Poisson().gap(rng, 1000.0) for _ in range(50_000)])
    assert gaps.mean() == pytest.approx(1000.0, rel=0.02)
    assert gaps.std() / gaps.mean() == pytest.approx(1.0, rel=0.02)


@pytest.mark.parametrize("arrivals", ["pareto", "poisson"])
def test_synthetic_arrivals_hit_the_load_on_average(arrivals: str,
                                                    paper_system: SystemSpec) -> None:
    wl = build_workload(paper_system, Scenario(requests=4000, arrivals=arrivals, seed=2,
                                               workload="light", load=0.5))
    reqs = wl.requests
    work = np.mean([isolated_work(wl.profiles[r.model]) for r in reqs])
    load = work / (paper_system.num_sas * reqs[-1].arrival / len(reqs))
    assert load == pytest.approx(0.5, rel=0.1)
