"""Value checks, one per kind of value: every range check of the project's settings goes here.

Each check returns the value (converted where that is exact, e.g. ``3.0`` to ``3`` for an
integer) or raises :class:`~mas_sim.core.errors.ConfigError` with one line naming the value and
what was expected: ``load = inf, expected a finite number > 0``. Numbers must be finite: an
infinite load or QoS factor passes ``> 0`` but means nothing. Booleans are not numbers here
(``True`` is not a request count).
"""

from __future__ import annotations

import math
from collections.abc import Collection

from mas_sim.core.errors import ConfigError, unknown_name


def integer(name: str, value: object, *, minimum: int | None = None,
            maximum: int | None = None) -> int:
    """``value`` as an int in ``[minimum, maximum]`` (each bound optional)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{name} = {value!r}, expected {_int_range(minimum, maximum)}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ConfigError(f"{name} = {value!r}, expected {_int_range(minimum, maximum)}")
    return value


def number(name: str, value: object, *, above: float | None = None,
           minimum: float | None = None, maximum: float | None = None) -> float:
    """``value`` as a finite float, ``> above``, ``>= minimum`` and ``<= maximum`` (each
    bound optional)."""
    expected = _float_range(above, minimum, maximum)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{name} = {value!r}, expected {expected}")
    x = float(value)
    if (not math.isfinite(x) or (above is not None and not x > above)
            or (minimum is not None and x < minimum) or (maximum is not None and x > maximum)):
        raise ConfigError(f"{name} = {value!r}, expected {expected}")
    return x


def choice(name: str, value: object, known: Collection[str]) -> str:
    """``value`` if it is one of ``known``."""
    if not isinstance(value, str) or value not in known:
        raise ConfigError(unknown_name(name, value, known))
    return value


def _int_range(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f"an integer in [{minimum}, {maximum:,}]"
    if minimum is not None:
        return f"an integer >= {minimum}"
    if maximum is not None:
        return f"an integer <= {maximum:,}"
    return "an integer"


def _float_range(above: float | None, minimum: float | None, maximum: float | None) -> str:
    bounds = [f"> {above:g}" if above is not None else "",
              f">= {minimum:g}" if minimum is not None else "",
              f"<= {maximum:g}" if maximum is not None else ""]
    text = " and ".join(b for b in bounds if b)
    return "a finite number" + (f" {text}" if text else "")
