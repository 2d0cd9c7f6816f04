"""Tests of mas_sim.output.plots: bar counts, aggregation, windows, colours, atomic PNG output."""

from __future__ import annotations

import heapq
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import StepPatch

from mas_sim.core.errors import ConfigError
from mas_sim.output.plots import (
    AGGREGATE_BINS,
    MISS_BINS,
    OCCUPANCY_GID,
    ROW_HEIGHT,
    SUBJOB_GID,
    binned_busy_cycles,
    category_colors,
    gantt,
    gantt_figsize,
    save_gantt,
)

LABELS = ("Eyeriss-Small#0", "Eyeriss-Small#1", "Eyeriss-Large", "Simba-Small#0",
          "Simba-Small#1", "Simba-Large")
MODELS = {"resnet50": 12, "mobilenet_v2": 8, "bert_base": 10, "yolo_tiny": 9}


def synthetic_run(n_requests: int, seed: int = 0, n_sas: int = 6,
                  load: float = 0.7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A plausible (sub-job trace, job table) pair, times in cycles.

    Chain-shaped models on ``n_sas`` identical SAs, Poisson arrivals at about ``load``
    utilisation, QoS factors 1.5-4 of the isolated latency. A non-preemptive list scheduler
    runs the earliest-ready SJ on the earliest-free SA; a few requests are dropped at
    their deadline (their SJs not started by then never run)."""
    rng = np.random.default_rng(seed)
    names = sorted(MODELS)
    lat = {m: rng.uniform(2e4, 2e5, MODELS[m]) for m in names}
    mean_work = np.mean([lat[m].sum() for m in names])
    arrivals = np.cumsum(rng.exponential(mean_work / (n_sas * load), n_requests))
    model = [names[i] for i in rng.integers(len(names), size=n_requests)]
    tenant = rng.integers(4, size=n_requests)
    qos = rng.choice([1.5, 2.0, 4.0], size=n_requests)
    deadline = arrivals + qos * np.array([lat[m].sum() for m in model])
    droppable = rng.random(n_requests) < 0.03
    ready = [(float(a), j, 0) for j, a in enumerate(arrivals)]  # (ready cycle, job, layer)
    heapq.heapify(ready)
    free = np.zeros(n_sas)
    finish = np.full(n_requests, np.nan)
    sj_rows = []
    while ready:
        t, j, k = heapq.heappop(ready)
        sa = int(np.argmin(free))
        start = max(t, float(free[sa]))
        if droppable[j] and start > deadline[j]:
            continue
        c = float(lat[model[j]][k])
        free[sa] = start + c
        sj_rows.append((j, int(tenant[j]), model[j], f"L{k}", sa, "Eyeriss-Small",
                        arrivals[j], deadline[j], start, start + c, c, 4.0, 2.0 * c))
        if k + 1 < MODELS[model[j]]:
            heapq.heappush(ready, (start + c, j, k + 1))
        else:
            finish[j] = start + c
    status = np.where(np.isnan(finish), "dropped", np.where(finish <= deadline, "met", "missed"))
    subjobs = pd.DataFrame(sj_rows, columns=[
        "job_id", "tenant", "model", "layer", "sa", "sa_class", "arrival", "deadline", "start",
        "finish", "latency_cycles", "bandwidth_bytes_per_cycle", "energy_pj"])
    jobs = pd.DataFrame({"job_id": np.arange(n_requests), "tenant": tenant, "model": model,
                         "qos": qos, "arrival": arrivals, "deadline": deadline,
                         "finish": finish, "status": status})
    return subjobs, jobs


def _axes() -> Axes:
    return Figure().add_subplot()


def _bars(ax: Axes) -> list[PolyCollection]:
    return [c for c in ax.collections
            if isinstance(c, PolyCollection) and c.get_gid() == SUBJOB_GID]


def _bar_count(ax: Axes) -> int:
    return sum(len(c.get_paths()) for c in _bars(ax))


def _bar_extents(ax: Axes) -> list[tuple[float, float, float]]:
    """(x start, x end, y centre) of every drawn bar, sorted."""
    out = []
    for c in _bars(ax):
        for p in c.get_paths():
            v = np.asarray(p.vertices, dtype=float)
            out.append((float(v[:, 0].min()), float(v[:, 0].max()),
                        float((v[:, 1].min() + v[:, 1].max()) / 2)))
    return sorted(out)


def _rgba(color: object) -> tuple[float, ...]:
    """The first colour of a colour or colour array, as a tuple of floats."""
    return tuple(np.atleast_2d(np.asarray(color, dtype=float))[0].tolist())


def _legend_texts(ax: Axes) -> list[str]:
    legend = ax.get_legend()
    assert legend is not None
    return [t.get_text() for t in legend.get_texts()]


def _line_x(ax: Axes, gid: str) -> list[float]:
    [line] = [ln for ln in ax.lines if ln.get_gid() == gid]
    return np.asarray(line.get_xdata(), dtype=float).tolist()


def _steps(ax: Axes, gid: str) -> list[StepPatch]:
    return [p for p in ax.patches if isinstance(p, StepPatch) and p.get_gid() == gid]


def hand_trace() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Three SJs on two SAs: job 0 (met, m1) runs a then b; job 1 (missed, m2) runs c.
    Job 2 (dropped) never ran. Times in cycles."""
    cols = ["job_id", "tenant", "model", "layer", "sa", "sa_class", "arrival", "deadline",
            "start", "finish", "latency_cycles", "bandwidth_bytes_per_cycle", "energy_pj"]
    subjobs = pd.DataFrame([
        (0, 1, "m1", "a", 0, "X", 0.0, 9000.0, 1000.0, 3000.0, 2000.0, 1.0, 1.0),
        (0, 1, "m1", "b", 1, "Y", 0.0, 9000.0, 3000.0, 4000.0, 1000.0, 1.0, 1.0),
        (1, 0, "m2", "c", 0, "X", 0.0, 5000.0, 3000.0, 8000.0, 5000.0, 1.0, 1.0),
    ], columns=cols)
    jobs = pd.DataFrame({"job_id": [0, 1, 2], "tenant": [1, 0, 1], "model": ["m1", "m2", "m1"],
                         "qos": [2.0, 2.0, 2.0], "arrival": [0.0, 0.0, 100.0],
                         "deadline": [9000.0, 5000.0, 6000.0],
                         "finish": [4000.0, 8000.0, np.nan],
                         "status": ["met", "missed", "dropped"]})
    return subjobs, jobs


def test_hand_trace_bars_rows_and_markers() -> None:
    subjobs, jobs = hand_trace()
    ax = gantt(subjobs, jobs, sa_labels=["SA-X", "SA-Y"], ax=_axes())
    assert _bar_extents(ax) == [(1.0, 3.0, 0.0), (3.0, 4.0, 1.0), (3.0, 8.0, 0.0)]  # us
    assert [t.get_text() for t in ax.get_yticklabels()] == ["SA-X", "SA-Y", "misses"]
    assert ax.get_ylim() == (2.5, -0.5)  # SA 0 on top
    assert ax.get_xlim() == (0.0, 8.0)
    assert ax.get_xlabel() == "time (us)"
    assert _line_x(ax, "missed") == [8.0]
    assert _line_x(ax, "dropped") == [6.0]
    [missed] = [ln for ln in ax.lines if ln.get_gid() == "missed"]
    assert np.asarray(missed.get_ydata()).tolist() == [2]  # the misses row
    assert ax.get_title() == "3 requests (1 met, 1 missed, 1 dropped), 3 sub-jobs"
    ax = gantt(subjobs, jobs, sa_labels=["SA-X", "SA-Y"], ax=_axes(), window=(0.0, 3500.0),
               title="zoom")
    assert ax.get_title() == "zoom"
    assert _bar_extents(ax) == [(1.0, 3.0, 0.0), (3.0, 4.0, 1.0), (3.0, 8.0, 0.0)]
    ax = gantt(subjobs, jobs, sa_labels=["SA-X", "SA-Y"], ax=_axes(), window=(3500.0, 9000.0))
    assert ax.get_title() == "2 requests, 2 sub-jobs"
    assert _legend_texts(ax) == ["m1", "m2"]


def test_late_requests_have_red_edges_and_colours_follow_models() -> None:
    subjobs, jobs = hand_trace()
    jobs.loc[0, "status"] = "dropped"  # pretend job 0 was dropped after running both SJs
    ax = gantt(subjobs, jobs, sa_labels=["A", "B"], ax=_axes())
    colors = category_colors(["m1", "m2"])
    styles = sorted((len(c.get_paths()), _rgba(c.get_facecolor()), c.get_hatch() or "",
                     _rgba(c.get_edgecolor())) for c in _bars(ax))
    red = (1.0, 0.0, 0.0, 1.0)
    assert styles == sorted([(1, colors["m1"], "////", red), (1, colors["m1"], "////", red),
                             (1, colors["m2"], "", red)])


def test_met_bars_have_no_red_edge_and_no_jobs_means_no_misses_row() -> None:
    subjobs, _ = hand_trace()
    ax = gantt(subjobs, sa_labels=["A", "B"], ax=_axes(), color_by="tenant")
    assert _bar_count(ax) == 3
    assert all(_rgba(c.get_edgecolor()) != (1.0, 0.0, 0.0, 1.0) for c in _bars(ax))
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A", "B"]
    assert _legend_texts(ax) == ["tenant 0", "tenant 1"]
    assert not ax.lines


def test_time_units() -> None:
    subjobs, _ = hand_trace()
    ax = gantt(subjobs, sa_labels=["A", "B"], ax=_axes(), time_unit="cycles")
    assert _bar_extents(ax)[0] == (1000.0, 3000.0, 0.0)
    assert ax.get_xlim() == (0.0, 8000.0)
    ax = gantt(subjobs, sa_labels=["A", "B"], ax=_axes(), time_unit="ms")
    assert _bar_extents(ax)[2] == (0.003, 0.008, 0.0)
    assert ax.get_xlabel() == "time (ms)"


def test_one_bar_per_subjob_and_legend_per_model_on_50_requests() -> None:
    subjobs, jobs = synthetic_run(50, seed=3, load=0.95)
    assert (jobs["status"] != "met").any()
    ax = gantt(subjobs, jobs, sa_labels=LABELS, ax=_axes())
    assert _bar_count(ax) == len(subjobs)
    assert _legend_texts(ax) == sorted(set(subjobs["model"]))
    assert len(_line_x(ax, "missed")) == (jobs["status"] == "missed").sum()
    assert "aggregated" not in ax.get_title()


def test_window_keeps_overlapping_subjobs_and_colours() -> None:
    subjobs, jobs = synthetic_run(50, seed=3)
    t0, t1 = 2e6, 4e6
    inside = subjobs[(subjobs["finish"] >= t0) & (subjobs["start"] <= t1)]
    assert 0 < len(inside) < len(subjobs)
    full = gantt(subjobs, jobs, sa_labels=LABELS, ax=_axes())
    ax = gantt(subjobs, jobs, sa_labels=LABELS, ax=_axes(), window=(t0, t1))
    assert _bar_count(ax) == len(inside)
    assert ax.get_xlim() == (2000.0, 4000.0)

    def palette(a: Axes) -> dict[str, tuple[float, ...]]:
        legend = a.get_legend()
        assert legend is not None
        return {t.get_text(): _rgba(h.get_facecolor())  # type: ignore[union-attr]
                for t, h in zip(legend.get_texts(), legend.legend_handles, strict=True)}

    zoomed = palette(ax)
    assert zoomed.items() <= palette(full).items()


def test_aggregates_above_max_bars_and_conserves_busy_time() -> None:
    subjobs, jobs = synthetic_run(50, seed=3)
    ax = gantt(subjobs, jobs, sa_labels=LABELS, ax=_axes(), max_bars=len(subjobs) - 1,
               time_unit="cycles")
    assert "aggregated" in ax.get_title()
    assert _bar_count(ax) == 0
    steps = _steps(ax, OCCUPANCY_GID)
    assert steps
    # The stacked heights, in row units times bin width, add up to the total SJ time.
    area = 0.0
    for p in steps:
        values, edges, baseline = p.get_data()
        area += float(np.sum((baseline - values) * np.diff(edges))) / ROW_HEIGHT
    busy = float((subjobs["finish"] - subjobs["start"]).sum())
    assert area == pytest.approx(busy, rel=1e-9)
    assert all(len(p.get_data()[0]) == AGGREGATE_BINS for p in steps)
    assert _legend_texts(ax) == sorted(set(subjobs["model"]))
    ax = gantt(subjobs, jobs, sa_labels=LABELS, ax=_axes(), max_bars=len(subjobs))
    assert _bar_count(ax) == len(subjobs)


def test_aggregated_misses_histogram_counts_every_miss() -> None:
    subjobs, jobs = synthetic_run(60, seed=5, load=1.1)
    ax = gantt(subjobs, jobs, sa_labels=LABELS, ax=_axes(), max_bars=0, time_unit="cycles")
    [peak_text] = [t.get_text() for t in ax.texts if t.get_text().startswith("peak")]
    peak = int(peak_text.split()[1].split("/")[0])
    counts = {}
    for gid in ("missed", "dropped"):
        [p] = _steps(ax, gid)
        values, _, baseline = p.get_data()
        assert len(values) == MISS_BINS
        counts[gid] = (np.asarray(baseline) - values) / ROW_HEIGHT * peak
    total = counts["missed"] + counts["dropped"]
    assert total.max() == pytest.approx(peak)
    assert counts["missed"].sum() == pytest.approx((jobs["status"] == "missed").sum())
    assert counts["dropped"].sum() == pytest.approx((jobs["status"] == "dropped").sum())
    assert (jobs["status"] == "missed").sum() > 0 and (jobs["status"] == "dropped").sum() > 0


def test_empty_trace_draws_empty_rows() -> None:
    subjobs, _ = hand_trace()
    ax = gantt(subjobs.iloc[0:0], None, sa_labels=["A", "B"], ax=_axes())
    assert _bar_count(ax) == 0
    assert ax.get_xlim() == (0.0, 0.001)


def test_new_pyplot_figure_when_no_axes_given() -> None:
    import matplotlib.pyplot as plt

    subjobs, jobs = hand_trace()
    ax = gantt(subjobs, jobs, sa_labels=["A", "B"])
    fig = ax.get_figure()
    assert isinstance(fig, Figure)
    try:
        assert _bar_count(ax) == 3
        assert tuple(fig.get_size_inches()) == gantt_figsize(3)
    finally:
        plt.close(fig)


@pytest.mark.parametrize(("kw", "match"), [
    ({"color_by": "layer"}, "color_by = 'layer', expected 'model' or 'tenant'"),
    ({"time_unit": "s"}, r"time_unit = 's', expected one of \['cycles', 'us', 'ms'\]"),
    ({"max_bars": -1}, "max_bars = -1, expected a non-negative integer"),
    ({"max_bars": True}, "max_bars = True"),
    ({"window": (5.0, 5.0)}, r"window = \(5.0, 5.0\), expected \(start, end\) in cycles"),
    ({"window": (0.0, float("nan"))}, "window = "),
    ({"window": (1.0,)}, "window = "),
    ({"sa_labels": ["only one"]}, r"SA indices \[0, 1\] out of range, expected 0..0"),
])
def test_bad_options(kw: dict[str, object], match: str) -> None:
    subjobs, jobs = hand_trace()
    args: dict[str, object] = {"sa_labels": ["A", "B"], "ax": _axes()} | kw
    with pytest.raises(ConfigError, match=match):
        gantt(subjobs, jobs, **args)  # type: ignore[arg-type]


def test_bad_tables() -> None:
    subjobs, jobs = hand_trace()
    with pytest.raises(ConfigError, match=r"sub-job trace lacks columns \['start'\]"):
        gantt(subjobs.drop(columns="start"), jobs, sa_labels=["A", "B"], ax=_axes())
    jobs.loc[2, "status"] = "cancelled"
    with pytest.raises(ConfigError, match=r"status values \['cancelled'\]"):
        gantt(subjobs, jobs, sa_labels=["A", "B"], ax=_axes())


def _png_size(data: bytes) -> tuple[int, int]:
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_save_writes_png_atomically_and_grows_with_sas(tmp_path: Path) -> None:
    subjobs, jobs = hand_trace()
    small = save_gantt(tmp_path / "out" / "small.png", subjobs, jobs, ["A", "B"])
    data = small.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in small.parent.iterdir()) == ["small.png"]
    tall = save_gantt(tmp_path / "tall.png", subjobs, jobs, [f"SA{i}" for i in range(12)],
                      window=(0.0, 1e4))
    assert _png_size(tall.read_bytes())[1] > _png_size(data)[1]


def test_save_svg_by_suffix(tmp_path: Path) -> None:
    subjobs, jobs = hand_trace()
    out = save_gantt(tmp_path / "g.svg", subjobs, jobs, ["A", "B"], color_by="tenant")
    assert b"<svg" in out.read_bytes()[:1000]


def test_save_to_unwritable_path_leaves_nothing(tmp_path: Path) -> None:
    subjobs, jobs = hand_trace()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OSError):
        save_gantt(blocker / "g.png", subjobs, jobs, ["A", "B"])
    with pytest.raises(ConfigError, match=r"format 'xyz', expected one of"):
        save_gantt(tmp_path / "g.xyz", subjobs, jobs, ["A", "B"])
    assert list(tmp_path.iterdir()) == [blocker]


def test_failed_render_keeps_old_png(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    subjobs, jobs = hand_trace()
    target = tmp_path / "g.png"
    target.write_bytes(b"old")

    def broken_savefig(self: Figure, fname: Path, **kw: object) -> None:
        Path(fname).write_bytes(b"\x89PNG half")
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(Figure, "savefig", broken_savefig)
    with pytest.raises(RuntimeError, match="renderer crashed"):
        save_gantt(target, subjobs, jobs, ["A", "B"])
    assert target.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [target]


def test_binned_busy_cycles_by_hand() -> None:
    got = binned_busy_cycles(np.array([0.0, 15.0, 3.0]), np.array([10.0, 20.0, 4.0]),
                             np.array([0.0, 5.0, 10.0, 15.0, 20.0]))
    assert got.tolist() == [6.0, 5.0, 0.0, 5.0]
    # Intervals partly outside the edges count only their inside part.
    got = binned_busy_cycles(np.array([-5.0]), np.array([25.0]), np.array([0.0, 10.0, 20.0]))
    assert got.tolist() == [10.0, 10.0]


_interval = st.tuples(st.integers(0, 1000), st.integers(0, 300))


@settings(max_examples=80, deadline=None)
@given(st.lists(_interval, max_size=30), st.integers(1, 12), st.integers(-100, 500),
       st.integers(1, 900))
def test_binned_busy_cycles_matches_brute_force(spans: list[tuple[int, int]], bins: int,
                                                lo: int, span: int) -> None:
    start = np.array([s for s, _ in spans], dtype=float)
    finish = np.array([s + d for s, d in spans], dtype=float)
    edges = np.linspace(lo, lo + span, bins + 1)
    want = [sum(max(0.0, min(f, b) - max(s, a)) for s, f in zip(start, finish, strict=True))
            for a, b in itertools.pairwise(edges)]
    assert binned_busy_cycles(start, finish, edges) == pytest.approx(want, abs=1e-6)


def test_category_colors_are_sorted_and_stable() -> None:
    a = category_colors(["b", "a", "c", "a"])
    assert list(a) == ["a", "b", "c"]
    assert a == category_colors(["c", "a", "b"])
    assert a["a"] == tuple(colormaps["tab10"](0))
    assert category_colors([f"m{i:02d}" for i in range(15)])["m14"] == tuple(colormaps["tab20"](14))
    many = category_colors(list(range(40)))
    assert len(set(many.values())) == 40


def test_pyplot_savefig_after_gantt_is_the_saved_picture(tmp_path: Path) -> None:
    """``gantt()`` then ``plt.savefig`` keeps both legends: the same pixels as save_gantt."""
    import matplotlib.pyplot as plt
    from matplotlib.image import imread

    subjobs, jobs = synthetic_run(40)
    labels = [f"SA{i}" for i in range(6)]
    ax = gantt(subjobs, jobs, sa_labels=labels, color_by="tenant")
    try:
        plt.savefig(tmp_path / "pyplot.png")
    finally:
        plt.close(ax.get_figure())  # type: ignore[arg-type]
    save_gantt(tmp_path / "saved.png", subjobs, jobs, labels, color_by="tenant")
    pyplot, saved = imread(tmp_path / "pyplot.png"), imread(tmp_path / "saved.png")
    assert pyplot.shape == saved.shape
    assert np.array_equal(pyplot, saved)
    # The legends are inside the picture: right of the Axes (colour keys) and under it (status).
    fig = ax.get_figure()
    assert fig is not None
    box = fig.bbox
    for legend in [ax.get_legend(), *[a for a in ax.artists]]:
        extent = legend.get_window_extent()  # type: ignore[union-attr]
        assert box.x0 <= extent.x0 and extent.x1 <= box.x1
        assert box.y0 <= extent.y0 and extent.y1 <= box.y1
