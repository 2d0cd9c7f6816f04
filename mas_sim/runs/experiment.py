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
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from mas_sim.core.errors import ConfigError, MasSimError
from mas_sim.core.plugins import load_plugins
from mas_sim.core.settings import setting, setting_of, settings
from mas_sim.hardware import SystemSpec
from mas_sim.hardware.spec import MIN_DRAM_BANDWIDTH_GBPS
from mas_sim.workload.scenario import Scenario

if TYPE_CHECKING:
    from mas_sim.runs.simulate import Result
    from mas_sim.sim.batching import BatchingPolicy
    from mas_sim.sim.view import Policy

#: Columns of a record whose values are wall-clock measurements: they differ from run to run
#: (and between backends), everything else in a record is a deterministic function of the point.
WALL_COLUMNS: tuple[str, ...] = ("sim_wall_s", "policy_wall_s", "decision_us_per_subjob",
                                 "point_wall_s")


def policy_names() -> list[str]:
    """The registered policies (``policies.available()``)."""
    import policies

    return policies.available()


@dataclass(frozen=True)
class Point(Scenario):
    """Everything that determines one run: a :class:`Scenario`, the system it runs on and the
    policy that schedules it (defaults: those of ``mas-sim run``).

    Every setting is a field, once: the command-line options of ``run`` / ``compare`` /
    ``sweep`` and the sweep's grid axes are generated from these fields and the
    :class:`Scenario`'s (:mod:`mas_sim.core.settings`).
    """

    policy: str = setting("fcfs-h", choices=policy_names, metavar="NAME")
    """Policy: a registry name (``policies.available()``)."""
    bandwidth_gbps: float | None = setting(None, kind=float, minimum=MIN_DRAM_BANDWIDTH_GBPS,
                                           metavar="X")
    """DRAM bandwidth, GB/s (default: the hardware's own, 16 for the paper's)."""
    hardware: str = setting("paper", metavar="paper|FILE.toml")
    """Hardware: ``paper`` (RELMAS Table 1) or the path of a hardware TOML file."""
    hidden: int | None = setting(None, kind=int, minimum=1, metavar="H")
    """RELMAS hidden size (default: the checkpoint's); only for the relmas policy."""
    checkpoint: str | None = setting(None, kind=str, metavar="PATH")
    """RELMAS checkpoint file (default: the shipped one for the scenario); only for relmas."""
    batching: str | None = setting(None, kind=str, metavar="NAME", key_default=False)
    """Batching policy, the second level (``policies.batching``: none, fixed-<b> with b in
    1..32, timeout, clipper, bcedge); default: no batching and no serving metrics (``none``: no
    batching, with them)."""
    concurrency: int | None = setting(None, kind=int, metavar="N", key_default=False)
    """Each model's cap on SAs for fixed-<b>, timeout and clipper, 1..the SA count (default:
    every SA)."""
    batching_checkpoint: str | None = setting(None, kind=str, metavar="PATH",
                                              key_default=False)
    """BCEdge checkpoint (default: the shipped one for the workload); only for bcedge."""
    policy_options: tuple[tuple[str, Any], ...] = ()
    """Keyword options of the policy's factory, as sorted (name, value) pairs."""
    tenant_window: int = setting(64, minimum=1, metavar="N", key_default=False)
    """Ended requests per tenant over which the engine measures the hit-rate deficits that
    policies see (requests with a target only)."""
    plugins: str | None = setting(None, kind=str, option=False, key_default=False)
    """Comma-separated plugin modules or .py files imported before the run (--plugin), which
    register models and policies."""

    def __post_init__(self) -> None:
        load_plugins(self.plugins)  # before the policy name is checked
        super().__post_init__()
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
        """The :class:`Scenario` part of this point."""
        return Scenario(**{f.name: getattr(self, f.name) for f in fields(Scenario)})

    def columns(self) -> dict[str, Any]:
        """The point as table columns: the policy first, then every field in its user's unit
        (``period_us``) and policy options as a JSON string; a setting that is not an option
        appears only when it differs from its default."""
        row: dict[str, Any] = {"policy": self.policy}
        for f in fields(self):
            value = getattr(self, f.name)
            s = setting_of(f)
            if s is None:
                row[f.name] = value
            elif s.option or value != f.default:
                row[s.user_name(f.name)] = s.user_value(value)
        row["policy_options"] = json.dumps(self.options, sort_keys=True)
        return row

    def key(self) -> str:
        """A stable 16-hex-digit digest of every field (equal points, equal keys); fields
        declared with ``key_default=False`` count only when they differ from their default."""
        row = self.columns()
        for f, s in settings(type(self)):
            if not s.key_default and getattr(self, f.name) == f.default:
                row.pop(s.user_name(f.name), None)
        text = json.dumps(row, sort_keys=True, default=str)
        return hashlib.sha1(text.encode()).hexdigest()[:16]


def point_of_row(row: Mapping[str, Any]) -> Point:
    """The :class:`Point` whose :meth:`Point.columns` are the point columns of ``row`` (a row of
    a results table, as read back: missing values as None or NaN, each then the field's default;
    numbers of any numeric type);
    raises :class:`~mas_sim.core.errors.MasSimError` if they do not make a valid point."""
    values: dict[str, Any] = {}
    for f in fields(Point):
        s = setting_of(f)
        name = s.user_name(f.name) if s is not None else f.name
        if name not in row:
            continue
        value = _plain(row[name])
        if value is None:
            # An empty cell means the field's default: files written before a default became
            # a number (the Pareto shape was None) hold empty cells there.
            continue
        if f.name == "policy_options":
            try:
                value = tuple(json.loads(value).items()) if value else ()
            except (TypeError, ValueError, AttributeError):
                raise ConfigError(f"policy_options = {value!r}, expected a JSON object") from None
        elif s is not None:
            if s.kind is int and isinstance(value, float) and value.is_integer():
                value = int(value)
            value = s.inside(value)
        values[f.name] = value
    return Point(**values)


def _plain(value: Any) -> Any:
    """A table cell as a plain Python value: NaN -> None, numpy scalars -> int/float/str."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def _columns() -> tuple[str, ...]:
    names = ["policy"]
    for f in fields(Point):
        s = setting_of(f)
        name = s.user_name(f.name) if s is not None else f.name
        if name not in names:
            names.append(name)
    return tuple(names)


POINT_FIELDS: tuple[str, ...] = _columns()
"""Every column a point may have, in table order (:meth:`Point.columns`)."""


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


def make_batching(point: Point) -> BatchingPolicy | None:
    """The point's batching policy (None: no batching); refuses options without a policy."""
    from policies import batching

    name = point.batching
    if name is None or name == batching.NONE:
        for option in ("concurrency", "batching_checkpoint"):
            if getattr(point, option) is not None:
                raise ConfigError(f"--{option.replace('_', '-')} needs a batching policy "
                                  f"(--batching), not {name!r}")
        return None
    options: dict[str, Any] = {}
    if name == "bcedge":
        if point.concurrency is not None:
            raise ConfigError("--concurrency is chosen by bcedge itself, not given")
        options = {"checkpoint": point.batching_checkpoint, "workload": point.workload}
    else:
        if point.batching_checkpoint is not None:
            raise ConfigError(f"--batching-checkpoint is for bcedge, not {name!r}")
        if point.concurrency is not None:
            options["instances"] = point.concurrency
    return batching.make(name, **options)


def check_point(point: Point) -> None:
    """Raise the project error a run of ``point`` would raise on its configuration, without
    simulating (policy name and options, scenario fields, hardware file, the policy on that
    hardware: ``reset`` refuses a system it cannot schedule; the batching policy likewise)."""
    system = point.system()
    make_policy(point).reset(system, point.seed)
    batcher = make_batching(point)
    if batcher is not None:
        from mas_sim.workload import WORKLOAD_SETS

        batcher.reset(system, tuple(sorted(WORKLOAD_SETS[point.workload])), point.seed)


def run_point(point: Point, *, trace: bool = False, progress: bool = False) -> Result:
    """Build the point's system, workload and policy and simulate it.

    ``trace=True`` keeps the sub-job trace (Gantt charts, Chrome traces); ``progress`` shows a
    bar over requests. Deterministic: the same point gives the same result (wall times aside).
    """
    from mas_sim.hardware.costmodel import batch_profiles
    from mas_sim.runs.simulate import simulate
    from mas_sim.sim.engine import EngineConfig
    from mas_sim.workload.scenario import build_workload

    load_plugins(point.plugins)  # a worker process unpickles the point without __post_init__
    system = point.system()
    policy = make_policy(point)
    batcher = make_batching(point)
    workload = build_workload(system, point.scenario())
    return simulate(system, workload, policy, seed=point.seed, trace=trace, progress=progress,
                    config=EngineConfig(period=point.period, tenant_window=point.tenant_window),
                    batching=batcher,
                    batch_profiles=batch_profiles(system, backend=point.costs),
                    serving=point.batching is not None)


def record(point: Point, result: Result) -> dict[str, Any]:
    """``run --json``'s object for a run of ``point``: the summary plus the scenario fields."""
    out = {**result.to_dict(), "workload": point.workload, "qos": point.qos,
           "seed": point.seed, "load": point.load, "hardware": point.hardware}
    if point.arrivals != "pareto" or point.models is not None:
        out.update(arrivals=point.arrivals, models=point.models)
    tenants = point.tenant_set
    if tenants is not None:
        out["tenant_names"] = dict(enumerate(tenants.names))
    return out


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
