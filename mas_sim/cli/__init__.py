"""The ``mas-sim`` command line (also ``python -m mas_sim``).

Each sub-command lives in its own module with ``add_parser(subparsers)`` and ``run(args)``.
Only the module of the command being run is imported (``mas-sim --help`` imports none), and
no module imports a heavy library (numpy, pandas, torch, matplotlib) before a command needs it:
a call costs its own work, not the whole project's import time.
User errors (:class:`~mas_sim.core.errors.MasSimError`) print one line on stderr and exit with 2,
like argparse's own usage errors; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import TextIO

from mas_sim.core import stop
from mas_sim.core.errors import MasSimError

#: Sub-command name -> module implementing it.
COMMANDS = {
    "run": "mas_sim.cli.run",
    "compare": "mas_sim.cli.compare",
    "models": "mas_sim.cli.models",
    "train": "mas_sim.cli.train",
    "sweep": "mas_sim.cli.sweep",
    "reproduce": "mas_sim.cli.reproduce",
}

#: Sub-command name -> its line in ``mas-sim --help`` (the module's own ``help`` when built).
SUMMARIES = {
    "run": "run one policy on a scenario",
    "compare": "compare policies on a scenario",
    "models": "list the DNN zoo, or show one model",
    "train": "train a learning scheduler (relmas, bcedge)",
    "sweep": "run a grid of scenarios and policies into one table",
    "reproduce": "regenerate a paper's figures and tables",
}


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser; with ``argv``, only the command it names is built in full (the
    others are one help line each), so that parsing imports that command's module alone."""
    parser = argparse.ArgumentParser(
        prog="mas-sim",
        description="Simulate online DNN inference scheduling on heterogeneous "
                    "multi-accelerator systems.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chosen = _command(argv) if argv is not None else None
    for name, module in COMMANDS.items():
        if argv is None or name == chosen:
            importlib.import_module(module).add_parser(sub)
        else:
            sub.add_parser(name, help=SUMMARIES.get(name))
    return parser


def _command(argv: Sequence[str]) -> str | None:
    """The sub-command named in ``argv`` (its first word not an option), if any."""
    return next((a for a in argv if not a.startswith("-")), None)


class Terminated(KeyboardInterrupt):
    """SIGTERM (``kill PID``, a job scheduler's stop), unwound like Ctrl-C so that finished
    work is written (a sweep's points, a reproduction's runs)."""


#: The stop each handled signal raises.
_STOPS: dict[int, type[KeyboardInterrupt]] = {signal.SIGINT: KeyboardInterrupt,
                                              signal.SIGTERM: Terminated}


def _on_signal(signum: int, frame: object) -> None:
    """Raise the signal's stop at once, and record it (:mod:`mas_sim.core.stop`)."""
    kind = _STOPS[signum]
    stop.request(kind)
    raise kind


def _interruption_in(exc: BaseException) -> KeyboardInterrupt | None:
    """The Ctrl-C or SIGTERM among the causes and contexts of ``exc``, if any."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return cause
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return None


def _stopped(exc: KeyboardInterrupt) -> int:
    """Say how the run was stopped; its exit code (130 Ctrl-C, 143 SIGTERM)."""
    print("terminated" if isinstance(exc, Terminated) else "interrupted", file=sys.stderr)
    return 143 if isinstance(exc, Terminated) else 130


def _one_line_warning(command: str) -> Callable[..., None]:
    """``warnings.showwarning`` for the command line: ``mas-sim CMD: warning: MESSAGE`` on one
    line, without the library's file and source line (e.g. a model shorter than the period)."""
    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: TextIO | None = None, line: str | None = None) -> None:
        print(f"mas-sim {command}: warning: {message}", file=file or sys.stderr)
    return show


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (0 ok, 2 bad input, 130 Ctrl-C, 143 SIGTERM)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    stop.clear()
    before = signal.signal(signal.SIGTERM, _on_signal)
    before_int = signal.getsignal(signal.SIGINT)
    if before_int is not signal.SIG_IGN:  # a background job of a script keeps ignoring Ctrl-C
        signal.signal(signal.SIGINT, _on_signal)
    try:
        if getattr(args, "scenario", None) is not None:  # the file's values become defaults
            from mas_sim.cli.options import apply_scenario_file

            args = apply_scenario_file(parser, argv, args)
        with warnings.catch_warnings():
            warnings.showwarning = _one_line_warning(args.command)
            code: int = args.handler(args)
    except MasSimError as exc:
        print(f"mas-sim {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        return _stopped(exc)
    except SystemError as exc:
        # A signal that lands while C code calls back into Python (e.g. numba loading a cached
        # kernel) comes out as "returned a result with an exception set", caused by our stop.
        cause = _interruption_in(exc)
        if cause is None:
            raise
        return _stopped(cause)
    finally:
        signal.signal(signal.SIGTERM, before)
        signal.signal(signal.SIGINT, before_int)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
