"""Gantt chart of a run: one row per sub-accelerator (SA), one bar per executed sub-job (SJ).

Bars are coloured by model (or tenant) with stable colours (the sorted names of the whole trace
take ``tab10``/``tab20`` colours in order, so a zoomed window keeps the colours of the full chart).
SJs of requests that missed their deadline get a red edge, those of dropped requests a red hatch.
When a job table is given, a ``misses`` row under the SAs marks each missed request at its finish
(red tick) and each dropped one at its deadline (black cross).

Beyond ``max_bars`` SJs in view, bars would be narrower than a pixel, so the chart aggregates:
time is cut into :data:`AGGREGATE_BINS` bins and each SA row shows, per bin, its busy fraction
stacked by model (a full-height row is a fully busy SA; the part spent on SJs of missed or dropped
requests is hatched red), and the misses row becomes a histogram of misses per bin. The title then
says "aggregated".

Inputs are the result tables of docs/architecture.md section 4 (times in cycles of the 1 GHz
clock); the x axis is in the chosen ``time_unit``. :func:`gantt` draws on a given Axes (or a new
pyplot figure, for notebooks); :func:`save_gantt` renders the same figure off-screen with the
Agg canvas, touching no pyplot state; :func:`gantt_image` returns those bytes.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, StepPatch
from matplotlib.ticker import FuncFormatter

from mas_sim.core.errors import ConfigError
from mas_sim.core.files import atomic_path
from mas_sim.output.tables import JOB_COLUMNS, SUBJOB_COLUMNS, require_columns, require_statuses

TimeUnit = Literal["us", "ms", "cycles"]
ColorBy = Literal["model", "tenant"]

CYCLES_PER_UNIT: dict[str, float] = {"cycles": 1.0, "us": 1e3, "ms": 1e6}
"""Cycles of the 1 GHz clock in one unit of the x axis."""
AGGREGATE_BINS = 400
"""Time bins per SA row in aggregated mode: about 3 pixels each at the saved width, coarse
enough that the stacked occupancy reads as a profile rather than per-pixel noise."""
MISS_BINS = 250
"""Time bins of the misses histogram in aggregated mode (coarser, so counts are readable)."""
ROW_HEIGHT = 0.8
"""Height of a row's bars, in row units (rows are 1 apart)."""
SUBJOB_GID = "subjobs"
"""``gid`` of the bar collections, one path per drawn SJ (for tests and post-processing)."""
OCCUPANCY_GID = "occupancy"
"""``gid`` of the stacked occupancy patches of aggregated mode."""
GANTT_DPI = 120
"""Resolution of saved charts (and of the figure :func:`gantt` makes)."""
MISS_COLOR = "red"
DROP_COLOR = "black"
_HATCH = "////"


def category_colors(keys: Sequence[Hashable]) -> dict[Hashable, tuple[float, float, float, float]]:
    """A stable RGBA colour per key: keys sorted, then ``tab10`` (<= 10), ``tab20`` (<= 20), or
    evenly spaced ``turbo`` colours beyond 20."""
    ordered = sorted(set(keys))  # type: ignore[type-var]
    n = len(ordered)
    if n <= 10:
        cmap = colormaps["tab10"]
        colors = [cmap(i) for i in range(n)]
    elif n <= 20:
        cmap = colormaps["tab20"]
        colors = [cmap(i) for i in range(n)]
    else:
        cmap = colormaps["turbo"]
        colors = [cmap(x) for x in np.linspace(0.05, 0.95, n)]
    return {k: tuple(map(float, c)) for k, c in zip(ordered, colors, strict=True)}  # type: ignore[misc]


def binned_busy_cycles(start: np.ndarray, finish: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Cycles of the intervals ``[start[i], finish[i])`` that fall in each bin
    ``[edges[k], edges[k+1])``; ``len(edges) - 1`` values. Overlapping intervals add up.

    Uses B(t) = total busy time before t = sum over intervals of clip(t - start, 0, duration),
    which is a difference of two prefix sums over sorted starts and finishes: O(N log N).
    """
    origin = float(edges[0])  # shift to keep the products below small relative to float64 ulp
    e = np.asarray(edges, dtype=float) - origin
    s = np.sort(np.asarray(start, dtype=float) - origin)
    f = np.sort(np.asarray(finish, dtype=float) - origin)

    def before(points: np.ndarray) -> np.ndarray:
        n = np.searchsorted(points, e, side="left")
        prefix = np.concatenate(([0.0], np.cumsum(points)))
        return n * e - prefix[n]

    return np.diff(before(s) - before(f))


def gantt_figsize(rows: int) -> tuple[float, float]:
    """Figure size (inches) for a Gantt chart of ``rows`` rows: wide, 0.5 in per row."""
    return 13.0, max(3.5, 1.9 + 0.5 * rows)


def gantt_figure(rows: int, *, pyplot: bool = False) -> Figure:
    """An empty figure for a Gantt chart of ``rows`` rows, sized by :func:`gantt_figsize`, at
    :data:`GANTT_DPI`, with constrained layout (which makes room for the legends outside the
    Axes, so a plain ``savefig`` keeps them). ``pyplot=True`` registers it with pyplot (shown
    inline in notebooks); otherwise it is a plain Figure on an Agg canvas."""
    kw: dict[str, Any] = {"figsize": gantt_figsize(rows), "dpi": GANTT_DPI,
                          "layout": "constrained"}
    if pyplot:
        import matplotlib.pyplot as plt  # only here: notebooks want an inline figure

        return plt.figure(**kw)
    fig = Figure(**kw)
    FigureCanvasAgg(fig)
    return fig


def _check_options(color_by: str, time_unit: str, window: tuple[float, float] | None,
                   max_bars: int) -> None:
    if color_by not in ("model", "tenant"):
        raise ConfigError(f"gantt: color_by = {color_by!r}, expected 'model' or 'tenant'")
    if time_unit not in CYCLES_PER_UNIT:
        raise ConfigError(f"gantt: time_unit = {time_unit!r}, expected one of "
                          f"{list(CYCLES_PER_UNIT)}")
    if isinstance(max_bars, bool) or not isinstance(max_bars, int) or max_bars < 0:
        raise ConfigError(f"gantt: max_bars = {max_bars!r}, expected a non-negative integer")
    if window is not None:
        ok = len(window) == 2 and all(isinstance(t, int | float) and not isinstance(t, bool)
                                      and math.isfinite(t) for t in window)
        if not ok or window[0] >= window[1]:
            raise ConfigError(f"gantt: window = {window!r}, expected (start, end) in cycles "
                              f"with start < end")


def _tick_label(x: float, _pos: int | None = None) -> str:
    """Plain tick labels with thousands separators: ``1,200,000`` rather than ``1.2`` + ``1e6``."""
    return f"{x:,.0f}" if abs(x) >= 1e4 else f"{x:g}"


def _label(color_by: str, key: Hashable) -> str:
    return f"tenant {key}" if color_by == "tenant" else str(key)


def _key(color_by: str, value: Any) -> Hashable:
    return int(value) if color_by == "tenant" else str(value)


def _miss_points(jobs: pd.DataFrame, subjobs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Cycles at which to mark missed requests (their finish) and dropped ones (their deadline).

    A missed request without a finish time in the job table is marked at its last SJ's finish,
    or at its deadline if it ran no SJ."""
    last = subjobs.groupby("job_id")["finish"].max()
    missed = jobs[jobs["status"] == "missed"]
    fallback = missed["job_id"].map(last).fillna(missed["deadline"])
    missed_at = missed["finish"].where(np.isfinite(missed["finish"]), fallback)
    dropped_at = jobs.loc[jobs["status"] == "dropped", "deadline"]
    return missed_at.to_numpy(float), dropped_at.to_numpy(float)


def _draw_bars(ax: Axes, sj: pd.DataFrame, keys: pd.Series, kinds: pd.Series,
               colors: dict[Hashable, Any], scale: float) -> None:
    """One ``broken_barh`` per (SA, colour key, request status) group: one path per SJ."""
    thin = len(sj) <= 1000  # white separators only while bars are wider than a few pixels
    groups = pd.DataFrame({"sa": sj["sa"].to_numpy(), "key": keys.to_numpy(),
                           "kind": kinds.to_numpy(), "x": sj["start"].to_numpy() / scale,
                           "w": (sj["finish"] - sj["start"]).to_numpy() / scale})
    for (sa, key, kind), g in groups.groupby(["sa", "key", "kind"], sort=True):
        row = int(sa)  # type: ignore[call-overload]  # groupby keys are typed Hashable
        style: dict[str, Any] = {"facecolor": colors[key], "gid": SUBJOB_GID}
        if kind == "met":
            style |= {"edgecolor": "white" if thin else "none", "linewidth": 0.4}
        else:
            style |= {"edgecolor": MISS_COLOR, "linewidth": 0.9}
            if kind == "dropped":
                style["hatch"] = _HATCH
        ax.broken_barh(list(zip(g["x"], g["w"], strict=True)),
                       (row - ROW_HEIGHT / 2, ROW_HEIGHT), **style)


def _draw_occupancy(ax: Axes, sj: pd.DataFrame, keys: pd.Series, kinds: pd.Series,
                    colors: dict[Hashable, Any], edges: np.ndarray, scale: float) -> None:
    """Per SA row, the busy fraction of each bin stacked by key; SJs of late requests hatched."""
    width = float(edges[1] - edges[0])
    x = edges / scale
    late = (kinds != "met").to_numpy()
    for sa in sorted(set(sj["sa"].astype(int))):
        on_sa = (sj["sa"] == sa).to_numpy()
        bottom = sa + ROW_HEIGHT / 2  # the y axis is inverted: "up" within a row is smaller y
        filled = np.zeros(len(edges) - 1)
        for key in sorted(set(keys[on_sa])):
            for is_late in (False, True):
                sel = on_sa & (keys == key).to_numpy() & (late == is_late)
                if not sel.any():
                    continue
                busy = binned_busy_cycles(sj["start"].to_numpy()[sel],
                                          sj["finish"].to_numpy()[sel], edges) / width
                top = np.minimum(filled + busy, 1.0)
                style: dict[str, Any] = {"facecolor": colors[key], "edgecolor": "none"}
                if is_late:
                    style |= {"hatch": _HATCH, "edgecolor": MISS_COLOR, "linewidth": 0}
                _stairs(ax, bottom - ROW_HEIGHT * top, x, bottom - ROW_HEIGHT * filled,
                        gid=OCCUPANCY_GID, **style)
                filled = top


def _stairs(ax: Axes, values: np.ndarray, edges: np.ndarray, baseline: np.ndarray | float,
            **style: Any) -> None:
    """``ax.stairs(values, edges, baseline=baseline, fill=True, **style)`` without its update of
    the data limits, which walks every vertex of the step path in Python (most of a long run's
    chart time); :func:`gantt` sets both axis limits itself, so the picture is the same."""
    style.setdefault("linewidth", 0)
    # matplotlib's stubs type ``baseline`` as a float; StepPatch takes an array (Axes.stairs).
    ax.add_artist(StepPatch(values, edges, baseline=baseline, fill=True,  # type: ignore[arg-type]
                            **style))


def _draw_misses(ax: Axes, row: int, missed: np.ndarray, dropped: np.ndarray,
                 t0: float, t1: float, scale: float, aggregated: bool) -> None:
    """The misses row: ticks and crosses, or in aggregated mode a stacked histogram."""
    missed = missed[(missed >= t0) & (missed <= t1)]
    dropped = dropped[(dropped >= t0) & (dropped <= t1)]
    if not aggregated:
        ax.plot(missed / scale, np.full(len(missed), row), linestyle="none", marker="|",
                markersize=14, markeredgewidth=1.5, color=MISS_COLOR, gid="missed")
        ax.plot(dropped / scale, np.full(len(dropped), row), linestyle="none", marker="x",
                markersize=6, color=DROP_COLOR, gid="dropped")
        return
    edges = np.linspace(t0, t1, MISS_BINS + 1)
    n_missed = np.histogram(missed, edges)[0]
    n_dropped = np.histogram(dropped, edges)[0]
    peak = max(int((n_missed + n_dropped).max()), 1)
    bottom = row + ROW_HEIGHT / 2
    h_missed = ROW_HEIGHT * n_missed / peak
    h_total = ROW_HEIGHT * (n_missed + n_dropped) / peak
    x = edges / scale
    _stairs(ax, bottom - h_missed, x, bottom, facecolor=MISS_COLOR, gid="missed")
    _stairs(ax, bottom - h_total, x, bottom - h_missed, facecolor=DROP_COLOR, gid="dropped")
    ax.annotate(f"peak {peak}/bin", xy=(1.0, row - ROW_HEIGHT / 2), xycoords=("axes fraction",
                "data"), xytext=(-2, 0), textcoords="offset points", ha="right", va="top",
                fontsize=7, color="0.3")


def _legends(ax: Axes, color_by: str, keys: Sequence[Hashable], colors: dict[Hashable, Any],
             with_jobs: bool, aggregated: bool, max_entries: int = 30) -> None:
    """Status legend below the axes (added first, kept as an artist), colour legend on the right
    (the Axes' own legend, so ``ax.get_legend()`` lists exactly the colour keys)."""
    if with_jobs:
        status: list[Artist]
        if aggregated:
            status = [
                Patch(facecolor="0.85", edgecolor=MISS_COLOR, hatch=_HATCH,
                      label="SJs of missed or dropped requests"),
                Patch(color=MISS_COLOR, label="missed requests per bin (at finish)"),
                Patch(color=DROP_COLOR, label="dropped requests per bin (at deadline)"),
            ]
        else:
            status = [
                Patch(facecolor="0.85", edgecolor=MISS_COLOR, label="SJ of a missed request"),
                Patch(facecolor="0.85", edgecolor=MISS_COLOR, hatch=_HATCH,
                      label="SJ of a dropped request"),
                Line2D([], [], linestyle="none", marker="|", markersize=10, markeredgewidth=1.5,
                       color=MISS_COLOR, label="deadline miss (at request finish)"),
                Line2D([], [], linestyle="none", marker="x", color=DROP_COLOR,
                       label="dropped (at deadline)"),
            ]
        below = ax.legend(handles=status, loc="upper left", bbox_to_anchor=(0.0, -0.12),
                          ncol=len(status), fontsize=8, frameon=False)
        ax.add_artist(below)
        below.set_clip_on(False)  # add_artist clips to the Axes patch; this legend sits outside
    handles = [Patch(color=colors[k], label=_label(color_by, k)) for k in keys[:max_entries]]
    if len(keys) > max_entries:
        handles.append(Patch(color="white", label=f"+{len(keys) - max_entries} more"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize=8,
              title=color_by, title_fontsize=8, frameon=False, ncol=1 + len(handles) // 16)


def gantt(subjobs: pd.DataFrame, jobs: pd.DataFrame | None = None, *,
          sa_labels: Sequence[str], ax: Axes | None = None, color_by: ColorBy = "model",
          window: tuple[float, float] | None = None, max_bars: int = 4000,
          time_unit: TimeUnit = "us", title: str | None = None) -> Axes:
    """Draw the schedule as a Gantt chart and return the Axes.

    ``subjobs``/``jobs``: the sub-job trace and job table (docs/architecture.md
    section 4, times in cycles);
    without ``jobs`` no request is marked late and there is no misses row. ``sa_labels[i]`` names
    SA ``i`` (row ``i``, top to bottom). ``window=(start, end)`` in cycles shows only that range
    (the SJs that overlap it, end points included). Beyond ``max_bars`` SJs in view the chart
    aggregates (module docstring).
    ``ax=None`` draws on a new pyplot figure (:func:`gantt_figure`): ``plt.savefig`` then
    writes the same picture as :func:`save_gantt`.
    Raises :class:`ConfigError` on missing columns, bad options or unlabelled SA indices.
    """
    require_columns(subjobs, SUBJOB_COLUMNS, "sub-job trace")
    if jobs is not None:
        require_columns(jobs, JOB_COLUMNS, "job table")
        require_statuses(jobs)
    _check_options(color_by, time_unit, window, max_bars)
    labels = [str(s) for s in sa_labels]
    m = len(labels)
    if len(subjobs) and (subjobs["sa"].min() < 0 or subjobs["sa"].max() >= m):
        raise ConfigError(f"gantt: SA indices {sorted(set(subjobs['sa']))} out of range, "
                          f"expected 0..{m - 1} ({m} SA labels)")
    scale = CYCLES_PER_UNIT[time_unit]

    # Colours come from the whole trace, so that a window keeps the full chart's colours.
    all_keys = sorted({_key(color_by, v) for v in subjobs[color_by]})  # type: ignore[type-var]
    colors = category_colors(all_keys)
    missed_at, dropped_at = (_miss_points(jobs, subjobs) if jobs is not None
                             else (np.empty(0), np.empty(0)))
    if window is not None:
        t0, t1 = float(window[0]), float(window[1])
        sj = subjobs[(subjobs["finish"] >= t0) & (subjobs["start"] <= t1)]
    else:
        sj = subjobs
        ends = np.concatenate((subjobs["finish"].to_numpy(float), missed_at, dropped_at))
        t0 = min(0.0, float(subjobs["start"].min())) if len(subjobs) else 0.0
        t1 = float(np.nanmax(ends)) if len(ends) else 1.0
        t1 = t1 if t1 > t0 else t0 + 1.0

    status = (dict(zip(jobs["job_id"].astype(int), jobs["status"].astype(str), strict=True))
              if jobs is not None else {})
    keys = sj[color_by].map(lambda v: _key(color_by, v))
    kinds = sj["job_id"].map(lambda j: status.get(int(j), "met"))
    aggregated = len(sj) > max_bars

    if ax is None:
        ax = gantt_figure(m + (jobs is not None), pyplot=True).add_subplot()
    if aggregated:
        edges = np.linspace(t0, t1, AGGREGATE_BINS + 1)
        _draw_occupancy(ax, sj, keys, kinds, colors, edges, scale)
    else:
        _draw_bars(ax, sj, keys, kinds, colors, scale)
    rows = list(labels)
    if jobs is not None:
        _draw_misses(ax, m, missed_at, dropped_at, t0, t1, scale, aggregated)
        rows.append("misses")

    ax.set_yticks(range(len(rows)), rows)
    ax.set_ylim(len(rows) - 0.5, -0.5)  # row 0 (SA 0) on top
    ax.set_xlim(t0 / scale, t1 / scale)
    ax.set_xlabel(f"time ({time_unit})")
    ax.xaxis.set_major_formatter(FuncFormatter(_tick_label))
    ax.grid(axis="x", color="0.9", linewidth=0.6)
    ax.set_axisbelow(True)
    in_view = sorted({_key(color_by, v) for v in sj[color_by]})  # type: ignore[type-var]
    _legends(ax, color_by, in_view, colors, jobs is not None, aggregated)

    if title is not None:
        heading = title
    elif jobs is not None and window is None:
        n = jobs["status"].value_counts()
        heading = (f"{len(jobs)} requests ({n.get('met', 0)} met, {n.get('missed', 0)} missed, "
                   f"{n.get('dropped', 0)} dropped), {len(sj)} sub-jobs")
    else:
        heading = f"{sj['job_id'].nunique()} requests, {len(sj)} sub-jobs"
    if aggregated:
        heading += (f" (aggregated: SA occupancy in {AGGREGATE_BINS} bins, "
                    f"{len(sj)} sub-jobs > max_bars={max_bars})")
    ax.set_title(heading, fontsize=10)
    return ax


def save_gantt(path: str | os.PathLike[str], subjobs: pd.DataFrame, jobs: pd.DataFrame | None,
               sa_labels: Sequence[str], **kw: Any) -> Path:
    """Render :func:`gantt` off-screen and write it to ``path`` atomically; return the path.

    The format follows the suffix (``.png`` if none; ``.svg``, ``.pdf`` also work), at
    :data:`GANTT_DPI`, on the figure of :func:`gantt_figure` (the picture ``gantt()`` then
    ``plt.savefig`` gives). ``kw`` goes to :func:`gantt`. The figure is never registered with
    pyplot, so nothing stays open. Raises :class:`ConfigError` for an unsupported suffix and
    :class:`OSError` for an unwritable path; in both cases nothing is left on disk.
    """
    fmt = Path(path).suffix.lstrip(".").lower() or "png"
    fig = _drawn_figure(fmt, subjobs, jobs, sa_labels, kw, what=repr(str(path)))
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=fmt)
    return Path(path)


def gantt_image(subjobs: pd.DataFrame, jobs: pd.DataFrame | None, sa_labels: Sequence[str],
                fmt: str = "png", **kw: Any) -> bytes:
    """The picture of :func:`save_gantt` as bytes in format ``fmt`` (for embedding)."""
    fig = _drawn_figure(fmt, subjobs, jobs, sa_labels, kw, what="image")
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt)
    return buffer.getvalue()


def _drawn_figure(fmt: str, subjobs: pd.DataFrame, jobs: pd.DataFrame | None,
                  sa_labels: Sequence[str], kw: dict[str, Any], what: str) -> Figure:
    fig = gantt_figure(len(sa_labels) + (jobs is not None))
    supported = fig.canvas.get_supported_filetypes()
    if fmt not in supported:
        raise ConfigError(f"save_gantt: {what} has format {fmt!r}, expected one of "
                          f"{sorted(supported)}")
    gantt(subjobs, jobs, sa_labels=sa_labels, ax=fig.add_subplot(), **kw)
    return fig
