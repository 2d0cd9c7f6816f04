"""Each setting is defined once: the command line's options and defaults come from the fields of
Scenario / Point (mas_sim.core.settings), so they cannot drift apart."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import pytest

from mas_sim.cli import build_parser
from mas_sim.cli.options import add_settings, point_fields_from_args, point_from_args
from mas_sim.core.errors import ConfigError
from mas_sim.core.settings import Edge, field_docs, setting, settings
from mas_sim.hardware import SystemSpec
from mas_sim.runs.experiment import POINT_FIELDS, Point
from mas_sim.runs.sweep import AXES
from mas_sim.workload.scenario import Scenario

REQUIRED = {"sweep": ["--grid", "seed=1", "--out", "x.csv"], "reproduce": ["relmas"]}


def parse(command: str, *extra: str) -> argparse.Namespace:
    return build_parser().parse_args([command, *REQUIRED.get(command, []), *extra])


@pytest.mark.parametrize("command", ["run", "compare", "sweep"])
def test_the_cli_defaults_are_the_dataclass_defaults(command: str) -> None:
    args = parse(command)
    assert point_from_args(args, "fcfs-h") == Point()
    assert point_from_args(args, "fcfs-h").scenario() == Scenario()


def test_every_option_of_point_is_on_run_with_its_default_in_the_users_unit() -> None:
    args = vars(parse("run"))
    for f, s in settings(Point):
        if s.option:
            assert args[s.user_name(f.name)] == s.user_value(f.default), f.name
    assert args["period_us"] == 100.0  # DEFAULT_PERIOD cycles, in us at the edge


def test_models_takes_the_hardware_settings() -> None:
    args = parse("models")
    assert (args.hardware, args.bandwidth_gbps, args.costs) == ("paper", None, "analytical")
    assert Point(**point_fields_from_args(args)).system() == SystemSpec.paper()


def test_options_convert_units_at_the_edge() -> None:
    point = point_from_args(parse("run", "--period-us", "50", "--policy", "edf-h"))
    assert point.period == 50_000.0 and point.policy == "edf-h"
    assert point.columns()["period_us"] == 50.0


def test_every_option_has_help_from_its_docstring_and_is_a_grid_axis() -> None:
    docs = field_docs(Point)
    for f, s in settings(Point):
        if s.option:
            assert docs.get(f.name), f"{f.name} has no docstring (its option's help)"
            assert s.user_name(f.name) in AXES
            assert s.user_name(f.name) in POINT_FIELDS


def test_a_new_field_becomes_an_option_with_nothing_else_to_write() -> None:
    @dataclass(frozen=True)
    class Extended(Point):
        arrival: str = setting("pareto", choices=("pareto", "poisson"), key_default=False)
        """Arrival process."""
        burst_ms: float = setting(2.0, above=0.0, key_default=False,
                                  edge=Edge("burst_us", lambda ms: ms * 1e3,
                                            lambda us: us / 1e3, "burst length, us"))
        """Burst length, ms."""

    parser = argparse.ArgumentParser()
    add_settings(parser, Extended)
    args = parser.parse_args(["--arrival", "poisson", "--burst-us", "500"])
    values = point_fields_from_args(args, Extended)
    assert values["arrival"] == "poisson" and values["burst_ms"] == 0.5
    assert "Arrival process" in parser.format_help()
    with pytest.raises(SystemExit):
        parser.parse_args(["--arrival", "bursty"])
    with pytest.raises(ConfigError, match=r"burst_us = -1000\.0, expected a finite number > 0"):
        Extended(burst_ms=-1.0)
    # key_default=False: fields added later keep the keys of existing results at their default.
    assert Extended().key() == Point().key()
    assert Extended(arrival="poisson").key() != Point().key()
    assert Extended(burst_ms=1.0).columns()["burst_us"] == 1000.0


def test_settings_not_exposed_as_options_stay_out_of_keys_at_their_default() -> None:
    from mas_sim.workload.tenants import TenantSet

    assert "tenant_spec" not in Point().columns()
    spec = TenantSet.uniform(4)
    assert Point(tenant_spec=spec).columns()["tenant_spec"] == spec
    assert Point(tenant_spec=spec).key() != Point().key()
    assert Point(tenant_spec=None).key() == Point().key()
    # An option added later (key_default=False) keeps the keys of points at its default.
    assert Point(tenants=8).key() == Point().key() != Point(tenants=4).key()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"load": float("inf")}, "load = inf, expected a finite number > 0"),
    ({"base_qos": float("nan")}, "base_qos = nan, expected a finite number > 0"),
    ({"seed": -1}, "seed = -1, expected an integer in [0, "),
    ({"requests": 10**12}, "expected an integer in [1, 1,000,000]"),
    ({"requests": True}, "requests = True, expected an integer"),
    ({"period": 0.0}, "period_us = 0.0, expected a finite number >= 1"),
    ({"workload": "huge"}, "unknown workload 'huge' (known: heavy, light, mixed)"),
    ({"costs": "magic"}, "unknown costs 'magic' (known: analytical, zigzag)"),
    ({"pareto_shape": 1.0}, "pareto_shape = 1.0, expected a finite number > 1"),
])
def test_scenario_values_are_checked_in_one_place(kwargs: dict[str, object],
                                                  message: str) -> None:
    with pytest.raises(ConfigError) as info:
        Scenario(**kwargs)  # type: ignore[arg-type]
    assert message in str(info.value)


def test_equal_values_of_another_type_make_equal_points_and_keys() -> None:
    assert Point(load=1).key() == Point(load=1.0).key()
    assert isinstance(Point(load=1).load, float)
