"""Shared test set-up: the hypothesis profile and fixtures used across packages.

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
