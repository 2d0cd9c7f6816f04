"""RELMAS inference runs on one torch thread unless the user asks for more."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

torch = pytest.importorskip("torch")

from mas_sim.core.errors import ConfigError  # noqa: E402
from policies.relmas.encoding import Normalisation  # noqa: E402
from policies.relmas.networks import Actor  # noqa: E402
from policies.relmas.policy import Relmas  # noqa: E402

NORM = Normalisation(("toy",), max_layers=4, time_unit=1000.0, dram_bandwidth=16.0)


@pytest.fixture
def restore_threads() -> Iterator[None]:
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


@pytest.mark.usefixtures("restore_threads")
def test_one_thread_by_default_more_on_request_none_leaves_torch_alone() -> None:
    torch.set_num_threads(2)
    Relmas.from_actor(Actor(8, 3, 8), NORM)
    assert torch.get_num_threads() == 1
    Relmas.from_actor(Actor(8, 3, 8), NORM, threads=2)
    assert torch.get_num_threads() == 2
    Relmas.from_actor(Actor(8, 3, 8), NORM, threads=None)
    assert torch.get_num_threads() == 2


@pytest.mark.parametrize("threads", [0, -1, 1.5, "2"])
def test_bad_thread_counts_are_refused(threads: object) -> None:
    with pytest.raises(ConfigError, match="threads = "):
        Relmas.from_actor(Actor(8, 3, 8), NORM, threads=threads)  # type: ignore[arg-type]
