"""Tests of mas_sim.output.report: the page's sections, self-containment, the static fallback,
atomic writing (the browser test is in test_report_browser.py)."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pandas as pd
import pytest

from mas_sim.output import report
from mas_sim.output.report import ReportRun, report_html, sla_table, write_report
from tests.output.test_gantt_plot import hand_trace

EXTERNAL = r"""<(script|link|img|iframe)\b[^>]*\b(src|href)=["']?(https?:)?//"""
"""An HTML tag that would load something from the network."""
SUMMARY = {"sla_by_model": {"m1": 1.0, "m2": 0.0},
           "sla_by_tenant": {"10": 0.5, "9": 1.0, "1": 0.25},
           "sla_by_priority": {"1": 0.5, "9": None}}


def _runs() -> list[ReportRun]:
    subjobs, jobs = hand_trace()
    return [ReportRun("fcfs-h", subjobs, jobs, SUMMARY),
            ReportRun("edf-h", subjobs, jobs, {"sla_by_model": {"m1": 0.5}})]


def _page(**kw: object) -> str:
    args: dict[str, object] = {
        "sa_labels": ["SA-X", "SA-Y"], "dram_bandwidth": 4.0, "title": "demo <report>",
        "table": pd.DataFrame({"policy": ["fcfs-h", "edf-h"], "SLA": ["33.3%", "66.7%"]}),
        "settings": {"workload": "light", "seed": 3}} | kw
    return report_html(_runs(), **args)  # type: ignore[arg-type]


def test_sla_table_sorts_groups_and_formats_percent() -> None:
    t = sla_table(_runs(), "sla_by_tenant")
    assert list(t.columns) == ["1", "9", "10"]  # numerically, not as text
    assert list(t.index) == ["fcfs-h", "edf-h"]
    assert t.loc["fcfs-h"].tolist() == ["25.0", "100.0", "50.0"]
    assert t.loc["edf-h"].tolist() == ["-", "-", "-"]
    assert sla_table(_runs(), "sla_by_priority").loc["fcfs-h"].tolist() == ["50.0", "-"]


def test_page_has_every_section_in_order() -> None:
    pytest.importorskip("bokeh")
    page = _page()
    assert page.startswith("<!DOCTYPE html>")
    assert "<title>demo &lt;report&gt;</title>" in page  # escaped
    order = [page.index(h) for h in ("<h2>Results</h2>", "<h2>SLA satisfaction",
                                     "<h2>Schedules</h2>", "<h2>Settings</h2>")]
    assert order == sorted(order)
    assert "<td>33.3%</td>" in page and "<td>light</td>" in page
    for group in ("model", "tenant", "priority"):
        assert f"<th>{group}</th>" in page
    # BokehJS and the charts' data are inlined; nothing is loaded from the network.
    assert "/* BEGIN bokeh.min.js */" in page and "/* BEGIN bokeh-gl.min.js */" in page
    assert "bokeh-tables" not in page and "mathjax.min.js" not in page
    assert '"job_id"' in page and "fcfs-h: SLA" in page
    assert not re.search(EXTERNAL, page)


def test_static_fallback_embeds_pngs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report, "have_bokeh", lambda: False)
    page = _page(interactive=None)
    images = re.findall(r'<img class="gantt" alt="Gantt chart of ([^"]+)" '
                        r'src="data:image/png;base64,([^"]+)">', page)
    assert [name for name, _ in images] == ["fcfs-h", "edf-h"]
    assert all(base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n" for _, data in images)
    assert "pip install 'mas-sim[viz]'" in page
    assert "<script" not in page
    assert not re.search(EXTERNAL, page)


def test_write_report_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "r.html"
    out = write_report(target, _runs(), sa_labels=["A", "B"], dram_bandwidth=4.0, title="t",
                       interactive=False)
    assert out == target and target.read_text().startswith("<!DOCTYPE html>")
    old = target.read_bytes()

    def broken(*args: object, **kw: object) -> str:
        raise RuntimeError("render failed")

    monkeypatch.setattr(report, "report_html", broken)
    with pytest.raises(RuntimeError, match="render failed"):
        write_report(target, _runs(), sa_labels=["A", "B"], dram_bandwidth=4.0, title="t")
    assert target.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.undo()
    with pytest.raises(OSError):
        write_report(blocker / "r.html", _runs(), sa_labels=["A", "B"], dram_bandwidth=4.0,
                     title="t", interactive=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "r.html"]
