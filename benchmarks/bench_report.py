"""Benchmark: size of the HTML report and its render time in headless Chromium.

Writes the report of the README's default comparison (``mas-sim compare``: every built-in
policy but MAGMA on mixed / QoS-Medium / 200 requests, seed 0) unless ``--report`` names one
already written, then opens it ``--repeat`` times in headless Chromium (one browser, a fresh
page load each time) and times navigation start to "every Bokeh view has rendered", in wall
time and in the CPU time the browser's processes used meanwhile (on a machine shared with
other work, the wall time mostly measures the wait for a core). With
``--requests-large N`` it also times a one-scheduler report of N requests (EDF-H; tens of
thousands of sub-jobs) and a zoom on it (x range set from script to a tenth of the run, until
the next two animation frames have painted), which is what "responsive" means here.
``--screenshot PATH`` keeps a screenshot of the default report (the README's picture).

    PYTHONPATH=. python benchmarks/bench_report.py [--report results/report.html]
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


def time_report(path: Path, repeat: int, screenshot: Path | None = None) -> dict[str, Any]:
    """Render times (s) of ``repeat`` loads of ``path``, its size, console errors."""
    times, cpu = [], []
    with browser.chromium(width=1400, height=1800) as driver:
        for _ in range(repeat):
            before = browser.cpu_seconds()
            times.append(browser.open_and_wait(driver, path, timeout_s=120))
            cpu.append(browser.cpu_seconds() - before)
        errors = browser.console_errors(driver)
        if screenshot is not None:
            atomic_write_bytes(screenshot, driver.get_screenshot_as_png())
        zooms = []
        for _ in range(repeat):
            zooms.append(driver.execute_async_script(_ZOOM_JS) / 1e3)
            browser.open_and_wait(driver, path, timeout_s=120)
    # Chart titles end in "N sub-jobs" (mas_sim.output.interactive).
    subjobs = sum(int(n) for n in re.findall(r"(\d+) sub-jobs", path.read_text()))
    return {"path": str(path), "size_mb": path.stat().st_size / 1e6, "subjobs": subjobs,
            "render_s": times, "render_median_s": statistics.median(times),
            "render_cpu_s": cpu, "render_cpu_median_s": statistics.median(cpu),
            "zoom_s": zooms, "zoom_median_s": statistics.median(zooms),
            "console_errors": errors}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", type=Path, default=None,
                        help="an existing report of the default comparison (default: write it)")
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
    report = args.report
    if report is None:
        report = work / "report.html"
        start = time.perf_counter()
        cli_main(["compare", "--no-progress", "--html", str(report)])
        print(f"default comparison and its report: {time.perf_counter() - start:.0f} s")
    result: dict[str, Any] = {"benchmark": "report", "python": sys.version.split()[0],
                              "default": time_report(report, args.repeat, args.screenshot)}
    d = result["default"]
    print(f"default comparison report: {d['subjobs']} sub-jobs, {d['size_mb']:.2f} MB, render "
          f"{min(d['render_s']):.2f}-{max(d['render_s']):.2f} s (median "
          f"{d['render_median_s']:.2f} s over {args.repeat}; browser CPU "
          f"{min(d['render_cpu_s']):.2f}-{max(d['render_cpu_s']):.2f} s), zoom "
          f"{d['zoom_median_s']:.3f} s")
    if args.requests_large:
        large = work / f"edf-h_{args.requests_large}.html"
        cli_main(["run", "--policy", "edf-h", "--requests", str(args.requests_large),
                  "--no-progress", "--html", str(large)])
        big = time_report(large, args.repeat)
        result["large"] = {"requests": args.requests_large, **big}
        print(f"edf-h, {args.requests_large} requests: {big['subjobs']} sub-jobs, "
              f"{big['size_mb']:.2f} MB, render "
              f"{min(big['render_s']):.2f}-{max(big['render_s']):.2f} s (median "
              f"{big['render_median_s']:.2f} s; browser CPU {min(big['render_cpu_s']):.2f}-"
              f"{max(big['render_cpu_s']):.2f} s), zoom {min(big['zoom_s']):.3f}-"
              f"{max(big['zoom_s']):.3f} s")
    atomic_write_text(args.json, json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
