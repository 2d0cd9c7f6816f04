"""Interactive Gantt chart of one run or of several schedulers on the same workload (Bokeh).

Layout, per run: a Gantt figure with one lane per sub-accelerator (SA), one bar per executed
sub-job (SJ; red edge if its request missed its deadline or was dropped), and a ``deadlines``
lane with one marker per request at its deadline (grey: met, red: missed, black: dropped; a
missed request also gets a red line from its deadline to its finish); under it a DRAM lane, the
stall-free bandwidth demand ``D(t)`` of the running SJs (the sum of their stall-free
bandwidths, GB/s = bytes per cycle at 1 GHz) against the shared bandwidth ``B`` (dashed): where
``D > B`` every running SJ is slowed to ``B / D`` of its speed.

Interaction, all done by BokehJS (the only JavaScript here is the glue of :data:`_COLOR_JS`
and :data:`_SELECT_JS`): hovering a bar shows its request id, tenant, model, layer, start,
finish, stall-free latency, the stall it suffered (``finish - start - latency``), its
bandwidth, the request's deadline and status; bars are coloured by model or tenant (a switch
above the charts; colours are those of the static chart,
:func:`mas_sim.output.plots.category_colors`);
zoom and pan (x only) are linked across every figure of a comparison, which share one x range;
clicking a bar or a deadline marker selects the request in every run and dims everything else,
with its deadline as a dashed line across the lanes.

Why Bokeh rather than Plotly: Bokeh draws tens of thousands of bars (``hbar``) on a canvas,
with level-of-detail decimation while zooming and panning (a tenth of the bars until the
gesture ends, then all of them), or with WebGL (``backend="webgl"``); plotly's bars are SVG
elements, one per bar, and its WebGL traces are points and lines. Linked ranges across
figures, tap selection shared between data sources and a self-contained HTML file with the
library inlined (:mod:`mas_sim.output.report`) are built in, and the inlined library is much
smaller than plotly.js. The canvas is the default because WebGL is only fast with a GPU: in
a browser without one (headless Chromium, a remote desktop) it falls back to software
rendering, which draws the same bars far more slowly than the canvas (see
``benchmarks/bench_report.py``).

Inputs are the result tables of docs/architecture.md section 4 (times in cycles of the 1 GHz
clock); the x axis is in microseconds. The data go into the page as typed binary arrays
(float64 times, float32 costs), strings only for names (tenant, model, layer, status).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
from matplotlib.colors import to_hex

from mas_sim.core.errors import ConfigError, MissingExtraError
from mas_sim.output.plots import category_colors
from mas_sim.output.tables import JOB_COLUMNS, SUBJOB_COLUMNS, require_columns, require_statuses

if TYPE_CHECKING:
    from bokeh.models import ColumnDataSource, LayoutDOM, Range1d, Tool
    from bokeh.models.annotations import Span

CYCLES_PER_US = 1000.0
"""Cycles of the 1 GHz clock in one microsecond (the x unit)."""
LANE_HEIGHT_PX = 34
"""Height of one SA lane in pixels."""
DRAM_HEIGHT_PX = 130
"""Height of the DRAM-bandwidth figure in pixels."""
LEFT_BORDER_PX = 130
"""Left border of every figure, wide enough for the SA labels, so that the Gantt and the DRAM
lane (whose y labels are short) start their x axes at the same pixel."""
BACKENDS = ("canvas", "webgl")
"""How the Gantt bars are drawn (Bokeh's ``output_backend``)."""
BAR_HEIGHT = 0.8
"""Height of a bar, in lane units."""
STATUS_COLORS: dict[str, str] = {"met": "#7f7f7f", "missed": "#d62728", "dropped": "#000000"}
"""Colour of a request's deadline marker by status."""
DEADLINE_LANE = "deadlines"
"""Label of the lane of deadline markers."""
TICK_FORMAT = "0,0.[00]"
"""Numeral.js format of the time axis: thousands separators, never an exponent."""

SUBJOB_TOOLTIPS = [
    ("request", "@job_id (@status)"),
    ("tenant", "@tenant (priority @priority)"),
    ("model", "@model"),
    ("layer", "@layer on @sa_label"),
    ("start, finish", "@start{0,0.00} us, @finish{0,0.00} us"),
    ("stall-free latency", "@latency{0,0.00} us"),
    ("stall", "@stall{0,0.00} us"),
    ("bandwidth", "@bandwidth{0.00} GB/s"),
    ("deadline", "@deadline{0,0.00} us"),
]
"""Hover text of a bar (Bokeh tooltip fields; times in us, bandwidth in GB/s)."""
REQUEST_TOOLTIPS = [
    ("request", "@job_id (@status)"),
    ("tenant", "@tenant (priority @priority)"),
    ("model", "@model"),
    ("arrival", "@arrival{0,0.00} us"),
    ("deadline", "@deadline{0,0.00} us"),
    ("finish", "@finish{0,0.00} us"),
]
"""Hover text of a deadline marker."""

# Glue: colour the bars by the chosen column (its colour mapper) and show its legend. One
# renderer per chart whose colour changes, rather than one per colouring: BokehJS builds the
# spatial index and draw buffers of every renderer, so two would double the page's load time.
_COLOR_JS = """
const key = cb_obj.active == 0 ? "model" : "tenant"
for (const r of bars)
  for (const g of [r.glyph, r.selection_glyph, r.nonselection_glyph])
    g.fill_color = {field: key, transform: mappers[key]}
for (const l of legends.model) l.visible = key == "model"
for (const l of legends.tenant) l.visible = key == "tenant"
"""

# Glue: selecting bars or markers of a request selects all of that request's rows in every
# source (the guard stops the change events this triggers), and marks its deadline.
_SELECT_JS = """
const idx = source.selected.indices
const job = idx.length > 0 ? source.data.job_id[idx[0]] : null
for (const s of sources) {
  const ids = s.data.job_id, want = []
  if (job !== null) for (let i = 0; i < ids.length; i++) if (ids[i] == job) want.push(i)
  const have = s.selected.indices
  if (have.length != want.length || have.some((v, k) => v != want[k])) s.selected.indices = want
}
for (const span of spans) {
  span.visible = job !== null
  if (job !== null) span.location = source.data.deadline[idx[0]]
}
"""


@dataclass(frozen=True)
class GanttRun:
    """One run to draw: a name (the scheduler's), its sub-job trace and its job table."""

    name: str
    subjobs: pd.DataFrame
    jobs: pd.DataFrame | None = None


def have_bokeh() -> bool:
    """Whether the extra ``viz`` (Bokeh) is installed."""
    try:
        import bokeh  # noqa: F401
    except ImportError:
        return False
    return True


def require_bokeh(feature: str = "the interactive Gantt chart") -> None:
    """Raise :class:`MissingExtraError` if Bokeh is missing."""
    if not have_bokeh():
        raise MissingExtraError(feature, "viz", "bokeh")


BOKEH_COMPONENTS = ["bokeh", "bokeh-gl", "bokeh-widgets"]
"""The BokehJS bundles the charts use (core, WebGL for ``backend="webgl"``, the colour switch);
tables and MathJax are left out of pages."""


def html_parts(layout: LayoutDOM) -> tuple[str, str]:
    """``(head, body)`` HTML of a Bokeh layout with BokehJS inlined: ``head`` holds the
    library's scripts and styles, ``body`` the layout's div and the script that renders it."""
    from bokeh.embed import components
    from bokeh.resources import Resources

    script, div = components(layout)
    resources = Resources(mode="inline", components=cast(Any, BOKEH_COMPONENTS))
    return resources.render_css() + resources.render_js(), div + script


def layout_height(layout: LayoutDOM) -> int:
    """The pixel height of a :func:`gantt_layout` (its figures plus the controls)."""
    from bokeh.plotting import figure

    return 90 + sum(int(f.height) for f in layout.select({"type": figure}))


class InteractiveGantt:
    """A Bokeh layout that shows itself inline in a Jupyter notebook.

    ``layout`` is the Bokeh model (``bokeh.io.show(chart.layout)`` uses Bokeh's own notebook
    output, ``bokeh.io.save`` writes it). In a notebook the chart shows as a self-contained
    page in an iframe (BokehJS inlined: it needs no network, no notebook extension, and works
    in JupyterLab, classic Jupyter and VS Code alike), at the cost of carrying BokehJS in each
    displayed chart of a saved notebook.
    """

    def __init__(self, layout: LayoutDOM) -> None:
        self.layout = layout

    def _repr_html_(self) -> str:
        head, body = html_parts(self.layout)
        page = (f'<!DOCTYPE html><html><head><meta charset="utf-8">{head}</head>'
                f'<body style="margin:0">{body}</body></html>')
        return (f'<iframe srcdoc="{html.escape(page, quote=True)}" style="width:100%; '
                f'height:{layout_height(self.layout)}px; border:0"></iframe>')

    def __repr__(self) -> str:
        return "<InteractiveGantt: display it in a notebook, or write it with write_report>"


def _check_runs(runs: Sequence[GanttRun], sa_labels: Sequence[str], color_by: str) -> None:
    if color_by not in ("model", "tenant"):
        raise ConfigError(f"interactive gantt: color_by = {color_by!r}, expected 'model' or "
                          f"'tenant'")
    if not runs:
        raise ConfigError("interactive gantt: no runs, expected at least one")
    m = len(sa_labels)
    for run in runs:
        require_columns(run.subjobs, SUBJOB_COLUMNS, f"sub-job trace of {run.name}")
        if run.jobs is not None:
            require_columns(run.jobs, JOB_COLUMNS, f"job table of {run.name}")
            require_statuses(run.jobs)
        sa = run.subjobs["sa"]
        if len(sa) and (sa.min() < 0 or sa.max() >= m):
            raise ConfigError(f"interactive gantt: {run.name}: SA indices {sorted(set(sa))} out "
                              f"of range, expected 0..{m - 1} ({m} SA labels)")


def _us(values: pd.Series | np.ndarray, dtype: type = np.float64) -> np.ndarray:
    return (np.asarray(values, dtype=np.float64) / CYCLES_PER_US).astype(dtype)


def _job_info(jobs: pd.DataFrame | None, job_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Status and priority of each of ``job_ids`` (``met`` and -1 where the job table has none)."""
    status = pd.Series("met", index=pd.unique(job_ids), dtype=object)
    priority = pd.Series(-1, index=status.index, dtype=np.int64)
    if jobs is not None:
        ids = jobs["job_id"].astype(int).to_numpy()
        status.update(pd.Series(jobs["status"].astype(str).to_numpy(), index=ids))
        if "priority" in jobs:
            priority.update(pd.Series(jobs["priority"].astype(int).to_numpy(), index=ids))
    return (status.reindex(job_ids).astype(str).to_numpy(),
            priority.reindex(job_ids).to_numpy(np.int16))


def subjob_data(subjobs: pd.DataFrame, jobs: pd.DataFrame | None,
                sa_labels: Sequence[str]) -> dict[str, Any]:
    """The columns of the bars' data source (times in us, bandwidth in GB/s)."""
    job = subjobs["job_id"].astype(int).to_numpy()
    status, priority = _job_info(jobs, job)
    start = subjobs["start"].to_numpy(np.float64)
    finish = subjobs["finish"].to_numpy(np.float64)
    latency = subjobs["latency_cycles"].to_numpy(np.float64)
    labels = np.asarray([str(s) for s in sa_labels], dtype=object)
    sa = subjobs["sa"].astype(int).to_numpy()
    return {
        "lane": sa.astype(np.int8 if len(labels) < 128 else np.int32),
        "start": _us(start), "finish": _us(finish),
        "job_id": job.astype(np.int32),
        "tenant": subjobs["tenant"].astype(int).astype(str).to_list(),
        "priority": priority,
        "model": subjobs["model"].astype(str).to_list(),
        "layer": subjobs["layer"].astype(str).to_list(),
        "sa_label": labels[sa].tolist() if len(sa) else [],
        "latency": _us(latency, np.float32),
        "stall": _us(np.maximum(finish - start - latency, 0.0), np.float32),
        "bandwidth": subjobs["bandwidth_bytes_per_cycle"].to_numpy(np.float32),
        "deadline": _us(subjobs["deadline"]),
        "status": status.tolist(),
    }


def request_data(jobs: pd.DataFrame, lane: int) -> dict[str, Any]:
    """The columns of the deadline markers' data source (one row per request, times in us)."""
    status = jobs["status"].astype(str)
    finish = jobs["finish"].to_numpy(np.float64)
    deadline = jobs["deadline"].to_numpy(np.float64)
    late = (status == "missed").to_numpy() & np.isfinite(finish)
    return {
        "lane": np.full(len(jobs), lane, dtype=np.int32),
        "job_id": jobs["job_id"].astype(int).to_numpy(np.int32),
        "tenant": jobs["tenant"].astype(int).astype(str).to_list(),
        "priority": (jobs["priority"].astype(int).to_numpy(np.int16) if "priority" in jobs
                     else np.full(len(jobs), -1, dtype=np.int16)),
        "model": jobs["model"].astype(str).to_list(),
        "arrival": _us(jobs["arrival"]), "deadline": _us(deadline),
        # A missed request's line runs from its deadline to its finish; others have none.
        "finish": _us(np.where(np.isfinite(finish), finish, np.nan)),
        "late_end": _us(np.where(late, finish, deadline)),
        "status": status.to_list(),
        "color": [STATUS_COLORS[s] for s in status],
    }


def dram_demand(subjobs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The stall-free bandwidth demand of the running SJs as a step function.

    Returns ``(t, d)``, ``t`` in cycles: the demand is ``d[k]`` on ``[t[k], t[k+1])`` (bytes
    per cycle), 0 before ``t[0]`` and from ``t[-1]`` on. Starts and finishes at the same cycle
    are merged, so a step is never zero wide."""
    if not len(subjobs):
        return np.empty(0), np.empty(0)
    bw = subjobs["bandwidth_bytes_per_cycle"].to_numpy(np.float64)
    t = np.concatenate((subjobs["start"].to_numpy(np.float64),
                        subjobs["finish"].to_numpy(np.float64)))
    delta = np.concatenate((bw, -bw))
    times, inverse = np.unique(t, return_inverse=True)
    d = np.cumsum(np.bincount(inverse, weights=delta, minlength=len(times)))
    d[np.abs(d) < 1e-9 * max(float(bw.max()), 1.0)] = 0.0  # cancellation leftovers
    return times, d


def _palette(values: Sequence[str], color_by: str) -> tuple[list[str], list[str]]:
    """Factors and hex colours, as in the static chart (tenants sorted as numbers)."""
    keys = sorted({int(v) for v in values}) if color_by == "tenant" else sorted(set(values))
    colors = category_colors(keys)
    return [str(k) for k in keys], [to_hex(colors[k]) for k in keys]


def _tools() -> list[Tool]:
    """Tools of every figure, time only (the lanes are fixed): pan, wheel zoom (second, made
    the active scroll tool of the Gantt), box zoom, reset, save; tap and hover are added per
    figure."""
    from bokeh.models import BoxZoomTool, PanTool, ResetTool, SaveTool, WheelZoomTool

    return [PanTool(dimensions="width"), WheelZoomTool(dimensions="width"),
            BoxZoomTool(dimensions="width"), ResetTool(), SaveTool()]


@dataclass
class _Figures:
    """The Bokeh objects of one run that the glue needs."""

    gantt: Any
    dram: Any
    bars: Any
    legends: dict[str, Any]
    sources: list[ColumnDataSource]
    spans: list[Span]


def _time_range(runs: Sequence[GanttRun]) -> tuple[float, float]:
    """The x range in us covering every run's SJs and deadline marks."""
    lo, hi = 0.0, 0.0
    for run in runs:
        cols = [run.subjobs["finish"].to_numpy(np.float64)]
        if run.jobs is not None:
            cols += [run.jobs["deadline"].to_numpy(np.float64),
                     run.jobs["finish"].to_numpy(np.float64)]
        ends = np.concatenate(cols)
        ends = ends[np.isfinite(ends)]
        if len(ends):
            hi = max(hi, float(ends.max()))
        if len(run.subjobs):
            lo = min(lo, float(run.subjobs["start"].min()))
    hi = hi if hi > lo else lo + 1.0
    return lo / CYCLES_PER_US, hi / CYCLES_PER_US


def _title(run: GanttRun) -> str:
    n_sj = len(run.subjobs)
    if run.jobs is None:
        return f"{run.name}: {run.subjobs['job_id'].nunique()} requests, {n_sj} sub-jobs"
    n = run.jobs["status"].value_counts()
    sla = n.get("met", 0) / max(len(run.jobs), 1)
    return (f"{run.name}: SLA {sla:.1%} of {len(run.jobs)} requests ({n.get('met', 0)} met, "
            f"{n.get('missed', 0)} missed, {n.get('dropped', 0)} dropped), {n_sj} sub-jobs")


def _run_figures(run: GanttRun, labels: list[str], x_range: Range1d, dram_bandwidth: float,
                 mappers: Mapping[str, Any], color_by: str, backend: str) -> _Figures:
    from bokeh.models import ColumnDataSource, HoverTool, NumeralTickFormatter, Range1d, TapTool
    from bokeh.models.annotations import Legend, LegendItem, Span
    from bokeh.plotting import figure
    from bokeh.transform import factor_cmap, transform

    m = len(labels)
    lanes = [*labels, DEADLINE_LANE] if run.jobs is not None else labels
    source = ColumnDataSource(subjob_data(run.subjobs, run.jobs, labels))
    gantt = figure(title=_title(run), x_range=x_range,
                   y_range=Range1d(start=len(lanes) - 0.5, end=-0.5, bounds="auto"),
                   height=LANE_HEIGHT_PX * len(lanes) + 110, sizing_mode="stretch_width",
                   tools=_tools(), output_backend=backend, min_border_left=LEFT_BORDER_PX,
                   min_border_right=20, x_axis_label="time (us)")
    gantt.xaxis.formatter = NumeralTickFormatter(format=TICK_FORMAT)
    gantt.yaxis.ticker = list(range(len(lanes)))
    gantt.yaxis.major_label_overrides = dict(enumerate(lanes))
    gantt.ygrid.grid_line_color = None
    gantt.toolbar.active_scroll = gantt.tools[1]  # x wheel zoom (see _tools)
    gantt.toolbar.logo = None

    bars: dict[str, Any] = {"y": "lane", "left": "start", "right": "finish", "height": BAR_HEIGHT,
            "source": source, "line_width": 1.2, "nonselection_fill_alpha": 0.15,
            "nonselection_line_alpha": 0.15, "selection_line_color": "black",
            "line_color": factor_cmap("status", ["#00000000", "#d62728", "#d62728"],
                                      ["met", "missed", "dropped"])}
    r = gantt.hbar(fill_color=transform(color_by, mappers[color_by]), **bars)
    # Legend swatches drawn from a bar of a met request (no red edge) where there is one.
    status = source.data["status"]
    legends: dict[str, Any] = {}
    for key in ("model", "tenant"):
        first: dict[str, int] = {}
        for i, v in enumerate(source.data[key]):
            if v not in first or (status[i] == "met" != status[first[v]]):
                first[v] = i
        items = [LegendItem(label=f"tenant {f}" if key == "tenant" else f, renderers=[r],
                            index=first[f]) for f in mappers[key].factors if f in first]
        legends[key] = Legend(items=items, orientation="horizontal", location="top_left",
                              click_policy="none", label_text_font_size="8pt", spacing=8,
                              padding=2, margin=2, border_line_alpha=0,
                              visible=key == color_by)
        gantt.add_layout(legends[key], "above")
    targets = [r]
    sources = [source]
    span = Span(location=0, dimension="height", line_color="#d62728", line_dash="dashed",
                line_width=1.5, visible=False)
    gantt.add_layout(span)
    gantt.add_tools(HoverTool(renderers=targets, tooltips=SUBJOB_TOOLTIPS,
                              point_policy="follow_mouse"))

    if run.jobs is not None:
        req = ColumnDataSource(request_data(run.jobs, m))
        gantt.segment(x0="deadline", x1="late_end", y0="lane", y1="lane", source=req,
                      line_color="#d62728", line_width=2)
        marks = gantt.scatter(x="deadline", y="lane", source=req, marker="inverted_triangle",
                              size=9, fill_color="color", line_color="color",
                              nonselection_fill_alpha=0.15, nonselection_line_alpha=0.15,
                              selection_line_color="black")
        gantt.add_tools(HoverTool(renderers=[marks], tooltips=REQUEST_TOOLTIPS))
        targets.append(marks)
        sources.append(req)
    gantt.add_tools(TapTool(renderers=targets))

    times, d = dram_demand(run.subjobs)
    peak = max(float(d.max()) if len(d) else 0.0, dram_bandwidth) * 1.08
    dram = figure(x_range=x_range, y_range=Range1d(start=0, end=peak, bounds="auto"),
                  height=DRAM_HEIGHT_PX, sizing_mode="stretch_width", tools=_tools(),
                  min_border_left=LEFT_BORDER_PX, min_border_right=20,
                  y_axis_label="GB/s", title=None)
    dram.toolbar.logo = None
    dram.xaxis.formatter = NumeralTickFormatter(format=TICK_FORMAT)
    # Step glyphs: one point per change of the demand (a polyline would need two).
    dram_src = ColumnDataSource({"t": _us(times), "demand": d.astype(np.float32)})
    dram.varea_step(x="t", y1=0, y2="demand", step_mode="after", source=dram_src,
                    fill_color="#1f77b4", fill_alpha=0.3)
    line = dram.step(x="t", y="demand", mode="after", source=dram_src, line_color="#1f77b4",
                     line_width=1)
    limit = dram.line(x=[x_range.start, x_range.end], y=[dram_bandwidth] * 2,
                      line_color="#d62728", line_dash="dashed", line_width=1.5)
    dram.add_layout(Legend(items=[
        LegendItem(label="stall-free demand D(t)", renderers=[line]),
        LegendItem(label=f"DRAM bandwidth B = {dram_bandwidth:g} GB/s", renderers=[limit])],
        location="top_left", orientation="horizontal", label_text_font_size="8pt",
        background_fill_alpha=0.6, border_line_alpha=0, padding=2, margin=2))
    dram_span = Span(location=0, dimension="height", line_color="#d62728", line_dash="dashed",
                     line_width=1.5, visible=False)
    dram.add_layout(dram_span)
    return _Figures(gantt, dram, r, legends, sources,
                    [span, dram_span])


def gantt_layout(runs: Sequence[GanttRun], *, sa_labels: Sequence[str], dram_bandwidth: float,
                 color_by: str = "model", backend: str = "canvas") -> LayoutDOM:
    """The Bokeh layout of ``runs`` (one Gantt and one DRAM lane each, in order) under a
    colour switch; every figure shares one x range.

    ``sa_labels[i]`` names SA ``i``; ``dram_bandwidth`` is ``B`` in bytes per cycle (GB/s);
    ``color_by`` is the initial colouring (``model`` or ``tenant``). Colours are the same
    across runs. ``backend`` draws the Gantt bars on a ``canvas`` or with ``webgl`` (module
    docstring). Raises :class:`MissingExtraError` without Bokeh and :class:`ConfigError` on
    missing columns, bad statuses, unlabelled SAs, a bad ``color_by`` or ``backend``.
    """
    require_bokeh()
    _check_runs(runs, sa_labels, color_by)
    if backend not in BACKENDS:
        raise ConfigError(f"interactive gantt: backend = {backend!r}, expected one of "
                          f"{list(BACKENDS)}")
    from bokeh.layouts import column
    from bokeh.models import CategoricalColorMapper, CustomJS, Range1d
    from bokeh.models.widgets import Div, RadioButtonGroup

    labels = [str(s) for s in sa_labels]
    lo, hi = _time_range(runs)
    pad = 0.01 * (hi - lo)
    x_range = Range1d(start=lo - pad, end=hi + pad, bounds=(lo - pad, hi + pad))
    every = pd.concat([r.subjobs[["model", "tenant"]] for r in runs])
    mappers = {key: CategoricalColorMapper(factors=factors, palette=palette)
               for key, (factors, palette) in (
                   ("model", _palette(every["model"].astype(str).tolist(), "model")),
                   ("tenant", _palette(every["tenant"].astype(int).astype(str).tolist(),
                                       "tenant")))}
    figs = [_run_figures(r, labels, x_range, float(dram_bandwidth), mappers, color_by, backend)
            for r in runs]

    switch = RadioButtonGroup(labels=["colour by model", "colour by tenant"],
                              active=0 if color_by == "model" else 1)
    switch.js_on_change("active", CustomJS(
        args={"bars": [f.bars for f in figs], "mappers": mappers,
              "legends": {k: [f.legends[k] for f in figs] for k in mappers}},
        code=_COLOR_JS))
    sources = [s for f in figs for s in f.sources]
    spans = [s for f in figs for s in f.spans]
    for s in sources:
        s.selected.js_on_change("indices", CustomJS(
            args={"source": s, "sources": sources, "spans": spans}, code=_SELECT_JS))
    help_text = Div(text="Hover a bar for its sub-job; click one to select its request in every "
                         "chart (click empty space to clear); drag to pan, wheel or box to zoom "
                         "(time only, linked across charts).", styles={"font-size": "12px"})
    children: list[Any] = [switch, help_text]
    for f in figs:
        children += [f.gantt, f.dram]
    return column(children, sizing_mode="stretch_width")


def interactive_gantt(subjobs: pd.DataFrame, jobs: pd.DataFrame | None = None, *,
                      sa_labels: Sequence[str], dram_bandwidth: float, name: str = "run",
                      color_by: str = "model", backend: str = "canvas") -> InteractiveGantt:
    """The interactive chart of one run (see :func:`gantt_layout`)."""
    return InteractiveGantt(gantt_layout([GanttRun(name, subjobs, jobs)], sa_labels=sa_labels,
                                         dram_bandwidth=dram_bandwidth, color_by=color_by,
                                         backend=backend))


def interactive_comparison(runs: Mapping[str, tuple[pd.DataFrame, pd.DataFrame | None]], *,
                           sa_labels: Sequence[str], dram_bandwidth: float,
                           color_by: str = "model", backend: str = "canvas") -> InteractiveGantt:
    """The charts of several runs of one workload, zoom and pan linked (see
    :func:`gantt_layout`); ``runs`` maps a name to ``(subjobs, jobs)``."""
    return InteractiveGantt(gantt_layout([GanttRun(n, s, j) for n, (s, j) in runs.items()],
                                         sa_labels=sa_labels, dram_bandwidth=dram_bandwidth,
                                         color_by=color_by, backend=backend))
