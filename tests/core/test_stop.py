"""A stop asked for by a signal is remembered, so a loop honours it even if the first raise was
swallowed (Python ignores exceptions raised inside finalizers)."""

from __future__ import annotations

import gc
import os
import signal
import sys
from pathlib import Path

import pytest

from mas_sim.cli import Terminated, _on_signal
from mas_sim.core import stop


def test_nothing_recorded_nothing_raised() -> None:
    stop.clear()
    stop.check()


@pytest.mark.parametrize(("sig", "kind"), [(signal.SIGINT, KeyboardInterrupt),
                                           (signal.SIGTERM, Terminated)])
def test_a_stop_swallowed_by_a_finalizer_is_raised_again(sig: signal.Signals,
                                                         kind: type[KeyboardInterrupt]) -> None:
    class Finalized:
        def __del__(self) -> None:
            _on_signal(sig, None)  # as if the signal landed here

    stop.clear()
    swallowed: list[BaseException | None] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sys, "unraisablehook", lambda u: swallowed.append(u.exc_value))
        Finalized()  # Python ignores the handler's raise here (it reports it as unraisable)
        gc.collect()
    assert [type(e) for e in swallowed] == [kind]
    with pytest.raises(kind):
        stop.check()
    stop.clear()
    stop.check()


def test_the_cli_clears_a_stop_left_by_an_earlier_command(tmp_path: Path) -> None:
    # A sweep checks for a stop after each point: a stale one would end it with 130.
    from mas_sim.cli import main

    stop.request(KeyboardInterrupt)
    assert main(["sweep", "--grid", "seed=1", "--out", str(tmp_path / "s.csv"), "--requests",
                 "2", "--workload", "light", "--no-progress"]) == 0
    stop.request(KeyboardInterrupt)
    with pytest.raises(KeyboardInterrupt):
        stop.check()
    stop.clear()


def test_ctrl_c_still_ignored_when_the_caller_ignores_it() -> None:
    from mas_sim.cli import main

    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        assert main(["models"]) == 0
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        os.kill(os.getpid(), signal.SIGINT)  # ignored: nothing raised
    finally:
        signal.signal(signal.SIGINT, before)
