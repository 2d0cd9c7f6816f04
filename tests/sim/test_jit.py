"""The compiled-kernel helper: disk cache keyed on dependencies, and no failure without one."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from mas_sim.sim import jit


def _module(path: Path, source: str) -> object:
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def test_a_dependency_edit_changes_the_cache_stamp(tmp_path: Path) -> None:
    dep = _module(tmp_path / "jit_dep.py", "RATE = 1.0\n")
    kernel = _module(tmp_path / "jit_kernel.py", "def f(x):\n    return x\n")
    stamp = jit._function_cache(kernel.f, (dep.__file__,))._impl.locator.get_source_stamp
    before = stamp()
    assert stamp() == before  # stable while nothing changes
    (tmp_path / "jit_dep.py").write_text("RATE = 2.0\n")
    assert stamp() != before


def test_without_a_writable_cache_folder_kernels_compile_in_memory(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from numba.core import caching

    monkeypatch.setattr(caching.CompileResultCacheImpl, "_locator_classes", [])

    @jit.njit
    def twice(x: float) -> float:
        return 2.0 * x

    assert isinstance(twice._cache, caching.NullCache)  # numba refused to cache: in memory
    assert twice(2.5) == 5.0
