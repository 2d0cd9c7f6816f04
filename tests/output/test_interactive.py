"""Tests of mas_sim.output.interactive: the bars' data, the DRAM demand, the Bokeh layout and
its links, the notebook display, the missing-extra paths (the browser test is in
test_report_browser.py)."""

from __future__ import annotations

import html
import re
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mas_sim.core.errors import ConfigError, MissingExtraError
from mas_sim.output import interactive
from mas_sim.output.interactive import (
    DEADLINE_LANE,
    GanttRun,
    InteractiveGantt,
    dram_demand,
    gantt_layout,
    interactive_comparison,
    interactive_gantt,
    request_data,
    subjob_data,
)
from mas_sim.output.plots import category_colors
from tests.output.test_gantt_plot import hand_trace, synthetic_run
from tests.output.test_report import EXTERNAL

pytest.importorskip("bokeh", reason="the extra 'viz' (bokeh) is not installed")

from bokeh.models import CustomJS, HBar, HoverTool, LabelSet, Range1d, Span, Step, TapTool
from bokeh.models.widgets import RadioButtonGroup
from bokeh.plotting import figure as Figure


def _figures(layout: object) -> list[Figure]:
    """The figures of a layout, in page order."""
    return [c for c in layout.children if isinstance(c, Figure)]  # type: ignore[attr-defined]


def _titles(fig: Figure) -> list[str]:
    """The runs' title rows of the chart, top to bottom."""
    [labels] = [a for a in fig.center if isinstance(a, LabelSet)]
    return list(labels.source.data["title"])


def test_subjob_data_of_hand_trace() -> None:
    subjobs, jobs = hand_trace()
    jobs["priority"] = [9, 1, 3]
    data = subjob_data(subjobs, jobs, ["SA-X", "SA-Y"])
    assert data["lane"].tolist() == [0, 1, 0]
    assert data["start"].tolist() == [1.0, 3.0, 3.0]  # us
    assert data["finish"].tolist() == [3.0, 4.0, 8.0]
    assert data["latency"].tolist() == [2.0, 1.0, 5.0]
    assert data["stall"].tolist() == [0.0, 0.0, 0.0]
    assert data["job_id"].tolist() == [0, 0, 1]
    assert data["status"] == ["met", "met", "missed"]
    assert data["priority"].tolist() == [9, 9, 1]
    assert data["tenant"] == ["1", "1", "0"]
    assert data["sa_label"] == ["SA-X", "SA-Y", "SA-X"]
    assert data["deadline"].tolist() == [9.0, 9.0, 5.0]
    # Without a job table: every request counts as met, priorities unknown (-1).
    bare = subjob_data(subjobs, None, ["SA-X", "SA-Y"])
    assert bare["status"] == ["met"] * 3
    assert bare["priority"].tolist() == [-1] * 3
    # In a chart of several runs: the run's name, its lanes from its first one.
    placed = subjob_data(subjobs, jobs, ["SA-X", "SA-Y"], name="edf", first=12.0)
    assert placed["lane"].tolist() == [12, 13, 12]
    assert placed["run"] == ["edf"] * 3


def test_stall_is_the_time_beyond_the_stall_free_latency() -> None:
    subjobs, jobs = hand_trace()
    subjobs.loc[2, "latency_cycles"] = 3500.0  # ran 5000 cycles, 1500 of them stalled
    data = subjob_data(subjobs, jobs, ["A", "B"])
    assert data["stall"].tolist() == [0.0, 0.0, 1.5]


def test_request_data_marks_deadlines_and_lateness() -> None:
    _, jobs = hand_trace()
    data = request_data(jobs, lane=2)
    assert data["lane"].tolist() == [2, 2, 2]
    assert data["deadline"].tolist() == [9.0, 5.0, 6.0]
    # Only the missed request (1) has a line from its deadline to its finish.
    assert data["late_end"].tolist() == [9.0, 8.0, 6.0]
    assert data["color"] == [interactive.STATUS_COLORS[s] for s in ("met", "missed", "dropped")]
    assert data["priority"].tolist() == [-1, -1, -1]


def test_dram_demand_of_hand_trace() -> None:
    subjobs, _ = hand_trace()
    subjobs["bandwidth_bytes_per_cycle"] = [2.0, 3.0, 5.0]
    t, d = dram_demand(subjobs)
    # a on [1000, 3000), b on [3000, 4000), c on [3000, 8000)
    assert t.tolist() == [1000.0, 3000.0, 4000.0, 8000.0]
    assert d.tolist() == [2.0, 8.0, 5.0, 0.0]
    empty_t, empty_d = dram_demand(subjobs.iloc[:0])
    assert len(empty_t) == len(empty_d) == 0


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(1, 20), st.integers(1, 9)),
                min_size=1, max_size=30))
def test_dram_demand_is_the_sum_of_running_bandwidths(rows: list[tuple[int, int, int]]) -> None:
    start = np.array([r[0] for r in rows], dtype=float)
    finish = start + np.array([r[1] for r in rows], dtype=float)
    bw = np.array([r[2] for r in rows], dtype=float) / 4
    subjobs = pd.DataFrame({"start": start, "finish": finish, "bandwidth_bytes_per_cycle": bw})
    t, d = dram_demand(subjobs)
    assert np.all(np.diff(t) > 0)
    for k, tk in enumerate(t):
        running = (start <= tk) & (tk < finish)
        assert d[k] == pytest.approx(bw[running].sum(), abs=1e-9)
    assert d[-1] == 0.0
    # The area under the demand is the bytes the SJs ask for at their stall-free rates.
    assert np.sum(d[:-1] * np.diff(t)) == pytest.approx(np.sum(bw * (finish - start)))


def _ticks(fig: Figure) -> dict[float, str]:
    """The y axis's labels by lane (rounded: lanes are sums of fractions)."""
    return {round(float(y), 6): label for y, label in fig.yaxis.major_label_overrides.items()}


def _bars(fig: Figure) -> object:
    """The renderer of the sub-jobs' bars."""
    [bars] = [r for r in fig.renderers if isinstance(r.glyph, HBar) and r.glyph.y == "lane"]
    return bars


def test_layout_stacks_every_run_in_one_chart() -> None:
    a_sj, a_jobs = synthetic_run(30, seed=1)
    b_sj, _ = synthetic_run(30, seed=2)
    labels = [f"SA{i}" for i in range(6)]
    layout = gantt_layout([GanttRun("a", a_sj, a_jobs), GanttRun("b", b_sj, None)],
                          sa_labels=labels, dram_bandwidth=16.0)
    [fig] = _figures(layout)  # one chart: one time axis, so zoom and pan apply to every run
    assert fig.output_backend == "canvas"
    assert isinstance(fig.x_range, Range1d)
    assert fig.x_range.start < 0 < b_sj["finish"].max() / 1e3 < fig.x_range.end
    assert [t.split(":")[0] for t in _titles(fig)] == ["a", "b"]
    assert "SLA" in _titles(fig)[0] and "SLA" not in _titles(fig)[1]  # b has no job table
    # Lanes, top to bottom: a's title row, SAs, deadlines, DRAM band (from 7.6 to 10.1), a gap
    # of 0.5; b's title row, SAs (no deadline lane: b has no job table), DRAM band.
    ticks = _ticks(fig)
    assert [ticks[float(y)] for y in range(8)] == ["a", *labels, DEADLINE_LANE]
    assert ticks[10.6] == "b"
    assert [ticks[round(y, 6)] for y in np.arange(6) + 11.6] == labels
    assert fig.y_range.start > fig.y_range.end  # lanes grow downwards
    data = _bars(fig).data_source.data  # type: ignore[attr-defined]
    np.testing.assert_allclose(data["lane"], [*(a_sj["sa"] + 1), *(b_sj["sa"] + 11.6)],
                               rtol=1e-6)
    assert data["run"] == ["a"] * len(a_sj) + ["b"] * len(b_sj)
    hover = [t for t in fig.tools if isinstance(t, HoverTool)]
    assert ("request", "@job_id (@status)") in hover[0].tooltips
    assert any(isinstance(t, TapTool) for t in fig.tools)
    scroll = fig.toolbar.active_scroll
    assert scroll.dimensions == "width" and scroll.modifiers == {"ctrl": True}


def test_dram_lane_of_hand_trace() -> None:
    subjobs, jobs = hand_trace()
    subjobs["bandwidth_bytes_per_cycle"] = [2.0, 3.0, 5.0]  # D: 2, 8, 5, 0 from 1, 3, 4, 8 us
    halved = subjobs.assign(bandwidth_bytes_per_cycle=subjobs["bandwidth_bytes_per_cycle"] / 2)
    layout = gantt_layout([GanttRun("x", subjobs, jobs), GanttRun("y", halved, None)],
                          sa_labels=["A", "B"], dram_bandwidth=6.0)
    [fig] = _figures(layout)
    [steps] = [r.data_source.data for r in fig.renderers if isinstance(r.glyph, Step)]
    peak = 8.0 * 1.05  # the highest demand of any run, and a margin
    # x's DRAM band has 0 at lane 3 + 0.6 + 2.5 (title row 0, SAs 1 and 2, deadlines 3, a gap
    # of 0.6); y's title row is 0.5 below that, its SAs at 7.6 and 8.6, its band's 0 at 11.7.
    bases = [6.1, 11.7]
    expected = [b - np.array([2.0, 8.0, 5.0, 0.0]) / peak * 2.5 / k
                for b, k in zip(bases, (1, 2), strict=True)]
    t, y = np.asarray(steps["t"]), np.asarray(steps["y"])
    assert np.isnan(t[4]) and np.isnan(y[4]) and len(t) == 10  # a break between the runs
    np.testing.assert_allclose(t[[0, 1, 2, 3, 5, 6, 7, 8]], [1.0, 3.0, 4.0, 8.0] * 2)
    np.testing.assert_allclose(y[[0, 1, 2, 3, 5, 6, 7, 8]], np.concatenate(expected))
    # Shaded where D > B = 6: from 3 to 4 us, in x's band only (y's demand stays under 4).
    [over] = [r.data_source.data for r in fig.renderers
              if isinstance(r.glyph, HBar) and r.glyph.left == "left"]
    assert over["left"].tolist() == [3.0] and over["right"].tolist() == [4.0]
    assert over["y"].tolist() == [bases[0] - 1.25]
    ticks = _ticks(fig)
    assert ticks[round(bases[0] - 6.0 / peak * 2.5, 6)] == "B 6 GB/s"
    assert ticks[round(bases[1] - 2.5, 6)] == "DRAM 8.4 GB/s"
    # Each title names its own run's highest demand.
    assert [t.split(", ")[-1] for t in _titles(fig)] == ["peak DRAM demand 8 GB/s",
                                                         "peak DRAM demand 4 GB/s"]
    # With B above every demand, B sits near the band's top: the top's label is left out.
    [high] = _figures(gantt_layout([GanttRun("x", subjobs, jobs)], sa_labels=["A", "B"],
                                   dram_bandwidth=10.0))
    labels = list(_ticks(high).values())
    assert "B 10 GB/s" in labels and not any(v.startswith("DRAM") for v in labels)


def _hex(rgba: tuple[float, ...]) -> str:
    return "#" + "".join(f"{round(255 * c):02x}" for c in rgba[:3])


def test_colours_match_the_static_chart_and_the_switch_swaps_them() -> None:
    subjobs, jobs = synthetic_run(20)
    layout = gantt_layout([GanttRun("x", subjobs, jobs)], sa_labels=[f"S{i}" for i in range(6)],
                          dram_bandwidth=8.0, color_by="tenant")
    [gantt] = _figures(layout)
    bars = _bars(gantt)  # one renderer of every bar
    assert bars.glyph.fill_color.field == "tenant"
    by_tenant = bars.glyph.fill_color.transform
    tenants = sorted(set(subjobs["tenant"]))
    assert list(by_tenant.factors) == [str(t) for t in tenants]
    assert list(by_tenant.palette) == [_hex(category_colors(tenants)[t]) for t in tenants]
    [switch] = layout.select({"type": RadioButtonGroup})
    assert switch.active == 1
    [callback] = switch.js_property_callbacks["change:active"]
    assert isinstance(callback, CustomJS)
    assert callback.args["bars"] == [bars]
    assert callback.args["mappers"]["tenant"] is by_tenant
    by_model = callback.args["mappers"]["model"]
    models = sorted(set(subjobs["model"]))
    assert list(by_model.factors) == models
    assert list(by_model.palette) == [_hex(category_colors(models)[m]) for m in models]
    model_legend, tenant_legend = (callback.args["legends"][k][0] for k in ("model", "tenant"))
    assert (model_legend.visible, tenant_legend.visible) == (False, True)
    for m, color in zip(by_model.factors, by_model.palette, strict=True):
        assert f"background:{color}" in model_legend.text and f"</span> {m}</span>" in \
            model_legend.text
    assert f"</span> tenant {tenants[0]}</span>" in tenant_legend.text


def test_selection_glue_links_every_source() -> None:
    runs = [GanttRun(n, *synthetic_run(10, seed=s)) for n, s in (("a", 1), ("b", 2))]
    layout = gantt_layout(runs, sa_labels=[f"S{i}" for i in range(6)], dram_bandwidth=8.0)
    callbacks = [cb for model in layout.references() if type(model).__name__ == "Selection"
                 for cb in model.js_property_callbacks.get("change:indices", [])]
    # Two sources (every run's bars, every run's deadline markers), each selecting in both;
    # the same request's rows of every run share its job id.
    assert len(callbacks) == 2
    assert all(len(cb.args["sources"]) == 2 for cb in callbacks)
    assert all(len(cb.args["spans"]) == 1 for cb in callbacks)
    assert all(isinstance(cb.args["spans"][0], Span) for cb in callbacks)


@pytest.mark.parametrize(("kw", "match"), [
    ({"color_by": "layer"}, "color_by = 'layer', expected 'model' or 'tenant'"),
    ({"sa_labels": ["one"]}, r"SA indices \[0, 1\] out of range, expected 0..0"),
    ({"backend": "svg"}, r"backend = 'svg', expected one of \['canvas', 'webgl'\]"),
])
def test_bad_options(kw: dict[str, object], match: str) -> None:
    subjobs, jobs = hand_trace()
    args: dict[str, object] = {"sa_labels": ["A", "B"], "dram_bandwidth": 4.0} | kw
    with pytest.raises(ConfigError, match=match):
        gantt_layout([GanttRun("x", subjobs, jobs)], **args)  # type: ignore[arg-type]


def test_bad_tables_and_no_runs() -> None:
    subjobs, jobs = hand_trace()
    with pytest.raises(ConfigError, match="no runs"):
        gantt_layout([], sa_labels=["A", "B"], dram_bandwidth=4.0)
    with pytest.raises(ConfigError, match=r"sub-job trace of x lacks columns \['finish'\]"):
        gantt_layout([GanttRun("x", subjobs.drop(columns="finish"), jobs)], sa_labels=["A", "B"],
                     dram_bandwidth=4.0)
    jobs.loc[0, "status"] = "late"
    with pytest.raises(ConfigError, match=r"status values \['late'\]"):
        gantt_layout([GanttRun("x", subjobs, jobs)], sa_labels=["A", "B"], dram_bandwidth=4.0)


def test_notebook_display_is_a_self_contained_iframe() -> None:
    subjobs, jobs = hand_trace()
    chart = interactive_gantt(subjobs, jobs, sa_labels=["A", "B"], dram_bandwidth=4.0)
    assert isinstance(chart, InteractiveGantt)
    frame = chart._repr_html_()
    assert frame.startswith('<iframe srcdoc="&lt;!DOCTYPE html&gt;')
    page = html.unescape(frame.split('srcdoc="')[1].split('"')[0])
    assert "Bokeh" in page and '"job_id"' in page  # BokehJS and the data, inlined
    assert not re.search(EXTERNAL, page)
    assert f"height:{interactive.layout_height(chart.layout)}px" in frame
    both = interactive_comparison({"a": (subjobs, jobs), "b": (subjobs, None)},
                                  sa_labels=["A", "B"], dram_bandwidth=4.0)
    [fig] = _figures(both.layout)
    assert [t.split(":")[0] for t in _titles(fig)] == ["a", "b"]


def test_missing_bokeh_raises_missing_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "bokeh", None)  # import bokeh now raises ImportError
    subjobs, jobs = hand_trace()
    with pytest.raises(MissingExtraError, match=r"pip install 'mas-sim\[viz\]'"):
        gantt_layout([GanttRun("x", subjobs, jobs)], sa_labels=["A", "B"], dram_bandwidth=4.0)


def test_result_gantt_interactive_and_its_fallback(monkeypatch: pytest.MonkeyPatch,
                                                  paper_system: object) -> None:
    from matplotlib.axes import Axes

    from mas_sim import simulate
    from mas_sim.workload.scenario import Scenario, build_workload

    scenario = Scenario(workload="light", qos="medium", requests=4, seed=1)
    result = simulate(paper_system, build_workload(paper_system, scenario),  # type: ignore[arg-type]
                      "edf-h", period=scenario.period)
    chart = result.gantt(interactive=True, color_by="tenant")
    assert isinstance(chart, InteractiveGantt)
    assert _titles(_figures(chart.layout)[0])[0].startswith("edf-h: SLA")
    with pytest.raises(ConfigError, match="expected ax=None with interactive=True"):
        result.gantt(ax=Figure(), interactive=True)  # type: ignore[call-overload]
    monkeypatch.setitem(sys.modules, "bokeh", None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ax = result.gantt(interactive=True, color_by="tenant")
    try:
        assert isinstance(ax, Axes)
        assert "pip install 'mas-sim[viz]'" in str(caught[0].message)
        assert "static chart" in str(caught[0].message)
    finally:
        import matplotlib.pyplot as plt

        plt.close(ax.get_figure())  # type: ignore[union-attr]
