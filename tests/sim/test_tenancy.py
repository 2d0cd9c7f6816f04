"""The tenant tracker: sliding-window deficits computed by hand."""

from __future__ import annotations

import pytest

from mas_sim.core.errors import ConfigError
from mas_sim.sim.engine import EngineConfig
from mas_sim.sim.tenancy import TenantTracker


def test_deficit_over_a_sliding_window() -> None:
    tracker = TenantTracker(window=3)
    assert not tracker.active and tracker.deficit(0) == 0.0
    tracker.record(0, 0.9, True)
    assert tracker.deficit(0) == pytest.approx(0.9 - 1.0)
    tracker.record(0, 0.9, False)
    assert tracker.deficit(0) == pytest.approx(0.9 - 0.5)
    tracker.record(0, 0.6, False)  # targets may differ per model: the window's mean counts
    assert tracker.deficit(0) == pytest.approx((0.9 + 0.9 + 0.6) / 3 - 1 / 3)
    tracker.record(0, 0.9, False)  # the first (met) event leaves the window
    assert tracker.deficit(0) == pytest.approx((0.9 + 0.6 + 0.9) / 3 - 0.0)
    assert tracker.target(0) == pytest.approx((0.9 + 0.6 + 0.9) / 3)
    assert tracker.target(5) == 0.0
    assert tracker.deficit(1) == 0.0 and tracker.active
    tracker.record(1, 0.5, True)
    assert tracker.deficit(1) == pytest.approx(-0.5)


@pytest.mark.parametrize("window", [0, -3, 2.5, True])
def test_bad_window(window: object) -> None:
    with pytest.raises(ConfigError, match="tenant window"):
        EngineConfig(tenant_window=window)  # type: ignore[arg-type]
