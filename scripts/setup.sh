#!/usr/bin/env bash
# Create .venv beside this repository and install mas-sim into it, with the extras the tests
# and notebooks use. Safe to run again: it only installs what is missing.
#
# torch is pinned first to the CPU build 2.13.0 (a plain "torch" requirement can pull a CUDA
# build of several GB); pyproject.toml accepts any torch in a range that includes it.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check "torch==2.13.0"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev,rl,exact,onnx,ray]"
echo "mas-sim is installed in $(pwd)/.venv" >&2
