"""One experiment point: a complete run configuration, run into a :class:`Result` and a record.

``mas-sim run``, ``compare`` and ``sweep`` (and ``mas-sim reproduce``) all go through
:func:`run_point`, so a row of a sweep table holds exactly what ``run --json`` prints for the
same options.

A :class:`Point` is plain, hashable and picklable: it crosses process boundaries (process pool,
Ray) and names itself by :meth:`Point.key`, a digest of every field, which is how ``--resume``
recognises points already done.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from mas_sim.core.errors import ConfigError, MasSimError, PolicyError, unknown_name
from mas_sim.hardware import SystemSpec
from mas_sim.runs.simulate import Result, simulate
from mas_sim.sim.view import Policy
from mas_sim.workload.scenario import (
    BASE_QOS,
    DEFAULT_LOAD,
    DEFAULT_PERIOD,
    Scenario,
    build_workload,
)

#: Columns of a record whose values are wall-clock measurements: they differ from run to run
#: (and between backends), everything else in a record is a deterministic function of the point.
WALL_COLUMNS: tuple[str, ...] = ("sim_wall_s", "policy_wall_s", "decision_us_per_subjob",
                                 "point_wall_s")


@dataclass(frozen=True)
class Point:
    """Everything that determines one run (defaults: those of ``mas-sim run``)."""

    policy: str = "fcfs-h"
    """Registry name of the policy (``policies.available()``)."""
    workload: str = "mixed"
    """Workload set: light, heavy or mixed."""
    qos: str = "medium"
    """QoS level: low, medium or high."""
    seed: int = 0
    """Seed of the workload and of the policy's randomness."""
    requests: int = 200
    """Number of requests."""
    load: float = DEFAULT_LOAD
    """Load factor rho."""
    base_qos: float = BASE_QOS
    """QoS-Medium factor."""
    bandwidth_gbps: float | None = None
    """DRAM bandwidth, GB/s (None: the hardware's own)."""
    period_us: float = DEFAULT_PERIOD / 1000
    """Scheduling period, microseconds (1 us = 1000 cycles)."""
    hardware: str = "paper"
    """``paper`` or the path of a hardware TOML file."""
    costs: str = "analytical"
    """Cost-model backend: analytical or zigzag."""
    hidden: int | None = None
    """RELMAS hidden size (None: the checkpoint's); only meaningful for ``relmas``."""
    checkpoint: str | None = None
    """RELMAS checkpoint file (None: the shipped one for the scenario)."""
    policy_options: tuple[tuple[str, Any], ...] = ()
    """Keyword options of the policy's factory, as sorted (name, value) pairs."""

    def __post_init__(self) -> None:
        opts = self.policy_options
        if isinstance(opts, Mapping):
            opts = tuple(opts.items())
        object.__setattr__(self, "policy_options", tuple(sorted(opts)))

    @property
    def options(self) -> dict[str, Any]:
        """:attr:`policy_options` as a dict."""
        return dict(self.policy_options)

    def system(self) -> SystemSpec:
        """The hardware of this point, with the bandwidth applied."""
        system = (SystemSpec.paper() if self.hardware == "paper"
                  else SystemSpec.from_toml(self.hardware))
        if self.bandwidth_gbps is not None:
            system = system.with_bandwidth_gbps(self.bandwidth_gbps)
        return system

    def scenario(self) -> Scenario:
        """The :class:`Scenario` of this point (validates its fields)."""
        if not (isinstance(self.period_us, int | float) and self.period_us > 0):
            raise ConfigError(f"--period-us = {self.period_us!r}, expected a positive number")
        return Scenario(workload=self.workload, qos=self.qos, requests=self.requests,
                        seed=self.seed, load=self.load, period=self.period_us * 1000.0,
                        base_qos=self.base_qos, costs=self.costs)

    def columns(self) -> dict[str, Any]:
        """The point as table columns (policy options as a JSON string)."""
        row = asdict(self)
        row["policy_options"] = json.dumps(self.options, sort_keys=True)
        return row

    def key(self) -> str:
        """A stable 16-hex-digit digest of every field (equal points, equal keys)."""
        text = json.dumps(self.columns(), sort_keys=True, default=str)
        return hashlib.sha1(text.encode()).hexdigest()[:16]


POINT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Point))


def make_policy(point: Point) -> Policy:
    """Create the point's policy. RELMAS gets the scenario (to pick its shipped checkpoint),
    the hidden size and the checkpoint; other policies refuse those two."""
    import policies

    if point.policy == "relmas":
        return policies.make("relmas", checkpoint=point.checkpoint, workload=point.workload,
                             qos=point.qos, hidden=point.hidden, **point.options)
    if point.checkpoint is not None:
        raise ConfigError(f"--checkpoint is for the relmas policy, not {point.policy!r}")
    if point.hidden is not None:
        raise ConfigError(f"hidden = {point.hidden!r} is an option of the relmas policy, "
                          f"not of {point.policy!r}")
    return policies.make(point.policy, **point.options)


def check_point(point: Point) -> None:
    """Raise the project error a run of ``point`` would raise on its configuration, without
    simulating (policy name and options, scenario fields, hardware file)."""
    import policies

    if point.policy not in policies.available():
        raise PolicyError(unknown_name("policy", point.policy, policies.available()))
    point.system()
    point.scenario()
    make_policy(point)


def run_point(point: Point, *, trace: bool = False, progress: bool = False) -> Result:
    """Build the point's system, workload and policy and simulate it.

    ``trace=True`` keeps the sub-job trace (Gantt charts, Chrome traces); ``progress`` shows a
    bar over requests. Deterministic: the same point gives the same result (wall times aside).
    """
    system = point.system()
    scenario = point.scenario()
    policy = make_policy(point)
    workload = build_workload(system, scenario)
    return simulate(system, workload, policy, period=scenario.period, seed=scenario.seed,
                    trace=trace, progress=progress)


def record(point: Point, result: Result) -> dict[str, Any]:
    """``run --json``'s object for a run of ``point``: the summary plus the scenario fields."""
    return {**result.to_dict(), "workload": point.workload, "qos": point.qos,
            "seed": point.seed, "load": point.load, "hardware": point.hardware}


def flat_record(point: Point) -> dict[str, Any]:
    """Run ``point`` into one table row: the point's fields, its key, every field of
    :func:`record` (per-model/tenant/priority dicts flattened to ``sla_by_model.<name>``
    columns) and ``point_wall_s``, the wall time of the whole point (workload included)."""
    start = time.perf_counter()
    result = run_point(point)
    wall = time.perf_counter() - start
    row: dict[str, Any] = {**point.columns(), "point_key": point.key()}
    for name, value in record(point, result).items():
        if name in row:  # the point's own fields describe the configuration
            continue
        if isinstance(value, Mapping):
            for sub, v in value.items():
                row[f"{name}.{sub}"] = v
        else:
            row[name] = value
    row["point_wall_s"] = wall
    return row


def policy_unavailable(name: str, **point_fields: Any) -> str | None:
    """None if ``name`` can be created for a point with ``point_fields``, else why not (the
    error message): used to skip RELMAS while it has no checkpoint."""
    import policies

    if name not in policies.available():
        return f"policy {name!r} is not registered (known: {', '.join(policies.available())})"
    try:
        make_policy(Point(policy=name, **point_fields))
    except MasSimError as exc:
        return str(exc)
    return None
