"""Benchmark: size of HTML reports and their render time in headless Chromium.

Writes the report of the README's default comparison (``mas-sim compare``: every built-in
policy but MAGMA on mixed / QoS-Medium / 200 requests, seed 0) unless ``--report`` names
reports already written (several: an A/B comparison, e.g. the same runs written by two versions
of the code), then opens each ``--repeat`` times in headless Chromium, the reports in turn (one
browser, a fresh page load each time, interleaved so that the machine's changing load falls
on all of them alike). Each load is timed from navigation start to "every Bokeh view has
rendered", in wall time and in the CPU time this browser's processes used meanwhile (on a
machine shared with other work, the wall time mostly measures the wait for a core); then a
zoom (x range set from script to a tenth of the run, until the next two animation frames have
painted), which is what "responsive" means here. With ``--requests-large N`` it also writes
and times a one-scheduler report of N requests (EDF-H; tens of thousands of sub-jobs).
``--screenshot PATH`` keeps a screenshot of the first report (the README's picture).

    PYTHONPATH=. python benchmarks/bench_report.py [--report results/report.html ...]
        [--repeat 5] [--requests-large 2000] [--screenshot docs/figures/report.png]
        [--json benchmarks/results/report.json]

Needs the extra ``viz``, selenium, and Debian's chromium and chromium-driver
(``bash scripts/setup.sh --browser``).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from mas_sim.cli import main as cli_main
from mas_sim.core.files import atomic_write_bytes, atomic_write_text
from tests.output import browser

# Zoom the first figure's (shared) x range to a tenth of the run and wait two frames.
_ZOOM_JS = """
const done = arguments[arguments.length - 1]
function* walk(v) { yield v; if (v.children) for (const c of v.children()) yield* walk(c) }
let fig = null
for (const root of Object.values(Bokeh.index)) for (const v of walk(root))
  if (!fig && v.model.type == "Figure") fig = v
const r = fig.model.x_range, span = r.end - r.start, t0 = performance.now()
r.setv({start: r.start + 0.45 * span, end: r.start + 0.55 * span})
requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now() - t0)))
"""


def _span(values: list[float]) -> str:
    return f"{min(values):.2f}-{max(values):.2f} s (median {statistics.median(values):.2f})"


def time_reports(paths: list[Path], repeat: int, screenshot: Path | None = None
                 ) -> list[dict[str, Any]]:
    """Render and zoom times (s, wall and browser CPU) of ``repeat`` loads of each of
    ``paths``, interleaved; their sizes, console errors."""
    rows: list[dict[str, list[float]]] = [
        {"render_s": [], "render_cpu_s": [], "zoom_s": [], "zoom_cpu_s": []} for _ in paths]
    with browser.chromium(width=1400, height=1800) as driver:
        browser.open_and_wait(driver, paths[0], timeout_s=300)  # warm the browser up
        for _ in range(repeat):
            for path, row in zip(paths, rows, strict=True):
                before = browser.cpu_seconds(driver)
                row["render_s"].append(browser.open_and_wait(driver, path, timeout_s=300))
                row["render_cpu_s"].append(browser.cpu_seconds(driver) - before)
                before = browser.cpu_seconds(driver)
                row["zoom_s"].append(driver.execute_async_script(_ZOOM_JS) / 1e3)
                row["zoom_cpu_s"].append(browser.cpu_seconds(driver) - before)
        errors = browser.console_errors(driver)
        if screenshot is not None:
            browser.open_and_wait(driver, paths[0], timeout_s=300)
            atomic_write_bytes(screenshot, driver.get_screenshot_as_png())
    out = []
    for path, row in zip(paths, rows, strict=True):
        # Chart titles say "N sub-jobs" (mas_sim.output.interactive).
        subjobs = sum(int(n) for n in re.findall(r"(\d+) sub-jobs", path.read_text()))
        out.append({"path": str(path), "size_mb": path.stat().st_size / 1e6, "subjobs": subjobs,
                    **row, **{f"{k[:-2]}_median_s": statistics.median(v)
                              for k, v in row.items()},
                    "console_errors": errors})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", type=Path, nargs="+", default=None,
                        help="existing reports, timed in turn (default: write the default "
                             "comparison's)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--requests-large", type=int, default=2000, metavar="N",
                        help="also time an EDF-H report of N requests (0: skip)")
    parser.add_argument("--screenshot", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=Path("benchmarks/results/report.json"))
    args = parser.parse_args(argv)
    reason = browser.missing_reason()
    if reason is not None:
        print(f"bench_report: {reason}", file=sys.stderr)
        return 2

    work = Path(tempfile.mkdtemp(prefix="mas-sim-bench-report-"))
    reports = list(args.report or [])
    if not reports:
        reports.append(work / "report.html")
        start = time.perf_counter()
        cli_main(["compare", "--no-progress", "--html", str(reports[0])])
        print(f"default comparison and its report: {time.perf_counter() - start:.0f} s")
    if args.requests_large:
        reports.append(work / f"edf-h_{args.requests_large}.html")
        cli_main(["run", "--policy", "edf-h", "--requests", str(args.requests_large),
                  "--no-progress", "--html", str(reports[-1])])
    timed = time_reports(reports, args.repeat, args.screenshot)
    for r in timed:
        print(f"{r['path']}: {r['subjobs']} sub-jobs, {r['size_mb']:.2f} MB; render "
              f"{_span(r['render_s'])}, browser CPU {_span(r['render_cpu_s'])}; zoom "
              f"{_span(r['zoom_s'])}, browser CPU {_span(r['zoom_cpu_s'])} "
              f"({args.repeat} loads)")
    result = {"benchmark": "report", "python": sys.version.split()[0], "repeat": args.repeat,
              "reports": timed}
    atomic_write_text(args.json, json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
