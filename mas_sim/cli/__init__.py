"""The ``mas-sim`` command line (also ``python -m mas_sim``).

Each sub-command lives in its own module with ``add_parser(subparsers)`` and ``run(args)``.
User errors (:class:`~mas_sim.core.errors.MasSimError`) print one line on stderr and exit with 2,
like argparse's own usage errors; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

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


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser."""
    parser = argparse.ArgumentParser(
        prog="mas-sim",
        description="Simulate online DNN inference scheduling on heterogeneous "
                    "multi-accelerator systems.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS.values():
        importlib.import_module(module).add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (0 ok, 2 bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if getattr(args, "scenario", None) is not None:  # the file's values become defaults
            from mas_sim.cli.options import apply_scenario_file

            args = apply_scenario_file(parser, argv, args)
        code: int = args.handler(args)
    except MasSimError as exc:
        print(f"mas-sim {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
