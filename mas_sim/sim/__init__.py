"""The kernel: a SimPy discrete-event simulation of one multi-accelerator system.

- :mod:`.engine`: :class:`~.engine.Simulation` (arrivals, the periodic scheduler, firm
  deadlines) and :class:`~.engine.EngineConfig`;
- :mod:`.subaccelerator`: one SimPy process per sub-accelerator (non-preemptive);
- :mod:`.dram`: the DRAM arbiter and its bandwidth-sharing rules;
- :mod:`.jobs`, :mod:`.rq`: run-time state of requests and the ready queue;
- :mod:`.view`: the policy boundary (:class:`~.view.SchedulerView`, :class:`~.view.Schedule`,
  :class:`~.view.Policy`);
- :mod:`.requests`: the engine's input (:class:`~.requests.Request`, :class:`~.requests.Workload`);
- planning tools policies use: :mod:`.plan` (earliest-finish list scheduling) and
  :mod:`.forecast` (an exact replay of one schedule);
- :mod:`.isolated`: the isolated latency of a model;
- compiled kernels: :mod:`.jit` (numba with a disk cache) and :mod:`.heaps` (array heaps);
  the plan, the forecast and the ready queue's assembly are compiled loops.

The kernel imports no policy and no torch; policies import only the view (and the planning tools).
"""

from mas_sim.sim.engine import DEFAULT_PERIOD, EngineConfig, Simulation
from mas_sim.sim.requests import Request, Workload
from mas_sim.sim.view import Policy, Schedule, SchedulerView

__all__ = [
    "DEFAULT_PERIOD",
    "EngineConfig",
    "Policy",
    "Request",
    "Schedule",
    "SchedulerView",
    "Simulation",
    "Workload",
]
