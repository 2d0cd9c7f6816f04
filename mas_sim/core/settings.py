"""Settings: dataclass fields that carry their range, their unit at the edge and their help.

A configuration dataclass (``Scenario``, ``Point``) declares each setting once::

    @dataclass(frozen=True)
    class Scenario:
        requests: int = setting(200, minimum=1, maximum=MAX_REQUESTS, metavar="N")
        \"\"\"Number of requests.\"\"\"          # the field's docstring is the option's help
        period: float = setting(DEFAULT_PERIOD, above=0, edge=PERIOD_US, metavar="T")
        \"\"\"Scheduling period Ts, cycles.\"\"\"

        def __post_init__(self) -> None:
            check_settings(self)                # every range check, in one place

Everything else is derived from the field: the command-line option (``--requests``, with the
default and the docstring as help: :mod:`mas_sim.cli.options`), the sweep's grid axis and the
column of a results table (:mod:`mas_sim.runs.sweep`), and the error message of a bad value.
A field whose unit differs at the edge names an :class:`Edge`: the period is in cycles inside,
``--period-us`` / ``period_us`` outside, converted only there.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import itertools
import sys
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import Any

from mas_sim.core import checks
from mas_sim.core.errors import ConfigError

Choices = Collection[str] | Callable[[], Collection[str]]


@dataclass(frozen=True)
class Edge:
    """A setting's name and unit where it meets the user (option, grid axis, table column)."""

    name: str
    """Name at the edge, e.g. ``period_us`` (the option is ``--period-us``)."""
    to_user: Callable[[float], float]
    """Inside value -> the user's unit."""
    to_inside: Callable[[float], float]
    """The user's unit -> inside value."""
    help: str
    """What the value means in the user's unit (the option's help)."""


@dataclass(frozen=True)
class Setting:
    """What a configuration field accepts and how it meets the user (field metadata)."""

    kind: type
    """``int``, ``float`` or ``str``; ``object``: any value, checked by the class itself."""
    optional: bool = False
    """None is accepted (it means "the default of something else", said in the docstring)."""
    minimum: float | None = None
    """Smallest accepted value (inside units)."""
    above: float | None = None
    """Accepted values are strictly greater (inside units)."""
    maximum: float | None = None
    """Largest accepted value (inside units)."""
    choices: Choices | None = None
    """Accepted strings, or a function returning them (for registries loaded on demand)."""
    edge: Edge | None = None
    """Name and unit at the edge, when they differ from the field's."""
    metavar: str | None = None
    """The option's placeholder in ``--help``."""
    option: bool = True
    """A command-line option, a grid axis and a table column; False: set from Python only
    (a column only when it differs from its default)."""
    key_default: bool = True
    """Whether a point's key digests this field at its default value. Give new fields
    ``key_default=False`` so that the keys of existing results files (``--resume``) stay
    valid."""

    def known(self) -> Collection[str] | None:
        """The accepted strings, if limited."""
        return self.choices() if callable(self.choices) else self.choices

    def check(self, name: str, value: Any) -> Any:
        """``value`` (inside units) checked against this setting; errors use the edge's name
        and unit."""
        if (value is None and self.optional) or self.kind is object:
            return value
        label = self.edge.name if self.edge else name
        shown = self.edge.to_user(value) if self.edge and _is_number(value) else value
        if self.kind is int:
            return checks.integer(label, value, minimum=_int(self.minimum),
                                  maximum=_int(self.maximum))
        if self.kind is float:
            checks.number(label, shown, above=self._user(self.above),
                          minimum=self._user(self.minimum), maximum=self._user(self.maximum))
            return float(value)
        known = self.known()
        if known is not None:
            return checks.choice(label, value, known)
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{label} = {value!r}, expected a non-empty string")
        return value

    def parse(self, text: str) -> Any:
        """A value as typed by the user (an option's or a grid's, in the user's unit), unchecked;
        raises ConfigError if it is not a number where one is expected."""
        if self.kind is str or self.kind is object:
            return text
        try:
            return self.kind(text)
        except ValueError:
            kind = "an integer" if self.kind is int else "a number"
            raise ConfigError(f"value {text!r}, expected {kind}") from None

    def inside(self, value: Any) -> Any:
        """A value in the user's unit -> the inside unit (None stays None)."""
        return self.edge.to_inside(value) if self.edge and value is not None else value

    def user_value(self, value: Any) -> Any:
        """An inside value -> the user's unit (None stays None)."""
        return self.edge.to_user(value) if self.edge and value is not None else value

    def user_name(self, field_name: str) -> str:
        """The name at the edge: option ``--user-name``, grid axis and table column."""
        return self.edge.name if self.edge else field_name

    def _user(self, bound: float | None) -> float | None:
        return self.edge.to_user(bound) if self.edge and bound is not None else bound


def _int(bound: float | None) -> int | None:
    return None if bound is None else int(bound)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def setting(default: Any, *, kind: type | None = None, **options: Any) -> Any:
    """A dataclass field holding ``default`` and a :class:`Setting` built from ``options``
    (``kind`` defaults to the default's type; None defaults are optional and need ``kind``)."""
    if kind is None:
        kind = type(default)
    optional = bool(options.pop("optional", False)) or default is None
    meta = Setting(kind=kind, optional=optional, **options)
    return dataclasses.field(default=default, metadata={"setting": meta})


def setting_of(f: dataclasses.Field[Any]) -> Setting | None:
    """The :class:`Setting` of a field, if it has one."""
    meta = f.metadata.get("setting")
    return meta if isinstance(meta, Setting) else None


def settings(cls: type) -> Iterator[tuple[dataclasses.Field[Any], Setting]]:
    """The fields of dataclass ``cls`` that are settings, in declaration order."""
    for f in dataclasses.fields(cls):
        s = setting_of(f)
        if s is not None:
            yield f, s


def check_settings(obj: Any) -> None:
    """Check every setting of dataclass instance ``obj``; store normalised values (an int
    load becomes a float) so equal configurations compare, hash and print alike."""
    for f, s in settings(type(obj)):
        value = getattr(obj, f.name)
        checked = s.check(f.name, value)
        if type(checked) is not type(value):
            object.__setattr__(obj, f.name, checked)


@functools.cache
def field_docs(cls: type) -> dict[str, str]:
    """Field name -> the docstring written under the field (base classes' fields included);
    empty where the source cannot be read."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        module = sys.modules.get(klass.__module__)
        path = getattr(module, "__file__", None)
        if not path or not path.endswith(".py") or klass is object:
            continue
        try:
            with open(path, encoding="utf-8") as f:
                tree = ast.parse(f.read())
        except (OSError, SyntaxError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name == klass.__name__:
                docs.update(_attribute_docs(node))
    return docs


def _attribute_docs(node: ast.ClassDef) -> dict[str, str]:
    out: dict[str, str] = {}
    body = node.body
    for stmt, after in itertools.pairwise(body):
        if (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
                and isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)):
            out[stmt.target.id] = " ".join(after.value.value.split())
    return out
