"""Compiled kernels: numba's ``njit`` with an on-disk cache that never breaks an import.

The hot loops of planning (:mod:`.plan`), the forecast (:mod:`.forecast`) and MAGMA's fitness
are plain Python functions compiled by numba to machine code on their first call. With
``cache=True`` the machine code is stored beside the source (``__pycache__``), or, where that
folder is read-only (an installed package), in numba's user-wide cache (``NUMBA_CACHE_DIR``,
else the platform's cache folder); a machine compiles each kernel once. If no folder is
writable at all the kernels are compiled in memory at every start instead of failing.

The kernels use no ``fastmath``: they perform the same IEEE operations in the same order as
the Python they replaced, so results are bit-identical.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numba

F = TypeVar("F", bound=Callable[..., Any])


def njit(fn: F | None = None, *, parallel: bool = False) -> Any:
    """``numba.njit(cache=True)``, falling back to an uncached kernel where nothing is writable.

    Usable bare (``@njit``) or with options (``@njit(parallel=True)``).
    """
    def wrap(f: F) -> Any:
        try:
            return numba.njit(cache=True, parallel=parallel)(f)
        except RuntimeError:  # numba: "cannot cache function ...: no locator available"
            return numba.njit(parallel=parallel)(f)

    return wrap if fn is None else wrap(fn)
