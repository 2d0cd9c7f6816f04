"""Command-line options generated from a dataclass config: one option per field, the field's
docstring as its help, the dataclass's default shown and never copied.

Every generated option has no default of its own (``argparse.SUPPRESS``): only the options a
user gives appear in the parsed namespace, and :func:`given_values` returns them to be applied
with :func:`dataclasses.replace` on a base config (the dataclass's defaults, or a named preset).
So a default lives in exactly one place, the dataclass, and a test can check that parsing no
option gives the dataclass's defaults.

Supported field types: ``bool`` (``--x`` / ``--no-x``), ``int``, ``float``, ``str``,
``tuple[int, ...]`` (``1,2,3`` or ``100..104``) and ``X | None`` of those (``none`` gives None).
The help is the docstring under the field (:func:`mas_sim.core.settings.field_docs`, which the
``setting()`` fields of ``run`` / ``compare`` / ``sweep`` use too); these configs stay plain
dataclasses because their options override a base (a preset or a resumed run), not a default.
"""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from collections.abc import Callable, Collection, Mapping
from typing import Any

from mas_sim.core.settings import field_docs


def int_list(text: str) -> tuple[int, ...]:
    """``"1,2,5"`` or ``"100..104"`` (inclusive) or a mix, as a tuple of ints."""
    out: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        lo, sep, hi = part.partition("..")
        try:
            out.extend(range(int(lo), int(hi) + 1) if sep else [int(part)])
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r}: expected comma-separated integers or ranges a..b") from None
    return tuple(out)


def _converter(hint: Any) -> tuple[Callable[[str], Any] | None, str]:
    """(argparse type, metavar) of a field type; type None for a bool flag."""
    args = typing.get_args(hint)
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union) and type(None) in args:
        inner = next(a for a in args if a is not type(None))
        convert, metavar = _converter(inner)
        if convert is None:
            raise TypeError(f"unsupported optional bool field type {hint!r}")
        base = convert

        def optional(text: str) -> Any:
            return None if text.strip().lower() == "none" else base(text)

        return optional, metavar
    if hint is bool:
        return None, ""
    if origin is tuple and args == (int, Ellipsis):
        return int_list, "N,N..|A..B"
    if hint in (int, float, str):
        return hint, {int: "N", float: "X", str: "S"}[hint]
    raise TypeError(f"unsupported field type {hint!r}")


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return "none" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def dest(prefix: str, name: str) -> str:
    """The namespace attribute of field ``name`` under ``prefix``."""
    return f"{prefix}{name}"


def add_config_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup, cls: type, *,
                       flag_prefix: str = "", dest_prefix: str = "",
                       skip: Collection[str] = (),
                       defaults: Any = None) -> None:
    """One option ``--<flag_prefix><field-name>`` per field of dataclass ``cls`` (bar ``skip``),
    stored as ``<dest_prefix><field_name>``; help = the field's docstring and the default of
    ``defaults`` (an instance; the dataclass's own defaults when None)."""
    docs = field_docs(cls)
    hints = typing.get_type_hints(cls)
    base = defaults if defaults is not None else cls()
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        convert, metavar = _converter(hints[f.name])
        flag = "--" + flag_prefix + f.name.replace("_", "-")
        default = getattr(base, f.name)
        text = f"{docs.get(f.name, '')} (default: {_show(default)})".strip()
        text = text.replace("%", "%%")
        if convert is None:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction,
                                default=argparse.SUPPRESS, dest=dest(dest_prefix, f.name),
                                help=text)
        else:
            parser.add_argument(flag, type=convert, metavar=metavar, default=argparse.SUPPRESS,
                                dest=dest(dest_prefix, f.name), help=text)


def given_values(args: argparse.Namespace, cls: type, *, dest_prefix: str = "",
                 skip: Collection[str] = ()) -> dict[str, Any]:
    """The fields of ``cls`` given on the command line (parsed by :func:`add_config_options`)."""
    return {f.name: getattr(args, dest(dest_prefix, f.name)) for f in dataclasses.fields(cls)
            if f.name not in skip and hasattr(args, dest(dest_prefix, f.name))}


def replace_given(base: Any, args: argparse.Namespace, *, dest_prefix: str = "",
                  skip: Collection[str] = (), extra: Mapping[str, Any] | None = None) -> Any:
    """``base`` with the fields given on the command line (and ``extra``) replaced."""
    values = given_values(args, type(base), dest_prefix=dest_prefix, skip=skip)
    values.update(extra or {})
    return dataclasses.replace(base, **values) if values else base
