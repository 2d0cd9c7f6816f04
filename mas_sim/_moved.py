"""Old module paths of mas-sim's flat layout, kept importable after the move into layer packages.

``import mas_sim.engine`` (say) gives the module ``mas_sim.sim.engine`` itself, the same object,
so ``isinstance`` checks and monkeypatching behave as before; a :class:`DeprecationWarning` names
the new path. Submodules follow their package (``mas_sim.costmodel.energy`` is
``mas_sim.hardware.costmodel.energy``).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import warnings
from collections.abc import Sequence
from types import ModuleType

#: Old path -> new path.
MOVED: dict[str, str] = {
    "mas_sim.errors": "mas_sim.core.errors",
    "mas_sim.io": "mas_sim.core.files",
    "mas_sim.profile": "mas_sim.hardware.profile",
    "mas_sim.costmodel": "mas_sim.hardware.costmodel",
    "mas_sim.engine": "mas_sim.sim.engine",
    "mas_sim.jobs": "mas_sim.sim.jobs",
    "mas_sim.rq": "mas_sim.sim.rq",
    "mas_sim.subaccelerator": "mas_sim.sim.subaccelerator",
    "mas_sim.dram": "mas_sim.sim.dram",
    "mas_sim.view": "mas_sim.sim.view",
    "mas_sim.forecast": "mas_sim.sim.forecast",
    "mas_sim.scenario": "mas_sim.workload.scenario",
    "mas_sim.monitors": "mas_sim.runs.monitors",
    "mas_sim.metrics": "mas_sim.runs.metrics",
    "mas_sim.experiment": "mas_sim.runs.experiment",
    "mas_sim.sweep": "mas_sim.runs.sweep",
    "mas_sim.bound": "mas_sim.runs.bound",
    "mas_sim.plots": "mas_sim.output.plots",
    "mas_sim.chrome_trace": "mas_sim.output.chrome_trace",
    "mas_sim.reproduce": "mas_sim.studies",
    "mas_sim.gym": "policies.relmas.env",
}


def new_name(old: str) -> str | None:
    """The module's path in the layered layout, or None if ``old`` did not move."""
    for prefix, target in MOVED.items():
        if old == prefix or old.startswith(prefix + "."):
            return target + old[len(prefix):]
    return None


class _Alias(importlib.abc.Loader):
    """Loads an old path as the module at its new path (the same object)."""

    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return ModuleType(spec.name)  # a placeholder; exec_module puts the real one in place

    def exec_module(self, module: ModuleType) -> None:
        warnings.warn(f"{module.__name__} moved to {self.target}; import it from there",
                      DeprecationWarning, stacklevel=2)
        # The import system returns whatever sys.modules holds under the name after exec.
        sys.modules[module.__name__] = importlib.import_module(self.target)


class MovedModuleFinder(importlib.abc.MetaPathFinder):
    """Finds the old paths of :data:`MOVED` (installed once by ``mas_sim/__init__``)."""

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        new = new_name(fullname)
        if new is None:
            return None
        return importlib.util.spec_from_loader(fullname, _Alias(new))


def install() -> None:
    """Put the finder first on ``sys.meta_path`` (idempotent).

    First, because an old submodule path (``mas_sim.costmodel.energy``) would otherwise be found
    by the path finder through its aliased package's ``__path__`` and loaded a second time.
    """
    if not any(isinstance(f, MovedModuleFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, MovedModuleFinder())
