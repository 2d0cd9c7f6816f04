"""The collector helper: objects older than a block are frozen inside it and only there."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from mas_sim.core.collector import older_objects_frozen


@pytest.fixture(autouse=True)
def nothing_frozen() -> Iterator[None]:
    gc.unfreeze()
    enabled = gc.isenabled()
    yield
    gc.unfreeze()
    if enabled:
        gc.enable()


def test_objects_alive_on_entry_are_frozen_inside_and_returned_on_exit() -> None:
    before = object()
    tracked = [before]  # a list is tracked by the collector
    with older_objects_frozen():
        assert gc.get_freeze_count() > 0
        assert not any(o is tracked for o in gc.get_objects())  # out of every generation
    assert gc.get_freeze_count() == 0
    assert any(o is tracked for o in gc.get_objects(generation=2))  # back, in the oldest


def test_an_error_inside_still_unfreezes() -> None:
    with pytest.raises(RuntimeError, match="boom"), older_objects_frozen():
        raise RuntimeError("boom")
    assert gc.get_freeze_count() == 0


def test_a_callers_freeze_is_left_to_the_caller() -> None:
    gc.freeze()
    frozen = gc.get_freeze_count()
    with older_objects_frozen():
        pass
    assert gc.get_freeze_count() == frozen


def test_nothing_is_done_with_the_collector_disabled() -> None:
    gc.disable()
    with older_objects_frozen():
        assert gc.get_freeze_count() == 0


def test_a_run_freezes_only_while_it_runs_even_when_its_policy_fails() -> None:
    from mas_sim import Schedule, simulate
    from mas_sim.core.errors import PolicyError
    from tests.sim.toy import one_layer, toy_system, workload

    seen: list[int] = []

    class Watches:
        name = "watches"

        def reset(self, system: object, seed: int | None = None) -> None:
            pass

        def schedule(self, view: object) -> Schedule:
            seen.append(gc.get_freeze_count())
            raise PolicyError("stop here")

    layer = one_layer("m", [10, 10], [0, 0])
    with pytest.raises(PolicyError, match="stop here"):
        simulate(toy_system(2), workload([("m", 0, 100)], layer), Watches(), period=50)
    assert seen and seen[0] > 0
    assert gc.get_freeze_count() == 0
