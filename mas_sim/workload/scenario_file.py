"""Scenario files: a whole scenario (tenants included) in one TOML file, ``--scenario my.toml``.

The format: every key optional, named as the command-line option without its dashes
(``--period-us`` is ``period_us``), in the option's unit; command-line options given beside
``--scenario`` win over the file::

    workload = "mixed"                   # or, instead of a workload set, a model mix:
    models = { resnet50 = 2, kws = 1 }   # (or "resnet50:2,kws", or ["resnet50", "kws"])
    qos = "medium"
    requests = 400
    seed = 3
    load = 0.4
    period_us = 100
    arrivals = "azure-code-2023"         # pareto | poisson | a shipped trace | a CSV file
    trace_start = 600.0                  # trace only: seconds into the trace
    time_scale = 1.0                     # trace only: as recorded (default: scaled to the load)
    policy = "tenant-edf"                # the run's settings too (command-line names)
    hardware = "two-simba.toml"
    plugins = ["my_models.py"]           # modules or .py files registering models / policies

    [[tenants]]                          # or tenants = 8 (plain tenants), tenant_targets = ...
    name = "gold"
    count = 2
    target = 0.95
    targets = { kws = 0.99 }
    models = { resnet50 = 1 }            # (the [[tenants]] keys: mas_sim.workload.tenants)

    [[tenants]]
    name = "bronze"
    count = 6
    rate = 2.0
    zipf = 1.0
    target = 0.6

Relative paths (``arrivals`` CSV files, ``hardware``, ``checkpoint``, ``.py`` plugins) are
relative to the scenario file's folder. Every error names the file and the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mas_sim.core.errors import ConfigError, unknown_name
from mas_sim.core.files import read_toml
from mas_sim.core.settings import settings
from mas_sim.workload.scenario import Scenario

#: Keys whose string values are paths, resolved against the scenario file's folder when they
#: name a file there (other values, ``pareto`` or ``paper``, are kept).
PATH_KEYS: tuple[str, ...] = ("arrivals", "hardware", "checkpoint")

TENANT_TABLES = "tenant_spec"
"""Key of :func:`read_scenario_file`'s result holding the ``[[tenants]]`` as a TenantSet."""


def read_scenario_file(path: str | Path, cls: type = Scenario) -> dict[str, Any]:
    """The settings of dataclass ``cls`` (``Scenario`` or a subclass) in the scenario file
    ``path``: values in the command line's units, by option name (``period_us``), each checked;
    ``[[tenants]]`` tables under :data:`TENANT_TABLES` as a
    :class:`~mas_sim.workload.tenants.TenantSet`."""
    from mas_sim.workload.tenants import check_mix, format_mix, parse_tenants

    path = Path(path)
    where = f"scenario file {str(path)!r}"
    data = read_toml(path, "scenario file")
    fields = {s.user_name(f.name): (f, s) for f, s in settings(cls) if f.name != TENANT_TABLES}
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "tenants" and isinstance(value, list):
            out[TENANT_TABLES] = parse_tenants(value, where)
            continue
        if key not in fields:
            raise ConfigError(f"{where}: " + unknown_name("key", key, fields))
        if key == "models" and isinstance(value, Mapping | list):
            value = format_mix(check_mix(value, f"{where}: models"))
        if key == "plugins" and isinstance(value, list):
            value = ",".join(_relative(path, str(v)) if str(v).endswith(".py") else str(v)
                             for v in value)
        if key in PATH_KEYS and isinstance(value, str):
            value = _relative(path, value)
        f, s = fields[key]
        try:
            s.check(f.name, s.inside(value))
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        out[key] = value
    return out


def load_scenario(path: str | Path, **overrides: Any) -> Scenario:
    """The :class:`Scenario` of a scenario file, with ``overrides`` (field names, inside units)
    replacing its values. Settings of the run (``policy``, ``hardware``) are refused here: read
    them with :func:`read_scenario_file` and ``cls=mas_sim.runs.experiment.Point``."""
    values = read_scenario_file(path)
    units = {s.user_name(f.name): (f, s) for f, s in settings(Scenario)}
    fields = {units[k][0].name: units[k][1].inside(v) for k, v in values.items()
              if k != TENANT_TABLES}
    if TENANT_TABLES in values:
        fields[TENANT_TABLES] = values[TENANT_TABLES]
    return Scenario(**{**fields, **overrides})


def _relative(scenario: Path, value: str) -> str:
    """``value`` relative to the scenario file's folder if it names an existing file there."""
    candidate = scenario.parent / value
    return str(candidate) if not Path(value).is_absolute() and candidate.is_file() else value
