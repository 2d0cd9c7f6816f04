"""Interactive Gantt chart of one run or of several schedulers on the same workload (Bokeh).

Layout: one chart (one Bokeh figure) holding every run, top to bottom. Each run has a title
row (its SLA and counts), one lane per sub-accelerator (SA) with one bar per executed sub-job
(SJ; red edge if its request missed its deadline or was dropped), a ``deadlines`` lane with one
marker per request at its deadline (grey: met, red: missed, black: dropped; a missed request
also gets a red line from its deadline to its finish), and a DRAM lane: the stall-free
bandwidth demand ``D(t)`` of the running SJs (the sum of their stall-free bandwidths, GB/s =
bytes per cycle at 1 GHz) against the shared bandwidth ``B`` (dashed), shaded where ``D > B``
(there every running SJ is slowed to ``B / D`` of its speed). The DRAM lanes of all runs share
one scale (0 to the highest demand of any run). Legends and the key sit above the chart as
HTML.

Interaction, all done by BokehJS (the only JavaScript here is the glue of :data:`_COLOR_JS`
and :data:`_SELECT_JS`): hovering a bar shows its request id, tenant, model, layer, start,
finish, stall-free latency, the stall it suffered (``finish - start - latency``), its
bandwidth, the request's deadline and status; bars are coloured by model or tenant (a switch
above the charts; colours are those of the static chart,
:func:`mas_sim.output.plots.category_colors`);
zoom and pan (x only; the wheel zooms with Ctrl held, so that it scrolls the page otherwise)
apply to every run at once, as they share the chart's time axis; clicking a bar or a deadline
marker selects the request in every run and dims everything else, with its deadline as a dashed
line across the lanes.

Why Bokeh rather than Plotly: Bokeh draws tens of thousands of bars (``hbar``) on a canvas,
with level-of-detail decimation while zooming and panning (a tenth of the bars until the
gesture ends, then all of them), or with WebGL (``backend="webgl"``); plotly's bars are SVG
elements, one per bar, and its WebGL traces are points and lines. Shared ranges, tap
selection shared between data sources and a self-contained HTML file with the
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
    from bokeh.models import ColumnDataSource, LayoutDOM, Tool
    from bokeh.models.annotations import Span

CYCLES_PER_US = 1000.0
"""Cycles of the 1 GHz clock in one microsecond (the x unit)."""
LANE_HEIGHT_PX = 30
"""Height of one lane of the chart in pixels."""
DRAM_LANES = 2.5
"""Height of a run's DRAM lane, in lanes."""
GAP_LANES = 0.5
"""Space between two runs' groups of lanes, in lanes."""
CHART_BORDERS_PX = 100
"""Height of the chart around its lanes: the toolbar and a time axis above, a time axis and its
label below."""
CONTROLS_PX = 180
"""Height of what sits above the chart: the colour switch, the help line, the legend and the
key (room for their lines to wrap in a narrow notebook)."""
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
    ("layer", "@layer on @sa_label (@run)"),
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
    """The pixel height of a :func:`gantt_layout`: its chart's frame, the borders around it
    (toolbar and time axes) and the controls above."""
    from bokeh.plotting import figure

    return sum(int(f.frame_height) + CHART_BORDERS_PX for f in layout.select({"type": figure})
               ) + CONTROLS_PX


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


def subjob_data(subjobs: pd.DataFrame, jobs: pd.DataFrame | None, sa_labels: Sequence[str],
                *, name: str = "run", first: float = 0.0) -> dict[str, Any]:
    """The columns of the bars' data source (times in us, bandwidth in GB/s): ``lane`` is the
    bar's lane in the chart (``first`` plus its SA index), ``run`` the run's ``name``."""
    job = subjobs["job_id"].astype(int).to_numpy()
    status, priority = _job_info(jobs, job)
    start = subjobs["start"].to_numpy(np.float64)
    finish = subjobs["finish"].to_numpy(np.float64)
    latency = subjobs["latency_cycles"].to_numpy(np.float64)
    labels = np.asarray([str(s) for s in sa_labels], dtype=object)
    sa = subjobs["sa"].astype(int).to_numpy()
    return {
        "lane": (first + sa).astype(np.float32),
        "start": _us(start), "finish": _us(finish),
        "job_id": job.astype(np.int32),
        "run": [name] * len(job),
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


def request_data(jobs: pd.DataFrame, lane: float) -> dict[str, Any]:
    """The columns of the deadline markers' data source (one row per request, times in us),
    on the chart's lane ``lane``."""
    status = jobs["status"].astype(str)
    finish = jobs["finish"].to_numpy(np.float64)
    deadline = jobs["deadline"].to_numpy(np.float64)
    late = (status == "missed").to_numpy() & np.isfinite(finish)
    return {
        "lane": np.full(len(jobs), lane, dtype=np.float32),
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


@dataclass(frozen=True)
class _Group:
    """Where one run sits in the chart, in lane units (y grows downwards): its title row, its
    first SA lane, its deadline lane (None without a job table) and its DRAM band (0 GB/s at
    ``dram_base``, the common peak ``DRAM_LANES`` higher)."""

    header: float
    first: float
    deadlines: float | None
    dram_base: float

    @staticmethod
    def stack(runs: Sequence[GanttRun], m: int) -> list[_Group]:
        """The groups of ``runs`` (``m`` SAs each), top to bottom."""
        groups, top = [], 0.0
        for run in runs:
            last = top + m + (1 if run.jobs is not None else 0)
            groups.append(_Group(top, top + 1, last if run.jobs is not None else None,
                                 last + 0.6 + DRAM_LANES))
            top = last + 0.6 + DRAM_LANES + GAP_LANES
        return groups


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


def _title(run: GanttRun, peak: float) -> str:
    n_sj = len(run.subjobs)
    dram = f"peak DRAM demand {peak:.3g} GB/s"
    if run.jobs is None:
        return (f"{run.name}: {run.subjobs['job_id'].nunique()} requests, {n_sj} sub-jobs, "
                f"{dram}")
    n = run.jobs["status"].value_counts()
    sla = n.get("met", 0) / max(len(run.jobs), 1)
    return (f"{run.name}: SLA {sla:.1%} of {len(run.jobs)} requests ({n.get('met', 0)} met, "
            f"{n.get('missed', 0)} missed, {n.get('dropped', 0)} dropped), {n_sj} sub-jobs, "
            f"{dram}")


def _concat(parts: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Column-wise concatenation of data-source dicts with the same keys."""
    out: dict[str, Any] = {}
    for key in parts[0]:
        cols = [p[key] for p in parts]
        out[key] = (np.concatenate(cols) if isinstance(cols[0], np.ndarray)
                    else [v for c in cols for v in c])
    return out


def _dram_data(runs: Sequence[GanttRun], groups: Sequence[_Group], dram_bandwidth: float,
               ) -> tuple[dict[str, Any], dict[str, Any], list[float], float]:
    """The DRAM lanes: the demand steps of every run (y in lane units, one NaN row between
    runs so that one step glyph draws them all), the intervals where the demand exceeds B,
    each run's highest demand, and the common scale (GB/s) that the band's height stands for
    (the highest demand of any run, or B, and a margin)."""
    demands = [dram_demand(run.subjobs) for run in runs]
    highest = [float(d.max()) if len(d) else 0.0 for _, d in demands]
    peak = max([dram_bandwidth, *highest]) * 1.05
    steps: list[dict[str, Any]] = []
    over: list[dict[str, Any]] = []
    for (t, d), g in zip(demands, groups, strict=True):
        steps.append({"t": np.append(_us(t), np.nan),
                      "y": np.append(g.dram_base - d / peak * DRAM_LANES, np.nan)})
        # Intervals where D > B, consecutive steps merged into one.
        above = np.concatenate(([False], d[:-1] > dram_bandwidth, [False]))
        edges = np.flatnonzero(np.diff(above.astype(np.int8)))
        over.append({"left": _us(t[edges[0::2]]), "right": _us(t[edges[1::2]]),
                     "y": np.full(len(edges) // 2, g.dram_base - DRAM_LANES / 2)})
    return _concat(steps), _concat(over), highest, peak


def _axis_ticks(runs: Sequence[GanttRun], groups: Sequence[_Group], labels: Sequence[str],
                dram_bandwidth: float, peak: float) -> dict[float, str]:
    """The y ticks and their labels: each run's name on its title row, its SA lanes, its
    deadline lane, and on its DRAM band B and the band's top (the common peak, left out where
    it would overlap B's label)."""
    ticks: dict[float, str] = {}
    for run, g in zip(runs, groups, strict=True):
        ticks[g.header] = run.name
        ticks.update({g.first + i: label for i, label in enumerate(labels)})
        if g.deadlines is not None:
            ticks[g.deadlines] = DEADLINE_LANE
        b = dram_bandwidth / peak * DRAM_LANES
        ticks[g.dram_base - b] = f"B {dram_bandwidth:g} GB/s"
        if DRAM_LANES - b >= 0.5:
            ticks[g.dram_base - DRAM_LANES] = f"DRAM {peak:.3g} GB/s"
    return ticks


def _tools() -> list[Tool]:
    """Tools of the chart, time only (the lanes are fixed): pan, wheel zoom with Ctrl (the
    wheel alone scrolls the page; a pinch on a touchpad sends Ctrl), box zoom, reset, save;
    tap and hover are added with their renderers."""
    from bokeh.models import BoxZoomTool, PanTool, ResetTool, SaveTool, WheelZoomTool

    return [PanTool(dimensions="width"), WheelZoomTool(dimensions="width", modifiers="ctrl"),
            BoxZoomTool(dimensions="width"), ResetTool(), SaveTool()]


def _legend(mapper: Any, key: str, visible: bool) -> Any:
    """The swatches of one colouring as an HTML block above the chart (a Bokeh ``Legend``
    would be measured in the page after the first paint, and paint the chart a second time)."""
    from bokeh.models.widgets import Div

    items = "".join(
        f'<span style="white-space:nowrap; margin-right:12px"><span style="display:inline-block;'
        f' width:11px; height:11px; background:{color}; vertical-align:-1px"></span> '
        f'{html.escape(f"tenant {f}" if key == "tenant" else f)}</span>'
        for f, color in zip(mapper.factors, mapper.palette, strict=True))
    return Div(text=items, visible=visible, styles={"font-size": "12px"})


def _key(dram_bandwidth: float) -> Any:
    """What the marks of the chart mean, as an HTML block."""
    from bokeh.models.widgets import Div

    def swatch(style: str) -> str:
        return f'<span style="display:inline-block; width:18px; height:0; {style}"></span>'

    return Div(text=(
        f"Red edge: a sub-job of a missed or dropped request. Deadlines: "
        f'<span style="color:{STATUS_COLORS["met"]}">&#9660;</span> met, '
        f'<span style="color:{STATUS_COLORS["missed"]}">&#9660;</span> missed (a red line to '
        f'its finish), <span style="color:{STATUS_COLORS["dropped"]}">&#9660;</span> dropped. '
        f"DRAM lane: {swatch('border-top:2px solid #1f77b4')} stall-free demand D(t) of the "
        f"running sub-jobs, {swatch('border-top:2px dashed #d62728')} bandwidth B = "
        f"{dram_bandwidth:g} GB/s, "
        f'<span style="background:rgba(214,39,40,0.15)">&nbsp;shaded&nbsp;</span> where D &gt; B '
        f"(every running sub-job slowed to B/D of its speed)."), styles={"font-size": "12px"})


def _chart(runs: Sequence[GanttRun], labels: list[str], dram_bandwidth: float,
           mappers: Mapping[str, Any], color_by: str, backend: str) -> tuple[Any, Any]:
    """The figure of ``runs`` (one group of lanes each) and its bar renderer."""
    from bokeh.models import (
        ColumnDataSource,
        FixedTicker,
        HoverTool,
        LabelSet,
        LinearAxis,
        NumeralTickFormatter,
        Range1d,
        TapTool,
    )
    from bokeh.models.annotations import Span
    from bokeh.plotting import figure
    from bokeh.transform import factor_cmap, transform

    groups = _Group.stack(runs, len(labels))
    steps, over, highest, peak = _dram_data(runs, groups, dram_bandwidth)
    lo, hi = _time_range(runs)
    pad = 0.01 * (hi - lo)
    x0, x1 = lo - pad, hi + pad
    bottom = groups[-1].dram_base + 0.3
    fig = figure(x_range=Range1d(start=x0, end=x1, bounds=(x0, x1)),
                 y_range=Range1d(start=bottom, end=-0.5, bounds="auto"),
                 frame_height=round((bottom + 0.5) * LANE_HEIGHT_PX),
                 sizing_mode="stretch_width", tools=_tools(), output_backend=backend,
                 min_border_right=20, x_axis_location="above", toolbar_location="above")
    fig.toolbar.active_scroll = fig.tools[1]  # x wheel zoom (see _tools)
    fig.toolbar.logo = None
    fig.add_layout(LinearAxis(axis_label="time (us)"), "below")
    for axis in fig.xaxis:
        axis.formatter = NumeralTickFormatter(format=TICK_FORMAT)
    ticks = _axis_ticks(runs, groups, labels, dram_bandwidth, peak)
    fig.yaxis.ticker = FixedTicker(ticks=list(ticks))
    fig.yaxis.major_label_overrides = cast(Any, ticks)
    fig.yaxis.major_label_text_font_size = "8pt"
    fig.ygrid.grid_line_color = None

    # Title rows, shaded, with each run's summary.
    heads = ColumnDataSource({"y": [g.header for g in groups],
                              "title": [_title(r, h) for r, h in zip(runs, highest,
                                                                     strict=True)]})
    fig.hbar(y="y", left=x0, right=x1, height=1, source=heads, fill_color="#eeeeee",
             line_color=None, level="underlay")
    fig.add_layout(LabelSet(x=6, y="y", x_units="screen", text="title", source=heads,
                            text_font_size="9pt", text_baseline="middle",
                            text_font_style="bold"))

    source = ColumnDataSource(_concat([
        subjob_data(r.subjobs, r.jobs, labels, name=r.name, first=g.first)
        for r, g in zip(runs, groups, strict=True)]))
    bars: dict[str, Any] = {"y": "lane", "left": "start", "right": "finish", "height": BAR_HEIGHT,
            "source": source, "line_width": 1.2, "nonselection_fill_alpha": 0.15,
            "nonselection_line_alpha": 0.15, "selection_line_color": "black",
            "line_color": factor_cmap("status", ["#00000000", "#d62728", "#d62728"],
                                      ["met", "missed", "dropped"])}
    r = fig.hbar(fill_color=transform(color_by, mappers[color_by]), **bars)
    fig.add_tools(HoverTool(renderers=[r], tooltips=SUBJOB_TOOLTIPS,
                            point_policy="follow_mouse"))
    targets = [r]
    sources = [source]
    with_jobs = [(run, g) for run, g in zip(runs, groups, strict=True) if run.jobs is not None]
    if with_jobs:
        req = ColumnDataSource(_concat([request_data(cast(pd.DataFrame, run.jobs),
                                                     cast(float, g.deadlines))
                                        for run, g in with_jobs]))
        fig.segment(x0="deadline", x1="late_end", y0="lane", y1="lane", source=req,
                    line_color="#d62728", line_width=2)
        marks = fig.scatter(x="deadline", y="lane", source=req, marker="inverted_triangle",
                            size=9, fill_color="color", line_color="color",
                            nonselection_fill_alpha=0.15, nonselection_line_alpha=0.15,
                            selection_line_color="black")
        fig.add_tools(HoverTool(renderers=[marks], tooltips=REQUEST_TOOLTIPS))
        targets.append(marks)
        sources.append(req)
    fig.add_tools(TapTool(renderers=targets))

    # DRAM bands: where D > B (every running SJ slowed), the demand D(t), the bandwidth B.
    fig.hbar(y="y", left="left", right="right", height=DRAM_LANES, source=over,
             fill_color="#d62728", fill_alpha=0.15, line_color=None)
    fig.step(x="t", y="y", mode="after", source=steps, line_color="#1f77b4", line_width=1)
    b_y = [g.dram_base - dram_bandwidth / peak * DRAM_LANES for g in groups]
    fig.segment(x0=x0, x1=x1, y0=b_y, y1=b_y, line_color="#d62728", line_dash="dashed",
                line_width=1.2)
    span = Span(location=0, dimension="height", line_color="#d62728", line_dash="dashed",
                line_width=1.5, visible=False)
    fig.add_layout(span)
    _link_selection(sources, [span])
    return fig, r


def _link_selection(sources: Sequence[ColumnDataSource], spans: Sequence[Span]) -> None:
    """Glue: selecting a bar or a marker selects its request everywhere (:data:`_SELECT_JS`)."""
    from bokeh.models import CustomJS

    for s in sources:
        s.selected.js_on_change("indices", CustomJS(
            args={"source": s, "sources": list(sources), "spans": list(spans)},
            code=_SELECT_JS))


def gantt_layout(runs: Sequence[GanttRun], *, sa_labels: Sequence[str], dram_bandwidth: float,
                 color_by: str = "model", backend: str = "canvas") -> LayoutDOM:
    """The Bokeh layout of ``runs``: a colour switch over one chart in which each run, in
    order, has a title row, its SA lanes, its deadline lane and its DRAM lane.

    One chart rather than one per run: the runs share the time axis (zoom and pan apply to
    all), and BokehJS builds, lays out and paints each figure at a fixed cost that grew the
    page's load time with every scheduler (``benchmarks/bench_report.py``, RESULTS.md section
    11).

    ``sa_labels[i]`` names SA ``i``; ``dram_bandwidth`` is ``B`` in bytes per cycle (GB/s);
    ``color_by`` is the initial colouring (``model`` or ``tenant``). Colours are the same
    across runs. ``backend`` draws the bars on a ``canvas`` or with ``webgl`` (module
    docstring). Raises :class:`MissingExtraError` without Bokeh and :class:`ConfigError` on
    missing columns, bad statuses, unlabelled SAs, a bad ``color_by`` or ``backend``.
    """
    require_bokeh()
    _check_runs(runs, sa_labels, color_by)
    if backend not in BACKENDS:
        raise ConfigError(f"interactive gantt: backend = {backend!r}, expected one of "
                          f"{list(BACKENDS)}")
    from bokeh.layouts import column
    from bokeh.models import CategoricalColorMapper, CustomJS
    from bokeh.models.widgets import Div, RadioButtonGroup

    labels = [str(s) for s in sa_labels]
    every = pd.concat([r.subjobs[["model", "tenant"]] for r in runs])
    mappers = {key: CategoricalColorMapper(factors=factors, palette=palette)
               for key, (factors, palette) in (
                   ("model", _palette(every["model"].astype(str).tolist(), "model")),
                   ("tenant", _palette(every["tenant"].astype(int).astype(str).tolist(),
                                       "tenant")))}
    fig, bars = _chart(runs, labels, float(dram_bandwidth), mappers, color_by, backend)
    legends = {k: _legend(m, k, k == color_by) for k, m in mappers.items()}
    switch = RadioButtonGroup(labels=["colour by model", "colour by tenant"],
                              active=0 if color_by == "model" else 1)
    switch.js_on_change("active", CustomJS(
        args={"bars": [bars], "mappers": mappers,
              "legends": {k: [legends[k]] for k in mappers}},
        code=_COLOR_JS))
    help_text = Div(text="Hover a bar for its sub-job; click one to select its request in every "
                         "run (click empty space to clear); drag to pan, Ctrl + wheel (or "
                         "pinch) or a box to zoom time.", styles={"font-size": "12px"})
    return column([switch, help_text, *legends.values(), _key(float(dram_bandwidth)), fig],
                  sizing_mode="stretch_width")


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
    """The chart of several runs of one workload on one time axis (see
    :func:`gantt_layout`); ``runs`` maps a name to ``(subjobs, jobs)``."""
    return InteractiveGantt(gantt_layout([GanttRun(n, s, j) for n, (s, j) in runs.items()],
                                         sa_labels=sa_labels, dram_bandwidth=dram_bandwidth,
                                         color_by=color_by, backend=backend))
