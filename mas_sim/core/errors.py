"""Project error types.

Every error caused by a user's input (a bad value, an unknown name, a malformed file) is raised as
a subclass of :class:`MasSimError`. The CLI turns these into a one-line message and exit code 2,
without a traceback; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Iterable


class MasSimError(Exception):
    """Base class of all errors caused by user input."""


class ConfigError(MasSimError, ValueError):
    """A configuration value is out of range or malformed (hardware, workload, run options)."""


class ModelError(MasSimError, ValueError):
    """A DNN model or layer graph is unknown, cyclic, disconnected or unsupported."""


class PolicyError(MasSimError, ValueError):
    """A policy is unknown, misconfigured, or returned an invalid schedule."""


class CheckpointError(MasSimError, ValueError):
    """A checkpoint file is missing, not a checkpoint, or of another shape."""


class MissingExtraError(MasSimError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""

    def __init__(self, feature: str, extra: str, package: str) -> None:
        super().__init__(
            f"{feature} needs the optional package {package!r}: "
            f"install it with  pip install 'mas-sim[{extra}]'"
        )
        self.extra = extra


def unknown_name(kind: str, name: object, known: Iterable[str]) -> str:
    """Message for an unknown name, listing the known ones: ``unknown policy 'x' (known: a, b)``."""
    return f"unknown {kind} {name!r} (known: {', '.join(sorted(known))})"
