"""The house: layers import downwards only, the kernel loads no policy and no torch, and the
old flat module paths still import (as the same module objects)."""

from __future__ import annotations

import importlib
import subprocess
import sys
import warnings

import pytest

from mas_sim import _moved


def _modules_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    return set(out.split())


@pytest.mark.parametrize("package", ["mas_sim.sim", "mas_sim.workload", "mas_sim.hardware",
                                     "mas_sim.core.errors"])
def test_importing_the_kernel_loads_no_policy_and_no_torch(package: str) -> None:
    loaded = _modules_after(f"import {package}")
    assert package in loaded
    assert not {m for m in loaded if m == "policies" or m.startswith("policies.")}
    assert "torch" not in loaded
    assert not {m for m in loaded if m.startswith("mas_sim.runs")}


def test_import_mas_sim_is_lazy() -> None:
    loaded = _modules_after("import mas_sim")
    assert "mas_sim.sim.engine" not in loaded and "pandas" not in loaded


@pytest.mark.parametrize("old", sorted(_moved.MOVED))
def test_old_module_paths_are_the_new_modules(old: str) -> None:
    pytest.importorskip("gymnasium")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        module = importlib.import_module(old)
    assert module is importlib.import_module(_moved.MOVED[old])
    assert sys.modules[old] is module


def test_an_old_path_warns_with_the_new_one() -> None:
    code = ("import warnings; warnings.simplefilter('error'); "
            "import mas_sim.engine")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "mas_sim.engine moved to mas_sim.sim.engine" in done.stderr


def test_old_submodule_path_follows_its_package() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        energy = importlib.import_module("mas_sim.costmodel.energy")
    assert energy is importlib.import_module("mas_sim.hardware.costmodel.energy")
    assert _moved.new_name("mas_sim.sim.engine") is None


def test_public_names_of_the_readme_import() -> None:
    import mas_sim
    from mas_sim import Result, SystemSpec, simulate  # noqa: F401
    from mas_sim.workload.scenario import Scenario, build_workload  # noqa: F401

    assert callable(mas_sim.simulate)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = mas_sim.nope  # type: ignore[attr-defined]


def test_lint_imports_contracts_hold() -> None:
    lint = pytest.importorskip("importlinter")
    assert lint
    done = subprocess.run([sys.executable, "-m", "importlinter.cli"], capture_output=True,
                          text=True)
    if done.returncode != 0 and "No module named" in done.stderr:
        done = subprocess.run(["lint-imports"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
