#!/usr/bin/env bash
# Create .venv beside this repository and install mas-sim into it, with the extras the tests
# and notebooks use. Safe to run again: it only installs what is missing.
#
# --browser also installs Debian's chromium and chromium-driver (apt, as root) where they are
# missing, for the report's browser test (tests/output/test_report_browser.py); CI passes it.
#
# torch is pinned first to the CPU build 2.13.0 (a plain "torch" requirement can pull a CUDA
# build of several GB); pyproject.toml accepts any torch in a range that includes it.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
BROWSER=0
for arg in "$@"; do
    case "$arg" in
        --browser) BROWSER=1 ;;
        *) echo "setup.sh: unknown option $arg (expected --browser)" >&2; exit 2 ;;
    esac
done
if [ "$BROWSER" = 1 ]; then
    if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
        :
    elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing Debian's chromium and chromium-driver (browser test)" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq chromium chromium-driver >/dev/null
    else
        echo "setup.sh: cannot install chromium here (needs root and apt-get); the browser" \
             "test will be skipped" >&2
    fi
fi
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check "torch==2.13.0"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev,rl,sb3,exact,onnx,ray,viz]"
echo "mas-sim is installed in $(pwd)/.venv" >&2
