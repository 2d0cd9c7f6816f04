"""Start-up: building the command line imports no heavy library, so ``mas-sim --help`` and a
small run do not pay for torch, pandas or matplotlib (issue 16, item 7). Timings are measured
in the report, never asserted here."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("torch", "pandas", "matplotlib")


def _heavy_after(statement: str) -> list[str]:
    code = (f"import sys\n{statement}\n"
            f"print('heavy:', *(m for m in {HEAVY!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    return done.stdout.splitlines()[-1].split()[1:]


def test_import_mas_sim_cli_loads_no_heavy_library() -> None:
    assert _heavy_after("import mas_sim.cli") == []


def test_help_loads_no_heavy_library() -> None:
    statement = ("from mas_sim.cli import main\n"
                 "try:\n    main(['--help'])\nexcept SystemExit:\n    pass")
    assert _heavy_after(statement) == []


# `train` is left out: its options come from RELMAS's configs, which need torch anyway.
@pytest.mark.parametrize("command", ["run", "compare", "sweep", "models", "reproduce"])
def test_building_a_commands_parser_loads_no_heavy_library(command: str) -> None:
    statement = ("from mas_sim.cli import build_parser\n"
                 f"build_parser([{command!r}]).format_help()\n"
                 f"build_parser([{command!r}])._subparsers._group_actions[0]"
                 f".choices[{command!r}].format_help()")
    assert _heavy_after(statement) == []


def test_only_the_named_command_is_built() -> None:
    statement = ("from mas_sim.cli import build_parser\nbuild_parser(['run'])\n"
                 "assert 'mas_sim.cli.sweep' not in sys.modules")
    assert _heavy_after(statement) == []


def test_a_heuristic_run_loads_neither_torch_nor_matplotlib() -> None:
    statement = ("from mas_sim.cli import main\n"
                 "main(['run', '--workload', 'light', '--requests', '2', '--no-progress'])")
    assert set(_heavy_after(statement)) <= {"pandas"}  # the run's tables are DataFrames
