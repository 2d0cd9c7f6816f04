"""The report in a real browser (headless Chromium, driven by Selenium; see browser.py).

It opens a report of two schedulers (bars drawn on a canvas, then with WebGL), waits for
BokehJS to finish rendering, takes a screenshot and checks on its pixels that every SA lane
holding sub-jobs shows bars in the colours of the chart's models, and a chosen bar in its own
colour; that the console has no error and nothing was loaded from the network; that hovering
that bar shows its request id and layer; that clicking it selects its request in both
schedulers' lanes; and that the colour switch recolours the bar by its tenant.

Skipped, with the reason, where Chromium, chromedriver or selenium are missing, except under
CI (``CI`` set), where ``.ci/run`` installs them and a missing browser fails the test.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from matplotlib.image import imread

from mas_sim.output.plots import category_colors
from mas_sim.output.report import ReportRun, write_report
from tests.output import browser

pytest.importorskip("bokeh", reason="the extra 'viz' (bokeh) is not installed")

# The views of the page, depth first (BokehJS 3: Bokeh.index holds the root views).
_WALK = """
function* walk(v) { yield v; if (v.children) for (const c of v.children()) yield* walk(c) }
const views = []
for (const root of Object.values(Bokeh.index)) for (const v of walk(root)) views.push(v)
"""
# Page coordinates of data point (x, y) in the figure with model id `fig`.
_POINT_JS = _WALK + """
const [fig, x, y] = arguments
const v = views.find(v => v.model.id == fig)
const r = v.canvas_view.el.getBoundingClientRect()
return [r.left + v.frame.x_scale.compute(x), r.top + v.frame.y_scale.compute(y),
        r.left + v.frame.bbox.x0, r.left + v.frame.bbox.x1]
"""
# The text of every tooltip shown (tooltips live in the views' shadow roots).
_TOOLTIP_JS = """
const texts = []
function scan(root) {
  for (const el of root.querySelectorAll("*")) {
    if (el.shadowRoot) scan(el.shadowRoot)
    if (el.classList.contains("bk-tooltip-content") && el.offsetParent !== null)
      texts.push(el.innerText)
  }
}
scan(document)
return texts.join("\\n")
"""
_SELECTED_JS = """
const doc = Bokeh.documents[0]
return arguments[0].map(id => Array.from(doc.get_model_by_id(id).selected.indices))
"""


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    reason = browser.missing_reason()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser test: {reason}")
        pytest.skip(reason)
    with browser.chromium(width=1400, height=1400) as d:
        yield d


@pytest.fixture(scope="module", params=["canvas", "webgl"])
def page(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
         paper_system: Any) -> tuple[Path, list[ReportRun], Any]:
    from mas_sim import simulate
    from mas_sim.workload.scenario import Scenario, build_workload

    scenario = Scenario(workload="light", qos="high", requests=12, seed=3)
    workload = build_workload(paper_system, scenario)
    runs = []
    for name in ("fcfs-h", "edf-h"):
        r = simulate(paper_system, workload, name, period=scenario.period, seed=scenario.seed)
        runs.append(ReportRun(name, r.subjobs, r.jobs, r.summary))
    path = tmp_path_factory.mktemp("report") / "report.html"
    write_report(path, runs, sa_labels=paper_system.sa_labels,
                 dram_bandwidth=paper_system.dram_bandwidth, title="browser test",
                 settings={"requests": 12}, backend=request.param)
    return path, runs, paper_system


def _gantt_ids(driver: Any) -> list[str]:
    return list(driver.execute_script(_WALK + """
return views.filter(v => v.model.type == "Figure" && v.model.renderers.some(
    r => r.glyph && r.glyph.type == "HBar")).map(v => v.model.id)"""))


def _source_ids(driver: Any) -> list[str]:
    return list(driver.execute_script(_WALK + """
const ids = new Set()
for (const v of views) if (v.model.type == "GlyphRenderer" && v.model.data_source.data.job_id)
  ids.add(v.model.data_source.id)
return Array.from(ids)"""))


def _matches(pixels: np.ndarray, rgb: tuple[float, float, float], tol: float = 0.03) -> np.ndarray:
    return np.all(np.abs(pixels[..., :3] - np.asarray(rgb)) <= tol, axis=-1)


def test_report_renders_and_answers_hover_and_click(driver: Any, page: tuple[Path, list[
        ReportRun], Any], tmp_path: Path) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.actions.action_builder import ActionBuilder

    path, runs, system = page
    seconds = browser.open_and_wait(driver, path)
    assert seconds < 60
    assert browser.console_errors(driver) == []
    # Nothing but the page itself was fetched: every script and style is inline.
    assert driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)") == []

    figures = _gantt_ids(driver)
    assert len(figures) == 1  # one chart, every scheduler's lanes in it
    shot = imread(io.BytesIO(driver.get_screenshot_as_png()), format="png")
    (tmp_path / "report.png").write_bytes(driver.get_screenshot_as_png())  # for a failed run

    # Lanes and bars, on the screenshot of the first scheduler's lanes (SA i at lane 1 + i,
    # under its title row).
    sj = runs[0].subjobs
    models = sorted(set(sj["model"]))
    colors = {m: to_rgb(c) for m, c in category_colors(models).items()}  # type: ignore[arg-type]
    model_pixels = np.zeros(shot.shape[:2], dtype=bool)
    for rgb in colors.values():
        model_pixels |= _matches(shot, rgb)
    for lane in range(len(system.sa_labels)):
        _, top, x0, x1 = driver.execute_script(_POINT_JS, figures[0], 0.0, lane + 1 - 0.35)
        _, bottom, _, _ = driver.execute_script(_POINT_JS, figures[0], 0.0, lane + 1 + 0.35)
        band = model_pixels[int(min(top, bottom)):int(max(top, bottom)), int(x0):int(x1)]
        runs_on_lane = int((sj["sa"] == lane).sum())
        assert (band.sum() > 0) == (runs_on_lane > 0), f"lane {lane}: {runs_on_lane} SJs"
    seen = {m for m, rgb in colors.items() if _matches(shot, rgb).sum() > 20}
    assert seen == set(models)

    # The longest bar: its centre has its model's colour, hovering it names its request.
    bar = sj.loc[(sj["finish"] - sj["start"]).idxmax()]
    cx, cy, _, _ = driver.execute_script(_POINT_JS, figures[0],
                                         (bar["start"] + bar["finish"]) / 2e3,
                                         float(bar["sa"]) + 1)
    assert _matches(shot[int(cy) - 2:int(cy) + 3, int(cx) - 2:int(cx) + 3],
                    colors[bar["model"]]).all()
    pointer = ActionBuilder(driver)
    pointer.pointer_action.move_to_location(int(cx), int(cy))
    pointer.perform()
    text = ""
    for _ in range(100):
        text = driver.execute_script(_TOOLTIP_JS)
        if text:
            break
        time.sleep(0.05)
    assert f"{int(bar['job_id'])} (" in text, text
    assert str(bar["layer"]) in text and str(bar["model"]) in text

    # Clicking the bar selects all of its request's rows, of both schedulers, in every source.
    ActionChains(driver).click().perform()  # where the pointer is
    sources = _source_ids(driver)
    assert len(sources) == 2  # the bars and the deadline markers of both schedulers
    selected = []
    for _ in range(100):
        selected = driver.execute_script(_SELECTED_JS, sources)
        if all(selected):
            break
        time.sleep(0.05)
    job = int(bar["job_id"])
    # Rows of the sources: the first scheduler's, then the second's.
    expected = [np.flatnonzero(np.concatenate([r.subjobs["job_id"] for r in runs]) == job),
                np.flatnonzero(np.concatenate([r.jobs["job_id"] for r in runs]) == job)]
    assert len(expected[1]) == 2  # its deadline marker in each scheduler's lanes
    assert sorted(selected) == sorted(e.tolist() for e in expected)
    assert browser.console_errors(driver) == []


def test_colour_switch_recolours_by_tenant(driver: Any, page: tuple[Path, list[ReportRun], Any]
                                           ) -> None:
    path, runs, _ = page
    browser.open_and_wait(driver, path)
    sj = runs[0].subjobs
    tenants = category_colors(sorted(set(sj["tenant"].astype(int))))
    models = category_colors(sorted(set(sj["model"])))
    figure = _gantt_ids(driver)[0]
    # A wide bar whose tenant colour differs from its model colour.
    wide = sj.assign(width=sj["finish"] - sj["start"]).sort_values("width", ascending=False)
    bar = next(r for _, r in wide.iterrows()
               if to_rgb(tenants[int(r["tenant"])]) != to_rgb(models[r["model"]]))
    cx, cy, _, _ = driver.execute_script(_POINT_JS, figure, (bar["start"] + bar["finish"]) / 2e3,
                                         float(bar["sa"]) + 1)

    def centre() -> np.ndarray:
        shot = imread(io.BytesIO(driver.get_screenshot_as_png()), format="png")
        return shot[int(cy) - 1:int(cy) + 2, int(cx) - 1:int(cx) + 2]

    assert _matches(centre(), to_rgb(models[bar["model"]])).all()
    # The switch's model changes as a click would change it; the page's glue does the rest.
    driver.execute_script("""
const doc = Bokeh.documents[0]
for (const m of doc.all_models) if (m.type == "RadioButtonGroup") m.active = 1""")
    for _ in range(100):
        if _matches(centre(), to_rgb(tenants[int(bar["tenant"])])).all():
            break
        time.sleep(0.05)
    assert _matches(centre(), to_rgb(tenants[int(bar["tenant"])])).all()
    assert browser.console_errors(driver) == []
