"""mas-sim: discrete-event simulation of online DNN inference scheduling on heterogeneous
multi-accelerator systems (SimPy).

>>> from mas_sim import SystemSpec, simulate
>>> from mas_sim.workload.scenario import build_workload
>>> system = SystemSpec.paper()
>>> result = simulate(system, build_workload(system, workload="light", requests=20), "fcfs-h")

The package is one subpackage per layer, imports pointing down only (``docs/architecture.md``):
``core`` (errors, units, files) < ``models`` (the zoo, a top-level package) < ``hardware``
(specs, cost model) < ``sim`` (the kernel) < ``workload`` < ``policies`` (top-level) <
``output`` < ``runs`` < ``studies`` < ``cli``. The names below are loaded on first use, so
``import mas_sim.sim`` loads the kernel alone.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mas_sim import _moved

if TYPE_CHECKING:
    from mas_sim.core.errors import MasSimError
    from mas_sim.hardware.profile import ModelProfile
    from mas_sim.hardware.spec import SubAcceleratorSpec, SystemSpec
    from mas_sim.runs.simulate import Result, simulate
    from mas_sim.sim.engine import EngineConfig, Simulation
    from mas_sim.sim.requests import Request, Workload
    from mas_sim.sim.view import Policy, Schedule, SchedulerView

#: Public name -> module that defines it.
_EXPORTS: dict[str, str] = {
    "EngineConfig": "mas_sim.sim.engine",
    "MasSimError": "mas_sim.core.errors",
    "ModelProfile": "mas_sim.hardware.profile",
    "Policy": "mas_sim.sim.view",
    "Request": "mas_sim.sim.requests",
    "Result": "mas_sim.runs.simulate",
    "Schedule": "mas_sim.sim.view",
    "SchedulerView": "mas_sim.sim.view",
    "Simulation": "mas_sim.sim.engine",
    "SubAcceleratorSpec": "mas_sim.hardware.spec",
    "SystemSpec": "mas_sim.hardware.spec",
    "Workload": "mas_sim.sim.requests",
    "simulate": "mas_sim.runs.simulate",
}

__all__ = [
    "EngineConfig",
    "MasSimError",
    "ModelProfile",
    "Policy",
    "Request",
    "Result",
    "Schedule",
    "SchedulerView",
    "Simulation",
    "SubAcceleratorSpec",
    "SystemSpec",
    "Workload",
    "simulate",
]

__version__ = "0.1.0"

_moved.install()


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mas_sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
