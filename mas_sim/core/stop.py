"""A stop asked for by a signal (Ctrl-C, SIGTERM), remembered so that long loops honour it.

The command line's signal handlers raise the stop at once (so any code unwinds and writes what
it finished) and also record it here: Python ignores an exception raised while a finalizer
(``__del__``, a garbage-collection callback) runs, so a stop that lands there would otherwise be
lost and a training would run on. Loops that can run for minutes call :func:`check` between
their steps; it raises the recorded stop again.
"""

from __future__ import annotations

_requested: type[KeyboardInterrupt] | None = None


def request(kind: type[KeyboardInterrupt]) -> None:
    """Record a stop of ``kind`` (``KeyboardInterrupt`` or a subclass)."""
    global _requested
    _requested = kind


def clear() -> None:
    """Forget a recorded stop (a new command starts)."""
    global _requested
    _requested = None


def check() -> None:
    """Raise the recorded stop, if any."""
    if _requested is not None:
        raise _requested
