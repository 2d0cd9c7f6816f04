"""A self-contained HTML report of one run or a comparison of schedulers on one workload.

The page holds, in order: the comparison table (one row per scheduler, as the caller
formatted it), SLA satisfaction by model, tenant and priority class (from each run's summary),
the interactive chart of :mod:`mas_sim.output.interactive` (every scheduler's lanes and DRAM
lane on one time axis), and the run's settings. Every script and style is inlined (BokehJS
included), so the file opens with no network. Without the extra ``viz`` (Bokeh) the charts
fall back to the static PNG charts of :mod:`mas_sim.output.plots`, embedded as data URIs,
with a line saying how to get the interactive ones.

:func:`write_report` writes the page atomically (:mod:`mas_sim.core.files`).
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from mas_sim.core.files import atomic_write_text
from mas_sim.output.interactive import GanttRun, gantt_layout, have_bokeh, html_parts
from mas_sim.output.plots import gantt_image

LARGE_REPORT_SUBJOBS = 200_000
"""Sub-jobs in a report beyond which the CLI says that the page will be slow: past it the page
takes several seconds to open and zooming lags in a browser without a GPU (RESULTS.md section
11 measures 4 x 80,000 sub-jobs)."""

SLA_GROUPS = (("model", "sla_by_model"), ("tenant", "sla_by_tenant"),
              ("priority", "sla_by_priority"))
"""(heading, summary key) of the SLA breakdowns."""

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 16px 24px;
       color: #222; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 22px 0 6px; }
p.note { color: #555; font-size: 13px; margin: 4px 0; }
table.data { border-collapse: collapse; font-size: 13px; }
table.data th, table.data td { padding: 3px 10px; text-align: right;
                               border-bottom: 1px solid #e3e3e3; }
table.data th { background: #f4f4f4; } table.data td:first-child { text-align: left; }
.sla { display: flex; flex-wrap: wrap; gap: 24px; }
img.gantt { max-width: 100%; }
"""


@dataclass(frozen=True)
class ReportRun:
    """One scheduler's run: its name, its tables (docs/architecture.md section 4) and its
    summary metrics."""

    name: str
    subjobs: pd.DataFrame
    jobs: pd.DataFrame
    summary: Mapping[str, Any] = field(default_factory=dict)


def sla_table(runs: Sequence[ReportRun], key: str) -> pd.DataFrame:
    """SLA satisfaction (%) per scheduler (rows) and group (columns) from ``summary[key]``."""
    rows = {r.name: dict(r.summary.get(key) or {}) for r in runs}
    groups = sorted({g for v in rows.values() for g in v},
                    key=lambda g: (0, int(g), "") if str(g).lstrip("-").isdigit() else (1, 0, g))
    return pd.DataFrame([[_percent(v.get(g)) for g in groups] for v in rows.values()],
                        index=list(rows), columns=[str(g) for g in groups])


def _percent(value: Any) -> str:
    return "-" if value is None or value != value else f"{100 * float(value):.1f}"


def _table_html(frame: pd.DataFrame, index: bool) -> str:
    return frame.to_html(index=index, border=0, classes="data", na_rep="-", escape=True)


def _sections(runs: Sequence[ReportRun], table: pd.DataFrame | None) -> str:
    parts = []
    if table is not None:
        parts += ["<h2>Results</h2>", _table_html(table, index=False)]
    sla = [(name, sla_table(runs, key)) for name, key in SLA_GROUPS]
    if any(len(t.columns) for _, t in sla):
        parts.append("<h2>SLA satisfaction (%) by model, tenant and priority class</h2>"
                     '<div class="sla">')
        for name, t in sla:
            t.columns.name = name
            parts.append(f"<div>{_table_html(t, index=True)}</div>")
        parts.append("</div>")
    return "\n".join(parts)


def _settings_html(settings: Mapping[str, Any]) -> str:
    frame = pd.DataFrame({"setting": [str(k) for k in settings],
                          "value": [str(v) for v in settings.values()]})
    return "<h2>Settings</h2>\n" + _table_html(frame, index=False)


def _static_charts(runs: Sequence[ReportRun], sa_labels: Sequence[str]) -> str:
    parts = ['<p class="note">Static charts: install the extra <code>viz</code> '
             "(<code>pip install 'mas-sim[viz]'</code>) for interactive ones.</p>"]
    for r in runs:
        png = gantt_image(r.subjobs, r.jobs, sa_labels, title=r.name)
        data = base64.b64encode(png).decode("ascii")
        parts.append(f'<img class="gantt" alt="Gantt chart of {html.escape(r.name)}" '
                     f'src="data:image/png;base64,{data}">')
    return "\n".join(parts)


def report_html(runs: Sequence[ReportRun], *, sa_labels: Sequence[str], dram_bandwidth: float,
                title: str, table: pd.DataFrame | None = None,
                settings: Mapping[str, Any] | None = None, color_by: str = "model",
                backend: str = "canvas", interactive: bool | None = None) -> str:
    """The report page as a string.

    ``table`` is the comparison table as it should read (its cells are shown as given);
    ``settings`` are shown as name/value pairs; ``dram_bandwidth`` is B in bytes per cycle.
    ``color_by`` and ``backend`` go to :func:`mas_sim.output.interactive.gantt_layout`.
    ``interactive=None`` uses Bokeh if it is installed; ``False`` forces the static charts.
    Raises :class:`~mas_sim.core.errors.ConfigError` on bad tables (see
    :func:`mas_sim.output.interactive.gantt_layout`).
    """
    use_bokeh = have_bokeh() if interactive is None else interactive
    head = ""
    if use_bokeh:
        layout = gantt_layout([GanttRun(r.name, r.subjobs, r.jobs) for r in runs],
                              sa_labels=sa_labels, dram_bandwidth=dram_bandwidth,
                              color_by=color_by, backend=backend)
        head, charts = html_parts(layout)
    else:
        charts = _static_charts(runs, sa_labels)
    body = [f"<h1>{html.escape(title)}</h1>",
            '<p class="note">Times are microseconds (the simulator counts cycles of a 1 GHz '
            "clock); bandwidth is GB/s (bytes per cycle).</p>",
            _sections(runs, table), "<h2>Schedules</h2>", charts]
    if settings:
        body.append(_settings_html(settings))
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n{head}\n</head>\n"
            f"<body>\n{chr(10).join(body)}\n</body>\n</html>\n")


def write_report(path: str | os.PathLike[str], runs: Sequence[ReportRun], **kw: Any) -> Path:
    """Write :func:`report_html` to ``path`` atomically; return the path. OS errors propagate
    as :class:`OSError` with nothing left on disk."""
    return atomic_write_text(path, report_html(runs, **kw))
