"""Headless Chromium for the report's browser test and benchmark (Selenium + chromedriver).

Why Selenium: Debian packages both the browser and its driver (``chromium``,
``chromium-driver``, same version), and the ``selenium`` wheel is pure Python; Playwright's
Python package brings a Node.js driver of its own for the same few calls, and
the DevTools protocol by hand would mean writing a client. ``.ci/run`` installs the Debian
packages where they are missing (``scripts/setup.sh --browser``).

The flags are those that work on the project's machines: as root, with no GPU and a closed
network (``--disable-background-networking`` and friends stop Chromium's own connections).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars")
"""Chromium's command-line flags (plus a new empty ``--user-data-dir`` per browser)."""

# True once every Bokeh view of the page has rendered (BokehJS 3: Bokeh.index maps root ids
# to the root views, whose ``has_finished`` is true once they and their children have painted).
RENDERED_JS = """
const B = window.Bokeh
if (!B || !B.index) return false
const roots = Object.values(B.index)
return roots.length > 0 && roots.every(v => v.has_finished())
"""


def browser_paths() -> tuple[str, str] | None:
    """The Chromium and chromedriver executables, or None if either is missing."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (chromium, driver) if chromium and driver else None


def missing_reason() -> str | None:
    """Why the browser cannot be used here (None if it can)."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the Python package selenium is not installed (pip install 'mas-sim[dev]')"
    if browser_paths() is None:
        return ("Chromium and chromedriver are not installed (bash scripts/setup.sh --browser "
                "installs Debian's chromium and chromium-driver)")
    return None


@contextmanager
def chromium(width: int = 1400, height: int = 1000) -> Iterator[Any]:
    """A headless Chromium WebDriver with the browser console log enabled; quits on exit. Its
    ``mas_sim_profile`` attribute is the browser's own profile directory (for
    :func:`cpu_seconds`)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    paths = browser_paths()
    if paths is None:
        raise RuntimeError(missing_reason())
    options = webdriver.ChromeOptions()
    options.binary_location = paths[0]
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--window-size={width},{height}")
    profile = tempfile.mkdtemp(prefix="mas-sim-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(paths[1]))
    driver.mas_sim_profile = profile
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def open_and_wait(driver: Any, path: str | os.PathLike[str], timeout_s: float = 60.0) -> float:
    """Open the file ``path`` and wait until every Bokeh view has rendered; return the seconds
    from the start of navigation to that moment. Raises TimeoutError past ``timeout_s``."""
    start = time.perf_counter()
    driver.get(Path(path).resolve().as_uri())
    while not driver.execute_script(RENDERED_JS):
        if time.perf_counter() - start > timeout_s:
            raise TimeoutError(f"{path}: the charts did not render within {timeout_s:g} s")
        time.sleep(0.02)
    return time.perf_counter() - start


def cpu_seconds(driver: Any = None) -> float:
    """CPU time (user + system) used so far by the running processes of ``driver``'s browser,
    or of every browser started by :func:`chromium` (those of other test runs on the machine
    too) if ``driver`` is None (Linux ``/proc``). The difference over a page load is the work
    the browser did for it, which a loaded machine stretches less than the wall time."""
    marker = (driver.mas_sim_profile if driver is not None else "mas-sim-chromium-").encode()
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if marker not in (proc / "cmdline").read_bytes():
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    return total / tick


def console_errors(driver: Any) -> list[str]:
    """The browser console's SEVERE entries (script errors, failed loads) since the last call."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
