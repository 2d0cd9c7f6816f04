"""Compiled kernels: numba's ``njit`` with an on-disk cache that never breaks an import.

The hot loops of planning (:mod:`.plan`), the ready queue (:mod:`.rq`), the forecast
(:mod:`.forecast`) and MAGMA's fitness are plain Python functions compiled by numba to machine
code on their first call. The machine code is cached on disk: beside the source
(``__pycache__``), or, where that folder is read-only (an installed package), in numba's
user-wide cache (``NUMBA_CACHE_DIR`` if set, else the platform's cache folder); so a machine
compiles each kernel once. If no folder is writable the kernels are compiled in memory at every
start instead of failing.

numba checks a cached kernel against its own source file only. A kernel that compiles in code
or constants of other modules (a shared function such as
:func:`mas_sim.sim.dram.proportional_rate`) names them in ``depends``; its cache is then also
keyed on their sources, so editing them recompiles it.

The kernels use no ``fastmath``: they perform the same IEEE operations in the same order as the
Python they replaced, so results are bit-identical. They do not check array bounds: their
Python callers validate indices.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Sequence
from functools import cache
from types import ModuleType
from typing import Any, TypeVar

import numba

F = TypeVar("F", bound=Callable[..., Any])


def njit(fn: F | None = None, *, parallel: bool = False, inline: bool = False,
         refcount: bool = True, depends: Sequence[ModuleType] = ()) -> Any:
    """``numba.njit`` with a disk cache (see the module docstring).

    Usable bare (``@njit``) or with options (``@njit(depends=(dram,))``). ``inline``: numba
    inlines the kernel into its callers. ``refcount=False``: compiled without numba's reference
    counting, for a loop that allocates nothing and reads arrays out of a tuple (each read would
    otherwise pay an atomic increment and decrement; numba's ``_nrt`` option).
    """
    def wrap(f: F) -> Any:
        jit: Any = numba.njit  # ``_nrt`` is not in numba's type stubs
        dispatcher = jit(parallel=parallel, inline="always" if inline else "never",
                         _nrt=refcount)(f)
        # numba raises "cannot cache function ...: no locator available" if nothing is writable.
        with contextlib.suppress(RuntimeError):
            dispatcher._cache = _function_cache(
                f, tuple(str(m.__file__) for m in depends))
        return dispatcher

    return wrap if fn is None else wrap(fn)


def _function_cache(fn: Callable[..., Any], depends: tuple[str, ...]) -> Any:
    """numba's cache of ``fn`` (what ``cache=True`` installs), stamped with ``depends`` too."""
    from numba.core import caching

    if not depends:
        return caching.FunctionCache(fn)

    class Impl(caching.CompileResultCacheImpl):
        def __init__(self, py_func: Callable[..., Any]) -> None:
            super().__init__(py_func)
            own = self._locator.get_source_stamp
            self._locator.get_source_stamp = lambda: (own(), [_file_hash(p) for p in depends])

    class Cache(caching.FunctionCache):
        _impl_class = Impl

    return Cache(fn)


def _file_hash(path: str) -> bytes:
    st = os.stat(path)
    return _hash(path, st.st_mtime_ns, st.st_size)


@cache
def _hash(path: str, mtime_ns: int, size: int) -> bytes:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).digest()
