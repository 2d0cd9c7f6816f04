"""Shared test set-up: the hypothesis profile, the compiled kernels, fixtures used across packages.

Tests import their helpers as modules of the ``tests`` package (``from tests.sim.toy import
toy_system``); pytest puts the repository root on the path because ``tests`` is a package.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

from mas_sim.hardware import SystemSpec

# Timings on a shared 2-core CI machine vary by tens of percent: no per-example deadline.
settings.register_profile("mas-sim", deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("mas-sim")


@pytest.fixture(scope="session")
def paper_system() -> SystemSpec:
    """The paper's six sub-accelerators at 16 GB/s (frozen, so one per session is safe)."""
    return SystemSpec.paper()


@pytest.fixture(scope="session", autouse=True)
def compiled_kernels() -> None:
    """Compile (first run on a machine) or load (later runs) the numba kernels once, up front,
    so that no single test's time includes it."""
    import numpy as np

    import policies
    from mas_sim.runs.simulate import simulate
    from mas_sim.sim.forecast import forecast
    from mas_sim.sim.view import SchedulerView
    from mas_sim.workload.scenario import Scenario, build_workload
    from policies.magma.fitness import FitnessProblem, evaluate

    system = SystemSpec.paper()
    views: list[SchedulerView] = []

    class Keep:
        def ticked(self, now: float, view: SchedulerView | None, schedule: object,
                   seconds: float) -> None:
            if view is not None:
                views.append(view)

    simulate(system, build_workload(system, Scenario(workload="light", requests=3, seed=1)),
             "edf-ac-h", trace=False, observers=(Keep(),))
    view = views[len(views) // 2]
    forecast(view, policies.make("edf-h").schedule(view))
    population = np.zeros((2, view.size), dtype=np.int64), np.zeros((2, view.size))
    evaluate(FitnessProblem.from_view(view), *population)
