"""mas-sim: discrete-event simulation of online DNN inference scheduling on heterogeneous
multi-accelerator systems (SimPy).

>>> from mas_sim import SystemSpec, simulate
>>> from mas_sim.scenario import build_workload
>>> system = SystemSpec.paper()
>>> result = simulate(system, build_workload(system, workload="light", requests=20), "fcfs-h")
"""

from mas_sim.engine import EngineConfig, Simulation
from mas_sim.errors import MasSimError
from mas_sim.hardware import SubAcceleratorSpec, SystemSpec
from mas_sim.profile import ModelProfile
from mas_sim.simulate import Result, simulate
from mas_sim.view import Policy, Schedule, SchedulerView
from mas_sim.workload import Request, Workload

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
