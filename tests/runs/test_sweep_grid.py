"""Grid parsing and expansion: every axis value checked before anything runs."""

from __future__ import annotations

import pytest

from mas_sim.cli.options import parse_policy_options
from mas_sim.core.errors import ConfigError, PolicyError
from mas_sim.runs.experiment import Point
from mas_sim.runs.sweep import AXES, check_points, expand, parse_grid


def test_parses_the_issue_example_in_order() -> None:
    grid = parse_grid("policy=fcfs-h,edf-h;seed=1,2,3;bandwidth_gbps=8,16")
    assert grid.axes == (("policy", ("fcfs-h", "edf-h")), ("seed", (1, 2, 3)),
                         ("bandwidth_gbps", (8.0, 16.0)))
    assert len(grid) == 12


def test_whitespace_hyphens_ranges_and_trailing_separator() -> None:
    grid = parse_grid(" seed = 1..3 , 7 ; bandwidth-gbps=4 ; ")
    assert grid.axes == (("seed", (1, 2, 3, 7)), ("bandwidth_gbps", (4.0,)))


@pytest.mark.parametrize(("text", "message"), [
    ("", "is empty"),
    (" ; ", "is empty"),
    ("seed", "has no '='"),
    ("colour=red", "unknown grid axis 'colour' (known: "),
    ("workload=huge", "unknown workload 'huge' (known: heavy, light, mixed)"),
    ("qos=extreme", "unknown qos 'extreme' (known: high, low, medium)"),
    ("policy=nope", "unknown policy 'nope' (known: "),
    ("seed=1;seed=2", "given twice"),
    ("seed=1,1", "value 1 is given twice"),
    ("seed=1,,2", "non-empty values"),
    ("seed=", "non-empty values"),
    ("seed=x", "value 'x', expected an integer"),
    ("seed=3..1", "range '3..1' is empty"),
    ("load=0.1..0.5", "ranges are for the integer axes"),
    ("bandwidth_gbps=-4", "bandwidth_gbps = -4.0, expected a finite number >= 0.1"),
    ("period_us=nan", "period_us = nan, expected a finite number >= 1"),
    ("load=inf", "load = inf, expected a finite number > 0"),
    ("seed=-1", "seed = -1, expected an integer in [0, "),
    ("requests=0..2", "requests = 0, expected an integer in [1, 1,000,000]"),
    ("seed=1..1000000000", "has 1,000,000,000 values, more than a grid may have"),
    ("seed=1..1000;requests=1..1000", "has 1,000,000 points, more than 100,000"),
    ("hidden=0", "expected an integer >= 1"),
    ("hardware=missing.toml", "does not exist"),
])
def test_bad_grids_are_refused_with_the_value_named(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=None) as info:
        parse_grid(text)
    assert message in str(info.value)


def test_unknown_axis_lists_every_valid_axis() -> None:
    with pytest.raises(ConfigError) as info:
        parse_grid("bandwidth=8")
    for axis in AXES:
        assert axis in str(info.value)


def test_expand_is_row_major_over_the_base_point() -> None:
    base = Point(workload="light", requests=5)
    points = expand(parse_grid("policy=fcfs-h,edf-h;seed=1,2"), base)
    assert [(p.policy, p.seed) for p in points] == [
        ("fcfs-h", 1), ("fcfs-h", 2), ("edf-h", 1), ("edf-h", 2)]
    assert all(p.workload == "light" and p.requests == 5 for p in points)


def test_policy_options_go_to_their_policy_only() -> None:
    points = expand(parse_grid("policy=fcfs-h,magma"), Point(),
                    {"magma": {"generations": 3, "population": 4}})
    assert points[0].options == {}
    assert points[1].options == {"generations": 3, "population": 4}


def test_hidden_applies_to_relmas_only_and_duplicates_collapse() -> None:
    points = expand(parse_grid("policy=fcfs-h,relmas;hidden=64,128"), Point())
    assert [(p.policy, p.hidden) for p in points] == [
        ("fcfs-h", None), ("relmas", 64), ("relmas", 128)]
    with pytest.raises(ConfigError, match="no point of the grid runs the relmas policy"):
        expand(parse_grid("policy=fcfs-h;hidden=64"), Point())


def test_point_keys_are_stable_and_distinguish_every_field() -> None:
    a = Point(policy="magma", seed=1, policy_options=(("population", 4), ("generations", 2)))
    b = Point(policy="magma", seed=1, policy_options=(("generations", 2), ("population", 4)))
    assert a == b and a.key() == b.key()
    assert len(a.key()) == 16
    assert a.key() != Point(policy="magma", seed=2, policy_options=a.policy_options).key()


def test_check_points_refuses_bad_policy_options_without_running() -> None:
    points = expand(parse_grid("policy=magma"), Point(), {"magma": {"colour": 1}})
    with pytest.raises(PolicyError, match="bad options"):
        check_points(points)


@pytest.mark.parametrize(("specs", "expected"), [
    (["magma.generations=20", "magma.population=30"],
     {"magma": {"generations": 20, "population": 30}}),
    (["magma.time_budget_s=0.5", "relmas.device=cpu"], {"magma": {"time_budget_s": 0.5},
                                                       "relmas": {"device": "cpu"}}),
])
def test_policy_option_parsing(specs: list[str], expected: dict[str, dict[str, object]]) -> None:
    assert parse_policy_options(specs) == expected


@pytest.mark.parametrize("spec", ["generations=20", "magma.generations", ".x=1", "magma.=1"])
def test_malformed_policy_options_are_refused(spec: str) -> None:
    with pytest.raises(ConfigError, match=r"expected POLICY\.KEY=VALUE"):
        parse_policy_options([spec])


@pytest.mark.parametrize(("specs", "running", "message"), [
    (["x.y=1"], None, "unknown policy 'x' (known: "),
    (["magma.colour=1"], None, "unknown option of magma 'colour' (known: "),
    (["magma.generations=1"], ["fcfs-h"], "policy 'magma' is not run here (runs: fcfs-h)"),
    (["magma.generations=1", "magma.generations=2"], None, "given twice"),
    (["relmas.checkpoint=x.pt"], None, "use --checkpoint instead"),
])
def test_policy_options_are_checked_against_the_policies(
        specs: list[str], running: list[str] | None, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_policy_options(specs, running)
    assert message in str(info.value)
