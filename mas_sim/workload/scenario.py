"""Scenarios: the RELMAS workload sets on a system, with calibrated defaults.

:func:`build_workload` turns (workload set, QoS level, number of requests, load, seed) into a
:class:`~mas_sim.sim.requests.Workload`: cost profiles from the cost model, isolated latencies from
the engine (:mod:`mas_sim.sim.isolated`: the request alone on the idle system, arriving at a
tick, scheduled by FCFS-H), and seeded arrivals: Pareto by default, Poisson, or a replayed trace
(:mod:`.arrivals`, :mod:`.trace`). A scenario may name its own model mix (``models``) and its
tenants, with rates, mixes and hit-rate targets (:mod:`.tenants`).

Calibrated defaults (README "Modelling choices" explains them):

- ``DEFAULT_PERIOD`` (:mod:`mas_sim.core.units`): the scheduling period Ts, cycles.
- ``DEFAULT_LOAD``: the load factor rho.
- ``BASE_QOS``: the QoS-Medium factor (QoS-Low = 1.2x, QoS-High = 0.8x).
- ``DEFAULT_PARETO_SHAPE``: the Pareto shape of inter-arrival times.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mas_sim.core.errors import ConfigError, unknown_name
from mas_sim.core.settings import Edge, check_settings, setting
from mas_sim.core.units import CYCLES_PER_US, DEFAULT_PERIOD, cycles_to_us, us_to_cycles
from mas_sim.hardware.costmodel import BACKENDS
from mas_sim.workload.sets import QOS_LEVELS, TRACE_MODELS, WORKLOAD_SETS

# Only the class's fields are needed to build the command line's options: the modules that
# generate requests (numpy, pandas, the kernel) load when a scenario is built or checked.
if TYPE_CHECKING:
    from mas_sim.hardware.profile import ModelProfile
    from mas_sim.hardware.spec import SystemSpec
    from mas_sim.sim.requests import Workload
    from mas_sim.workload.tenants import Mix, TenantSet
    from mas_sim.workload.trace import ArrivalTrace

DEFAULT_LOAD = 0.4
"""Load factor rho = arrival rate x mean isolated work / M."""
BASE_QOS = 4.0
"""QoS-Medium factor: latency requirement = factor x isolated latency."""
DEFAULT_PARETO_SHAPE = 2.0
"""Shape of the Pareto inter-arrival distribution (finite mean, infinite variance: bursty)."""
DEFAULT_TENANTS = 8
"""Number of tenants the requests are spread over."""
MAX_REQUESTS = 1_000_000
"""Most requests a scenario may have: the run keeps a row per request (and the sub-job trace
one per layer), so memory grows with the count; a larger run would take hours anyway."""

MIN_PERIOD = us_to_cycles(1.0)
"""Shortest scheduling period, cycles (1 us): the run ticks once per period, so a shorter one
makes a run of milliseconds take millions of ticks (the paper's periods are 50-200 us)."""

PERIOD_US = Edge("period_us", cycles_to_us, us_to_cycles, "scheduling period Ts, microseconds")
"""The period at the edge: ``--period-us`` and the sweep axis / column ``period_us``."""


@dataclass(frozen=True)
class Scenario:
    """A named workload on a system; every field has the calibrated default.

    Each field is a setting (:mod:`mas_sim.core.settings`): its command-line option, sweep axis
    and range check are derived from it. A new field needs a default that keeps today's
    behaviour, a docstring (the option's help) and ``key_default=False`` (see
    :class:`~mas_sim.core.settings.Setting`); ``kind=object`` leaves its check to
    ``__post_init__``, ``option=False`` keeps it out of the command line.
    """

    workload: str = setting("mixed", choices=WORKLOAD_SETS)
    """Workload set: light, heavy or mixed (RELMAS Table 2)."""
    qos: str = setting("medium", choices=QOS_LEVELS)
    """QoS level: low (1.2 x base), medium (base) or high (0.8 x base)."""
    seed: int = setting(0, minimum=0, maximum=2**63 - 1, metavar="S")
    """Seed of every random draw of the workload (and of the policy's)."""
    requests: int = setting(200, minimum=1, maximum=MAX_REQUESTS, metavar="N")
    """Number of requests."""
    load: float = setting(DEFAULT_LOAD, above=0.0, metavar="RHO")
    """Load factor rho: arrival rate x mean isolated work / number of SAs."""
    base_qos: float = setting(BASE_QOS, above=0.0, metavar="F")
    """QoS-Medium factor: latency requirement = factor x isolated latency."""
    period: float = setting(DEFAULT_PERIOD, minimum=MIN_PERIOD, edge=PERIOD_US, metavar="T")
    """Scheduling period Ts, cycles (``--period-us`` / ``period_us``: microseconds)."""
    costs: str = setting("analytical", choices=BACKENDS)
    """Cost-model backend: analytical or zigzag (tables produced with ZigZag)."""
    pareto_shape: float = setting(DEFAULT_PARETO_SHAPE, above=1.0, metavar="ALPHA",
                                  key_default=False)
    """Shape of the Pareto inter-arrival times (> 1; pareto arrivals only)."""
    tenants: int = setting(DEFAULT_TENANTS, minimum=1, metavar="T", key_default=False)
    """Number of tenants the requests are spread over."""
    arrivals: str = setting("pareto", metavar="pareto|poisson|TRACE|FILE.csv",
                            key_default=False)
    """Arrivals: pareto (the default), poisson (MLPerf's server scenario), a shipped trace
    (azure-code-2023) or a CSV file of timestamps (optional model, tenant, qos columns)."""
    time_scale: float | None = setting(None, kind=float, above=0.0, metavar="X",
                                       key_default=False)
    """Trace only: factor on recorded time, 1 = replayed as recorded (default: scaled so that
    the replay has the load factor --load)."""
    trace_start: float = setting(0.0, minimum=0.0, metavar="S", key_default=False)
    """Trace only: seconds after the trace's first request where the replayed window of
    --requests requests starts."""
    trace_models: str = setting("draw", choices=TRACE_MODELS, key_default=False)
    """Trace only, without a model column: draw each request's model as synthetic arrivals do,
    or pick it by the quantile of its token count in the window (bigger requests, heavier
    models; the same mix)."""
    models: str | None = setting(None, kind=str, metavar="M[:W],M[:W]", key_default=False)
    """Model mix replacing the workload set, any registered model with an optional weight
    (default 1): resnet50:2,kws,my_model ('+' also separates, for sweep grids)."""
    tenant_spec: TenantSet | None = setting(None, kind=object, option=False, key_default=False)
    """The tenants with rates, model mixes and hit-rate targets (scenario files' [[tenants]],
    --tenant); None: plain tenants."""
    tenant_targets: str | None = setting(None, kind=str, metavar="0.95x2,0.8x3,0.6x3",
                                         key_default=False)
    """Hit-rate target of each tenant in (0, 1] (vxN repeats v N times; one value: every
    tenant)."""
    tenant_rates: str | None = setting(None, kind=str, metavar="2x2,1x6", key_default=False)
    """Relative request rate of each tenant (default: equal)."""
    tenant_zipf: float | None = setting(None, kind=float, minimum=0.0, metavar="S",
                                        key_default=False)
    """Zipf exponent of every tenant's model popularity over the scenario's models (tenant i
    ranks them from its i-th; default: the scenario's mix)."""

    def __post_init__(self) -> None:
        from mas_sim.workload.tenants import TenantSet, check_mix, format_mix, parse_mix

        if self.models is not None and not isinstance(self.models, str):
            # (name, weight) pairs or a mapping from Python: kept as their canonical text
            object.__setattr__(self, "models", format_mix(check_mix(self.models, "models")))
        check_settings(self)
        if self.models is not None:
            object.__setattr__(self, "models", format_mix(parse_mix(self.models)))
        if self.tenant_spec is not None and not isinstance(self.tenant_spec, TenantSet):
            raise ConfigError(f"tenant_spec = {self.tenant_spec!r}, expected a TenantSet")
        self._check_arrivals()
        object.__setattr__(self, "_tenants", self._resolve_tenants())

    def _check_arrivals(self) -> None:
        from mas_sim.workload.arrivals import ARRIVAL_PROCESSES, arrival_process

        if self.arrivals in ARRIVAL_PROCESSES:
            arrival_process(self.arrivals, pareto_shape=self.pareto_shape)  # checks the shape
            for name, default in (("time_scale", None), ("trace_start", 0.0),
                                  ("trace_models", "draw")):
                if getattr(self, name) != default:
                    raise ConfigError(f"{name} = {getattr(self, name)!r} is for a replayed "
                                      f"trace, not for {self.arrivals} arrivals")
            return
        from mas_sim.workload.trace import load_trace

        load_trace(self.arrivals).window(self.trace_start, self.requests)  # errors now

    def _resolve_tenants(self) -> TenantSet | None:
        from mas_sim.workload.tenants import TenantSet, parse_values

        spec = self.tenant_spec
        if spec is None and (self.tenant_targets is None and self.tenant_rates is None
                             and self.tenant_zipf is None):
            if isinstance(self.tenants, bool) or not isinstance(self.tenants, int) or (
                    self.tenants < 1):
                raise ConfigError(f"tenants = {self.tenants!r}, expected a positive integer")
            return None
        if spec is None:
            spec = TenantSet.uniform(self.tenants)
        elif self.tenants != DEFAULT_TENANTS and self.tenants != len(spec):
            raise ConfigError(f"tenants = {self.tenants!r}, but the tenant spec has "
                              f"{len(spec)} tenants")
        if self.tenant_zipf is not None:
            from dataclasses import replace

            spec = TenantSet(tuple(replace(t, models=(), zipf=self.tenant_zipf)
                                   for t in spec.tenants), spec.source)
        for key, text in (("target", self.tenant_targets), ("rate", self.tenant_rates)):
            if text is not None:
                spec = spec.with_values(key, parse_values(text, f"tenant_{key}s"),
                                        f"tenant_{key}s {text!r}")
        return spec

    @property
    def qos_factor(self) -> float:
        """The QoS factor of this scenario's level."""
        return self.base_qos * QOS_LEVELS[self.qos]

    @property
    def tenant_set(self) -> TenantSet | None:
        """The scenario's tenants with everything set on them (None: plain tenants)."""
        return self._tenants  # type: ignore[attr-defined]

    @property
    def model_mix(self) -> Mix:
        """The scenario's models with their weights (the workload set's: equal weights)."""
        if self.models is not None:
            from mas_sim.workload.tenants import parse_mix

            return parse_mix(self.models)
        return tuple((m, 1.0) for m in WORKLOAD_SETS[self.workload])

    @property
    def trace(self) -> ArrivalTrace | None:
        """The replayed trace (None: synthetic arrivals)."""
        from mas_sim.workload.arrivals import ARRIVAL_PROCESSES
        from mas_sim.workload.trace import load_trace

        return None if self.arrivals in ARRIVAL_PROCESSES else load_trace(self.arrivals)


def model_profiles(system: SystemSpec, names: tuple[str, ...],
                   costs: str = "analytical") -> dict[str, ModelProfile]:
    """Cost profiles of the named zoo models on ``system`` (cached by the cost model)."""
    from mas_sim.hardware import costmodel

    return {name: costmodel.profile(name, system, backend=costs) for name in names}


class ShortModelWarning(UserWarning):
    """A model's isolated latency is shorter than the scheduling period."""


def build_workload(system: SystemSpec, scenario: Scenario | None = None, *,
                   lazy: bool = False, **fields: object) -> Workload:
    """The workload of ``scenario`` (or of ``Scenario(**fields)``) on ``system``.

    ``lazy=True`` yields requests from a generator instead of a list (for very long runs).
    Warns (:class:`ShortModelWarning`) when a model has an isolated latency shorter than the
    period, except the models of a built-in workload set at the calibrated period (README
    "Calibrated defaults": KWS's 87 us against 100 us is a documented choice).
    """
    import numpy as np

    from mas_sim.sim.isolated import isolated_latencies
    from mas_sim.sim.requests import Request, Workload
    from mas_sim.workload.arrivals import arrival_process
    from mas_sim.workload.generate import generate_requests, request_mix
    from mas_sim.workload.trace import trace_requests

    sc = scenario if scenario is not None else Scenario(**fields)  # type: ignore[arg-type]
    mix = sc.model_mix
    models = tuple(m for m, _ in mix)
    weights = None if sc.models is None else [w for _, w in mix]
    tenants = sc.tenant_set
    trace = sc.trace
    names = _model_universe(models, tenants, trace, sc.trace_start, sc.requests)
    profiles = model_profiles(system, names, sc.costs)
    isolated = isolated_latencies(profiles, system, sc.period)
    calibrated = WORKLOAD_SETS[sc.workload] if (
        sc.models is None and sc.period == DEFAULT_PERIOD) else ()
    warn_short_models({m: isolated[m] for m in names if m not in calibrated}, sc.period)
    rng = np.random.default_rng(sc.seed)
    requests: Iterator[Request]
    if trace is None:
        requests = generate_requests(
            models=models, profiles=profiles, isolated_latency=isolated,
            num_sas=system.num_sas, count=sc.requests, load=sc.load, qos_factor=sc.qos_factor,
            rng=rng, tenants=tenants if tenants is not None else sc.tenants,
            arrivals=arrival_process(sc.arrivals, pareto_shape=sc.pareto_shape),
            weights=weights)
    else:
        requests = trace_requests(
            trace, mix=request_mix(models, profiles, weights,
                                   tenants if tenants is not None else sc.tenants),
            isolated_latency=isolated, num_sas=system.num_sas, count=sc.requests,
            load=sc.load, qos_factor=sc.qos_factor, base_qos=sc.base_qos, rng=rng,
            start=sc.trace_start, time_scale=sc.time_scale, models_from=sc.trace_models)
    return Workload(requests if lazy else list(requests), profiles, isolated)


def _model_universe(models: tuple[str, ...], tenants: TenantSet | None,
                    trace: ArrivalTrace | None, start: float, count: int) -> tuple[str, ...]:
    """Every model a request may name, checked against the model registry."""
    import models as registry
    from mas_sim.workload.tenants import check_known_models

    known = registry.available()
    for name in models:
        if name not in known:
            raise ConfigError(unknown_name("model", name, known))
    names = dict.fromkeys(models)
    if tenants is not None:
        check_known_models(tenants, known)
        names.update(dict.fromkeys(tenants.models_named()))
    if trace is not None and trace.model is not None:
        rows = trace.window(start, count)
        for i in range(rows.start, rows.stop):
            name = trace.model[i]
            if name not in known:
                raise ConfigError(f"trace {trace.source}, line {i + 2}: "
                                  + unknown_name("model", name, known))
            names.setdefault(name)
    return tuple(names)


def warn_short_models(isolated: Mapping[str, float], period: float) -> list[str]:
    """Warn about (and return the names of) models whose isolated latency is below ``period``.

    Such a model's request can wait longer for its first tick than it needs to run alone, so
    the period, not the schedule, dominates its latency; and if its latency requirement is
    shorter than the period, its deadline can pass before the first tick plans it.
    """
    short = sorted(m for m, lat in isolated.items() if lat < period)
    for m in short:
        warnings.warn(
            f"model {m!r}: isolated latency {isolated[m] / CYCLES_PER_US:.1f} us is shorter than "
            f"the scheduling period {period / CYCLES_PER_US:g} us: a request can wait longer for "
            "its first tick than it takes to run, and a deadline shorter than the period can "
            "pass before the first tick plans it (consider a shorter --period-us)",
            ShortModelWarning, stacklevel=3)
    return short
