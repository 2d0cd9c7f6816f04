"""Tenants: who sends requests, how often, for which models, with which hit-rate targets.

A :class:`Tenant` is one client of the system with

- a relative request **rate** (its share of the arrivals is ``rate / sum of rates``);
- a **model mix**: explicit weights over models, or a Zipf popularity over the scenario's models
  (weight of the model of rank ``r`` = ``r ** -zipf``; tenant ``i`` ranks the scenario's models
  starting at its ``i``-th, so tenants prefer different models), or the scenario's own mix;
- **hit-rate targets**: the fraction of its requests that must meet their deadline, one value for
  every model (``target``) and per-model overrides (``targets``), each in (0, 1] (the tenant-wise
  QoS of Russo, Blanco et al., arXiv 2403.00766: the client sets a target per model).

A :class:`TenantSet` is the scenario's tenants in id order (a request's ``tenant`` is the index).

Scenario files describe tenants as an array of tables (``[[tenants]]``, :func:`parse_tenants`)::

    [[tenants]]
    name = "gold"          # tenant name (default "t<index>"); with count > 1: gold-0, gold-1, ...
    count = 2              # this many identical tenants (default 1)
    rate = 1.0             # relative request rate (default 1)
    target = 0.95          # hit-rate target for every model (default: none)
    targets = {kws = 0.99} # per-model targets, overriding `target`
    models = {resnet50 = 2, kws = 1}   # model mix (or a list of names, equal weights)
    zipf = 1.0             # or: Zipf popularity over the scenario's models (not with `models`)

The command line has the same through ``--tenant '{...}'`` (one inline table per option) and the
shorthands :func:`parse_values` (``0.95x2,0.8x3,0.6x3``) for targets and rates.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from mas_sim.core.errors import ConfigError, unknown_name

#: Keys of one ``[[tenants]]`` table.
TENANT_KEYS: tuple[str, ...] = ("name", "count", "rate", "target", "targets", "models", "zipf")

Mix = tuple[tuple[str, float], ...]
"""A model mix: (model name, weight > 0) pairs, names distinct."""


def _number(where: str, key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}: {key} = {value!r}, expected a number")
    return float(value)


def check_target(where: str, key: str, value: object) -> float:
    """``value`` as a hit-rate target in (0, 1]; :class:`ConfigError` naming ``where`` and
    ``key`` otherwise."""
    x = _number(where, key, value)
    if not 0.0 < x <= 1.0:
        raise ConfigError(f"{where}: {key} = {value!r}, expected a hit-rate target in (0, 1]")
    return x


def _positive(where: str, key: str, value: object) -> float:
    x = _number(where, key, value)
    if not (math.isfinite(x) and x > 0):
        raise ConfigError(f"{where}: {key} = {value!r}, expected a positive number")
    return x


@dataclass(frozen=True)
class Tenant:
    """One tenant (see the module docstring). Validated on construction."""

    name: str
    """Name shown in reports; unique within a :class:`TenantSet`."""
    rate: float = 1.0
    """Relative request rate (> 0)."""
    models: Mix = ()
    """Explicit model mix; empty: Zipf (if :attr:`zipf` is set) or the scenario's mix."""
    zipf: float | None = None
    """Zipf exponent (>= 0) of the popularity of the scenario's models; None: not Zipf."""
    target: float | None = None
    """Hit-rate target in (0, 1] for every model; None: no target (per-model ones aside)."""
    targets: Mix = ()
    """Per-model hit-rate targets in (0, 1], overriding :attr:`target`."""

    def __post_init__(self) -> None:
        where = f"tenant {self.name!r}"
        if not isinstance(self.name, str) or not self.name.strip():
            raise ConfigError(f"tenant name = {self.name!r}, expected a non-empty string")
        _positive(where, "rate", self.rate)
        object.__setattr__(self, "models", check_mix(self.models, f"{where}: models"))
        if self.zipf is not None:
            z = _number(where, "zipf", self.zipf)
            if not (math.isfinite(z) and z >= 0):
                raise ConfigError(f"{where}: zipf = {self.zipf!r}, expected a number >= 0")
            if self.models:
                raise ConfigError(f"{where}: give either models or zipf, not both")
        if self.target is not None:
            check_target(where, "target", self.target)
        targets = tuple((str(m), check_target(where, f"targets.{m}", t))
                        for m, t in self.targets)
        if len({m for m, _ in targets}) != len(targets):
            raise ConfigError(f"{where}: a model appears twice in targets")
        object.__setattr__(self, "targets", targets)

    def target_for(self, model: str) -> float | None:
        """This tenant's hit-rate target for ``model`` (None: no target)."""
        for m, t in self.targets:
            if m == model:
                return t
        return self.target

    def weights(self, index: int, models: Sequence[str],
                scenario_weights: Sequence[float] | None) -> Mix:
        """The tenant's mix when it is tenant ``index`` of a scenario whose models are ``models``
        (with ``scenario_weights``, default equal)."""
        if self.models:
            return self.models
        if self.zipf is not None:
            k = len(models)
            return tuple((models[(index + r) % k], float((r + 1) ** -self.zipf))
                         for r in range(k))
        w = scenario_weights if scenario_weights is not None else [1.0] * len(models)
        return tuple(zip(models, (float(x) for x in w), strict=True))


def check_mix(mix: object, where: str) -> Mix:
    """A model mix as (name, weight) pairs: names distinct, weights positive."""
    if isinstance(mix, Mapping):
        pairs = list(mix.items())
    elif isinstance(mix, list | tuple):
        pairs = [(m, 1.0) if isinstance(m, str) else m for m in mix]
    else:
        raise ConfigError(f"{where} = {mix!r}, expected a table of model = weight or a list of "
                          "model names")
    out: list[tuple[str, float]] = []
    for pair in pairs:
        if not (isinstance(pair, tuple | list) and len(pair) == 2 and isinstance(pair[0], str)
                and pair[0]):
            raise ConfigError(f"{where}: {pair!r} is not a model name with a weight")
        name, weight = pair
        out.append((name, _positive(where, name, weight)))
    if len({m for m, _ in out}) != len(out):
        dup = next(m for m, _ in out if sum(1 for n, _ in out if n == m) > 1)
        raise ConfigError(f"{where}: model {dup!r} is given twice")
    return tuple(out)


def parse_mix(text: str, where: str = "--models") -> Mix:
    """``"resnet50:2,kws,my_model:0.5"`` -> ``(("resnet50", 2.0), ("kws", 1.0), ...)``
    (weight 1 where none is given; ``+`` separates too, as in :func:`format_mix`)."""
    pairs: list[tuple[str, float]] = []
    for part in text.replace("+", ",").split(","):
        name, colon, weight = part.strip().partition(":")
        name = name.strip()
        if not name:
            raise ConfigError(f"{where} {text!r}: empty model name, expected "
                              "'model[:weight],model[:weight],...'")
        if not colon:
            pairs.append((name, 1.0))
            continue
        try:
            value = float(weight)
        except ValueError:
            raise ConfigError(f"{where} {text!r}: weight {weight.strip()!r} of model {name!r} "
                              "is not a number") from None
        pairs.append((name, value))
    return check_mix(pairs, f"{where} {text!r}")


def format_mix(mix: Mix) -> str:
    """The canonical text of a mix, ``"resnet50:2+kws:1"`` (``+``-separated, so that a sweep grid,
    whose values are comma-separated, can hold it)."""
    return "+".join(f"{name}:{weight:g}" for name, weight in mix)


def parse_values(text: str, where: str) -> list[float]:
    """``"0.95x2,0.8x3,0.6x3"`` -> eight numbers (``vxN`` repeats ``v`` N times)."""
    out: list[float] = []
    for part in text.split(","):
        value, x, times = part.strip().partition("x")
        try:
            v = float(value)
            n = int(times) if x else 1
        except ValueError:
            raise ConfigError(f"{where} {text!r}: {part.strip()!r} is not a number or "
                              "'value x count' (e.g. 0.95x2)") from None
        if n < 1:
            raise ConfigError(f"{where} {text!r}: {part.strip()!r} repeats {n} times, "
                              "expected at least 1")
        out.extend([v] * n)
    return out


@dataclass(frozen=True)
class TenantSet:
    """The tenants of a scenario, in id order (request ``tenant`` = index here)."""

    tenants: tuple[Tenant, ...]
    """The tenants; names distinct."""
    source: str = field(default="", compare=False)
    """Where the set was read from (for messages)."""

    def __post_init__(self) -> None:
        tenants = tuple(self.tenants)
        object.__setattr__(self, "tenants", tenants)
        if not tenants:
            raise ConfigError(f"{self.source or 'tenants'}: no tenant, expected at least one")
        names = [t.name for t in tenants]
        if len(set(names)) != len(names):
            dup = next(n for n in names if names.count(n) > 1)
            raise ConfigError(f"{self.source or 'tenants'}: tenant name {dup!r} is used twice")

    def __len__(self) -> int:
        return len(self.tenants)

    @property
    def names(self) -> tuple[str, ...]:
        """Tenant names in id order."""
        return tuple(t.name for t in self.tenants)

    @property
    def has_targets(self) -> bool:
        """True if some tenant has a hit-rate target."""
        return any(t.target is not None or t.targets for t in self.tenants)

    @property
    def plain(self) -> bool:
        """True if every tenant has the same rate and the scenario's mix: requests are then drawn
        as without tenants (model, then a uniform tenant), so adding targets changes no request."""
        first = self.tenants[0].rate
        return all(t.rate == first and not t.models and t.zipf is None for t in self.tenants)

    @property
    def shares(self) -> np.ndarray:
        """``[T]`` each tenant's share of the arrivals."""
        rates = np.array([t.rate for t in self.tenants], dtype=np.float64)
        return rates / rates.sum()

    def models_named(self) -> tuple[str, ...]:
        """Models the tenants name explicitly (mixes and per-model targets), in first-use order."""
        seen: dict[str, None] = {}
        for t in self.tenants:
            for m, _ in (*t.models, *t.targets):
                seen.setdefault(m)
        return tuple(seen)

    def index(self, name: str) -> int | None:
        """Id of the tenant called ``name``, or of tenant number ``name`` (digits); else None."""
        names = self.names
        if name in names:
            return names.index(name)
        if name.strip().isdigit() and int(name) < len(names):
            return int(name)
        return None

    def target(self, tenant: int, model: str) -> float | None:
        """Hit-rate target of ``tenant`` for ``model`` (None: none)."""
        return self.tenants[tenant].target_for(model)

    @classmethod
    def uniform(cls, count: int, target: float | None = None) -> TenantSet:
        """``count`` tenants ``t0 .. t<count-1>`` with rate 1 and the scenario's mix."""
        if not isinstance(count, int) or count < 1:
            raise ConfigError(f"tenants = {count!r}, expected a positive integer")
        return cls(tuple(Tenant(f"t{i}", target=target) for i in range(count)))

    def with_values(self, key: str, values: Sequence[float], where: str) -> TenantSet:
        """A copy with ``key`` (``target`` or ``rate``) set per tenant from ``values`` (one
        value: every tenant)."""
        if len(values) == 1:
            values = list(values) * len(self)
        if len(values) != len(self):
            raise ConfigError(f"{where}: {len(values)} values for {len(self)} tenants")
        if key not in ("target", "rate"):
            raise ValueError(f"with_values sets target or rate, not {key!r}")
        try:
            return TenantSet(tuple(replace(t, target=v) if key == "target" else
                                   replace(t, rate=v)
                                   for t, v in zip(self.tenants, values, strict=True)),
                             self.source)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None


def parse_tenants(items: object, where: str) -> TenantSet:
    """A :class:`TenantSet` from the ``[[tenants]]`` tables of a scenario file (module
    docstring); errors name ``where``, the table's number and the key."""
    if not isinstance(items, list) or not items:
        raise ConfigError(f"{where}: tenants = {items!r}, expected a tenant count or an array "
                          "of [[tenants]] tables")
    tenants: list[Tenant] = []
    for k, item in enumerate(items, start=1):
        here = f"{where}, [[tenants]] #{k}"
        if not isinstance(item, Mapping):
            raise ConfigError(f"{here}: {item!r} is not a table")
        unknown = sorted(set(item) - set(TENANT_KEYS))
        if unknown:
            raise ConfigError(f"{here}: " + unknown_name("key", unknown[0], TENANT_KEYS))
        count = item.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ConfigError(f"{here}: count = {count!r}, expected a positive integer")
        base = item.get("name", None)
        if base is not None and (not isinstance(base, str) or not base.strip()):
            raise ConfigError(f"{here}: name = {base!r}, expected a non-empty string")
        targets = item.get("targets", {})
        if not isinstance(targets, Mapping):
            raise ConfigError(f"{here}: targets = {targets!r}, expected a table of "
                              "model = target")
        models = check_mix(item["models"], f"{here}: models") if "models" in item else ()
        for j in range(count):
            index = len(tenants)
            name = (f"t{index}" if base is None
                    else base if count == 1 else f"{base}-{j}")
            try:
                tenants.append(Tenant(
                    name, rate=item.get("rate", 1.0), models=models, zipf=item.get("zipf"),
                    target=item.get("target"), targets=tuple(targets.items())))
            except ConfigError as exc:
                raise ConfigError(f"{here}: {exc}") from None
    return TenantSet(tuple(tenants), where)


def parse_tenant_option(text: str, index: int) -> list[Mapping[str, object]]:
    """One ``--tenant`` option, an inline TOML table (``{name = "gold", target = 0.95}``), as a
    ``[[tenants]]`` item for :func:`parse_tenants`."""
    try:
        data = tomllib.loads(f"t = {text.strip()}")
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"--tenant #{index} {text!r} is not an inline TOML table "
                          f"(e.g. '{{name = \"gold\", target = 0.95}}'): {exc}") from None
    item = data["t"]
    if not isinstance(item, Mapping):
        raise ConfigError(f"--tenant #{index} {text!r} is not an inline TOML table "
                          "(e.g. '{name = \"gold\", count = 2, target = 0.95}')")
    return [item]


def check_known_models(tenants: TenantSet, known: Sequence[str]) -> None:
    """Refuse a tenant mix or target that names a model outside ``known``."""
    for t in tenants.tenants:
        for m, _ in (*t.models, *t.targets):
            if m not in known:
                raise ConfigError(f"{tenants.source or 'tenants'}: tenant {t.name!r}: "
                                  + unknown_name("model", m, known))
