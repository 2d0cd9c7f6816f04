"""The column contract of the run tables (sub-job trace and job table).

The tables are produced by the run layer's observers (:mod:`mas_sim.runs.monitors`); their
columns (times in cycles of the 1 GHz clock, bandwidth in bytes/cycle, energy in pJ) are fixed
here once for every producer and consumer (Chrome trace, Gantt chart, reports).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from mas_sim.core.errors import ConfigError

#: Sub-job trace, one row per executed SJ (times in cycles).
SUBJOB_COLUMNS: tuple[str, ...] = (
    "job_id", "tenant", "model", "layer", "sa", "sa_class", "arrival", "deadline", "start",
    "finish", "latency_cycles", "bandwidth_bytes_per_cycle", "energy_pj",
)
#: Job table, one row per request (times in cycles; ``finish`` is NaN if it never finished).
JOB_COLUMNS: tuple[str, ...] = (
    "job_id", "tenant", "model", "qos", "arrival", "deadline", "finish", "status",
)
#: Values of the job table's ``status`` column.
JOB_STATUSES: tuple[str, ...] = ("met", "missed", "dropped")


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise :class:`ConfigError` naming the missing ones if ``frame`` lacks any of ``columns``."""
    if not isinstance(frame, pd.DataFrame):
        raise ConfigError(f"{what} = {type(frame).__name__}, expected a pandas DataFrame")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ConfigError(f"{what} lacks columns {missing}, expected at least {list(columns)}")


def require_statuses(jobs: pd.DataFrame) -> None:
    """Raise :class:`ConfigError` if the job table has a status outside :data:`JOB_STATUSES`."""
    bad = sorted(set(jobs["status"].astype(str)) - set(JOB_STATUSES))
    if bad:
        raise ConfigError(f"job table: status values {bad}, expected one of {list(JOB_STATUSES)}")
