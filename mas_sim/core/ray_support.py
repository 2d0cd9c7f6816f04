"""What every use of Ray in mas-sim shares: the extra's check, and a local runtime that imports
this checkout.

Ray is an optional extra (``ray``); sweeps (:mod:`mas_sim.runs.sweep`) and RELMAS's rollout
collectors (:mod:`policies.relmas.collect`) both start it, so the two helpers live here, below
both.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from mas_sim.core.errors import MissingExtraError

#: The folder that holds the ``mas_sim``, ``policies`` and ``models`` packages.
REPOSITORY_ROOT = Path(__file__).resolve().parents[2]


def require_ray(feature: str) -> None:
    """Raise :class:`MissingExtraError` naming ``feature`` if Ray is not installed."""
    try:
        import ray  # noqa: F401
    except ImportError:
        raise MissingExtraError(feature, "ray", "ray") from None


@contextlib.contextmanager
def repository_on_pythonpath() -> Iterator[None]:
    """Put :data:`REPOSITORY_ROOT` first on ``PYTHONPATH`` while a local Ray runtime starts.

    A local runtime's processes inherit the environment of ``ray.init``'s caller, so they then
    import this checkout, not another install of mas-sim. (Not through ``runtime_env``: tasks
    with a runtime_env cannot use the workers Ray prestarts at init, so every core would start,
    and import, a second worker.)
    """
    before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPOSITORY_ROOT), before) if p)
    try:
        yield
    finally:
        if before is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = before
