"""Options shared by ``run``, ``compare``, ``sweep`` and ``models``, generated from the settings
of :class:`~mas_sim.runs.experiment.Point` (a :class:`~mas_sim.workload.scenario.Scenario` plus
hardware and policy).

Each option is one field: ``--name`` from the field's name at the edge (``period`` ->
``--period-us``), its default from the field's default (in the user's unit), its help from the
field's docstring, its choices from the setting. :func:`point_from_args` turns the parsed
options back into a point (converting units), and the dataclass checks every value. A field
added to ``Scenario`` or ``Point`` therefore becomes an option of every command that takes the
scenario, with nothing to write here.

Building the parser imports no heavy module (numpy, pandas, torch): see ``tests/cli``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from mas_sim.core.errors import ConfigError, unknown_name
from mas_sim.core.settings import field_docs, settings
from mas_sim.runs.experiment import Point
from mas_sim.workload.scenario import Scenario

#: Point fields that are not scenario options: given per command (``run --policy``,
#: ``compare --policies``, ``sweep --policy``) or by ``--policy-option``.
POLICY_FIELDS = ("policy", "policy_options")


def add_settings(group: argparse._ActionsContainer, cls: type = Point, *,
                 only: Collection[str] | None = None, skip: Collection[str] = ()) -> None:
    """Add one option per setting of dataclass ``cls`` (those with ``option=True``), in field
    order; ``only`` / ``skip`` select fields by name."""
    docs = field_docs(cls)
    for f, s in settings(cls):
        if not s.option or f.name in skip or (only is not None and f.name not in only):
            continue
        name = s.user_name(f.name)
        default = s.user_value(f.default)
        help_text = (s.edge.help if s.edge else docs.get(f.name, "")).rstrip(".")
        if default is not None:
            help_text += f" (default: {default:g})" if isinstance(default, float) else \
                f" (default: {default})"
        known = s.choices if isinstance(s.choices, Collection) else None
        group.add_argument(f"--{name.replace('_', '-')}", dest=name, default=default,
                           type=s.kind, metavar=None if known else s.metavar,
                           choices=sorted(known) if known else None,
                           help=help_text.replace("``", "").replace("%", "%%"))


def add_scenario_options(parser: argparse.ArgumentParser, *,
                         skip: Collection[str] = POLICY_FIELDS) -> None:
    """The scenario and hardware options (every setting of :class:`Point` but ``skip``) and
    ``--no-progress``."""
    g = parser.add_argument_group("scenario")
    g.add_argument("--scenario", default=None, metavar="FILE.toml",
                   help="read the scenario (tenants included) from a TOML file; options given "
                        "beside it win (format: mas_sim/workload/scenario_file.py)")
    add_settings(g, Point, skip=skip)
    g.add_argument("--tenant", action="append", default=None, metavar="TABLE",
                   help="a tenant as an inline TOML table, e.g. '{name = \"gold\", count = 2, "
                        "target = 0.95, targets = {kws = 0.99}, zipf = 1.0}' (repeatable; "
                        "replaces a scenario file's [[tenants]])")
    g.add_argument("--plugin", action="append", default=None, metavar="MODULE",
                   help="import a module or .py file that registers models or policies "
                        "(repeatable; installed packages can use entry points instead)")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")


def point_fields_from_args(args: argparse.Namespace, cls: type = Point) -> dict[str, Any]:
    """The values of the options :func:`add_settings` added for ``cls``, in inside units, by
    field name (fields without an option in ``args`` are left out)."""
    values: dict[str, Any] = {}
    for f, s in settings(cls):
        name = s.user_name(f.name)
        if s.option and hasattr(args, name):
            values[f.name] = s.inside(getattr(args, name))
    return values


def point_from_args(args: argparse.Namespace, policy: str | None = None,
                    policy_options: dict[str, dict[str, Any]] | None = None) -> Point:
    """The :class:`Point` of the parsed options, running ``policy`` (default: ``--policy``)
    with its options from ``policy_options`` (policy name -> options). ``checkpoint`` and
    ``hidden`` concern RELMAS only and are dropped for other policies."""
    values = {**point_fields_from_args(args), **tenant_fields_from_args(args)}
    if policy is not None:
        values["policy"] = policy
    name = values.get("policy", Point.policy)
    if policy is not None and name != "relmas":
        values.pop("checkpoint", None)
        values.pop("hidden", None)
    options = (policy_options or {}).get(name, {})
    return Point(**values, policy_options=tuple(options.items()))


def tenant_fields_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """``tenant_spec`` (``--tenant`` tables, else a scenario file's ``[[tenants]]``) and
    ``plugins`` (``--plugin`` options after a scenario file's) of the parsed options; plugins
    are imported here, before the options that name their models and policies are checked."""
    from mas_sim.core.plugins import load_plugins

    values: dict[str, Any] = {}
    plugins = [p for p in (getattr(args, "scenario_plugins", None),
                           *(getattr(args, "plugin", None) or [])) if p]
    if plugins:
        values["plugins"] = ",".join(plugins)
        load_plugins(values["plugins"])
    tables = getattr(args, "tenant", None)
    if tables:
        from mas_sim.workload.tenants import parse_tenant_option, parse_tenants

        items = [item for k, text in enumerate(tables, start=1)
                 for item in parse_tenant_option(text, k)]
        values["tenant_spec"] = parse_tenants(items, "--tenant")
    elif getattr(args, "scenario_tenants", None) is not None:
        values["tenant_spec"] = args.scenario_tenants
    return values


def apply_scenario_file(parser: argparse.ArgumentParser, argv: Sequence[str] | None,
                        args: argparse.Namespace) -> argparse.Namespace:
    """Parse ``argv`` again with ``parser`` (the whole command line's), the scenario file of
    ``--scenario`` being the defaults of the command's options, so that options given
    explicitly win; ``args`` if there is no ``--scenario``."""
    path = getattr(args, "scenario", None)
    if path is None:
        return args
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    command: argparse.ArgumentParser = sub.choices[args.command]
    from mas_sim.workload.scenario_file import TENANT_TABLES, read_scenario_file

    values = read_scenario_file(path, Point)
    tenants = values.pop(TENANT_TABLES, None)
    plugins = values.pop("plugins", None)
    if plugins:  # the file's policy and models may come from its plugins
        from mas_sim.core.plugins import load_plugins

        load_plugins(plugins)
    dests = {a.dest for a in command._actions}  # the command's own options only
    command.set_defaults(**{k: v for k, v in values.items() if k in dests},
                         scenario_tenants=tenants, scenario_plugins=plugins)
    return parser.parse_args(argv)


def scenario_label(args: argparse.Namespace) -> str:
    """``workload/qos`` for the summary lines, the model mix (``--models``) in place of the
    workload set when one is given, and the arrival process when it is not Pareto."""
    models = getattr(args, "models", None)
    label = f"{models if models else args.workload}/{args.qos}"
    arrivals = getattr(args, "arrivals", "pareto")
    return label if arrivals in (None, "pareto") else f"{label}, {arrivals} arrivals"


def system_from_args(args: argparse.Namespace) -> Any:
    """The hardware of ``--hardware`` with ``--bandwidth-gbps`` applied."""
    return Point(**point_fields_from_args(args)).system()


def write_json(target: str, payload: dict[str, Any]) -> None:
    """Write ``payload`` to ``target`` (a path, or ``-`` for stdout)."""
    from mas_sim.core.files import atomic_write_text

    text = json.dumps(payload, sort_keys=True, indent=None if target == "-" else 2)
    if target == "-":
        print(text)
    else:
        atomic_write_text(Path(target), text + "\n")


def human(args: argparse.Namespace) -> Any:
    """Where human-readable output goes: stderr when JSON goes to stdout."""
    return sys.stderr if getattr(args, "json", None) == "-" else sys.stdout


def scenario_from_args(args: argparse.Namespace) -> Scenario:
    """The :class:`Scenario` of the command-line options."""
    return Point(**point_fields_from_args(args)).scenario()


# -- policy options ------------------------------------------------------------------------------
#: RELMAS options that the point sets itself (``--checkpoint``, ``--hidden``, the scenario).
_SET_BY_POINT = {"checkpoint": "--checkpoint", "hidden": "--hidden", "workload": "--workload",
                 "qos": "--qos"}


def add_policy_option(parser: argparse.ArgumentParser) -> None:
    """``--policy-option POLICY.KEY=VALUE`` (repeatable)."""
    parser.add_argument(
        "--policy-option", action="append", default=[], metavar="POLICY.KEY=VALUE",
        help="an option of one policy, e.g. magma.generations=20 (repeatable; VALUE is read "
             "as JSON, else as a string; checked before anything runs)")


def parse_policy_options(specs: list[str], running: Collection[str] | None = None
                         ) -> dict[str, dict[str, Any]]:
    """``["magma.generations=20", ...]`` -> ``{"magma": {"generations": 20}}``.

    Refuses a malformed spec, an unknown policy, a policy not in ``running`` (the policies the
    command runs, if known), an option the policy's factory does not take, and an option given
    twice. The values themselves are checked by the policy when it is created.
    """
    import inspect

    import policies

    out: dict[str, dict[str, Any]] = {}
    for spec in specs:
        target, eq, text = spec.partition("=")
        name, dot, key = target.strip().rpartition(".")
        key = key.strip()
        if not (eq and dot and name and key):
            raise ConfigError(f"--policy-option {spec!r}, expected POLICY.KEY=VALUE "
                              f"(e.g. magma.generations=20)")
        known = policies.available()
        if name not in known:
            raise ConfigError(f"--policy-option {spec!r}: "
                              + unknown_name("policy", name, known))
        if running is not None and name not in running:
            raise ConfigError(f"--policy-option {spec!r}: policy {name!r} is not run here "
                              f"(runs: {', '.join(running)})")
        if name == "relmas" and key in _SET_BY_POINT:
            raise ConfigError(f"--policy-option {spec!r}: use {_SET_BY_POINT[key]} instead")
        params = inspect.signature(policies.factory(name)).parameters
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        accepted = [n for n, p in params.items() if p.kind in (
            inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)]
        if not takes_any and key not in accepted:
            raise ConfigError(f"--policy-option {spec!r}: "
                              + unknown_name(f"option of {name}", key, accepted))
        if key in out.get(name, {}):
            raise ConfigError(f"--policy-option {name}.{key} is given twice")
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = text
        out.setdefault(name, {})[key] = value
    return out


# -- outputs -------------------------------------------------------------------------------------
#: Options naming an output file (``-`` for stdout where allowed); checked before a run starts.
OUTPUT_FILES = ("json", "trace", "jobs", "chrome_trace", "gantt", "html")


def check_outputs(args: argparse.Namespace, *, directory: str | None = None,
                  probe: str = "summary.json") -> None:
    """Refuse, before anything runs, an output that cannot be written (a directory, a
    read-only place) and two outputs naming the same file; ``directory``: an option naming an
    output folder (``--out``), checked by probing its file ``probe``."""
    import os

    from mas_sim.core.files import check_writable

    seen: dict[str, str] = {}
    for name in OUTPUT_FILES:
        path = getattr(args, name, None)
        if path is None or path == "-":
            continue
        flag = "--" + name.replace("_", "-")
        check_writable(path, flag)
        same = os.path.realpath(path)
        if same in seen:
            raise ConfigError(f"{seen[same]} and {flag} both name {path!r}, expected different "
                              f"files")
        seen[same] = flag
    folder = getattr(args, directory, None) if directory else None
    if folder is not None:
        where = Path(folder)
        if where.exists() and not where.is_dir():
            raise ConfigError(f"--{directory} {folder!r} is a file, expected a directory")
        check_writable(where / probe, f"--{directory}: file")
