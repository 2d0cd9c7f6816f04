"""Recorded arrivals: load a CSV trace, take a window of it, replay it at a load or as is.

A trace is a CSV file with a header row and one row per request:

- a **timestamp** column (``timestamp``, ``time`` or ``arrival``, any case): seconds (numbers
  >= 0) or ISO 8601 date-times (``2023-11-16 18:17:03.97996``; with an offset they are taken in
  UTC), sorted (equal times allowed);
- optional ``model`` (a model name), ``tenant`` (a tenant name or id) and ``qos`` (a QoS factor,
  a positive number, or a level: low, medium, high) columns; what a trace lacks is drawn as for
  synthetic arrivals (:mod:`.mix`);
- optional ``ContextTokens`` and ``GeneratedTokens`` columns (the Azure LLM traces'): their sum
  may pick each request's model size (``models_from="tokens"``, :func:`trace_requests`).

The shipped trace :data:`SHIPPED_TRACES` (``azure-code-2023``) is the code sample of the Azure
LLM inference trace 2023 (CC BY 4.0; attribution in ``mas_sim/workload/data/README.md``): its
timestamps, and with ``models_from="tokens"`` its token counts, are used; nothing else.

**Window and time scale.** The replay takes the ``count`` rows from the first one at or after
``start`` seconds past the trace's first timestamp; the window's first request arrives at cycle
``offset`` and request ``i`` at ``offset + scale x (t_i - t_first) x 1e9`` cycles (the clock is
1 GHz). ``scale = 1`` replays the trace as recorded; by default the scale is chosen so that the
window's mean inter-arrival gap ``(t_last - t_first) / (count - 1)`` gives the load factor asked
for with the window's own requests: ``rho = mean isolated work of its requests / (M x mean gap)``
(the definition :mod:`.arrivals` uses in expectation).

Every error in a trace names the file, the line (the header is line 1) and the value.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mas_sim.core.errors import ConfigError, unknown_name
from mas_sim.core.units import CLOCK_HZ
from mas_sim.sim.requests import Request
from mas_sim.workload.mix import RequestMix
from mas_sim.workload.sets import PREMA_PRIORITIES, QOS_LEVELS, TRACE_MODELS
from mas_sim.workload.tenants import TenantSet

DATA = Path(__file__).resolve().parent / "data"

#: Traces shipped with mas-sim: name -> file in ``mas_sim/workload/data``.
SHIPPED_TRACES: dict[str, Path] = {
    "azure-code-2023": DATA / "azure_llm_inference_2023_code.csv",
}

#: Accepted names of the timestamp column (compared case-insensitively), in order of preference.
TIME_COLUMNS: tuple[str, ...] = ("timestamp", "time", "arrival")
#: The token columns whose sum is a request's size (``models_from="tokens"``).
TOKEN_COLUMNS: tuple[str, ...] = ("contexttokens", "generatedtokens")
MODELS_FROM = TRACE_MODELS
"""How a replay picks the model of a row without a ``model`` column."""

_FIRST_LINE = 2  # line of the first data row (the header is line 1)


@dataclass(frozen=True, eq=False)
class ArrivalTrace:
    """A loaded trace: arrival times and the optional columns, row ``i`` = file line ``i + 2``."""

    source: str
    """The file (or shipped name) it was read from, for messages."""
    seconds: np.ndarray
    """``[N]`` arrival times in seconds since the first row, non-decreasing."""
    model: tuple[str, ...] | None = None
    """Per-row model names, if the trace has a ``model`` column."""
    tenant: tuple[str, ...] | None = None
    """Per-row tenant names or ids (as text), if it has a ``tenant`` column."""
    qos: tuple[str, ...] | None = None
    """Per-row QoS factors or levels (as text), if it has a ``qos`` column."""
    tokens: np.ndarray | None = None
    """``[N]`` context + generated tokens per row, if the trace has both columns."""

    def __len__(self) -> int:
        return int(self.seconds.shape[0])

    def window(self, start: float, count: int) -> slice:
        """Rows of the ``count`` requests from the first one at or after ``start`` seconds."""
        if not (math.isfinite(start) and start >= 0):
            raise ConfigError(f"trace start = {start!r} s, expected a number >= 0")
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ConfigError(f"requests = {count!r}, expected a positive integer")
        first = int(np.searchsorted(self.seconds, start, side="left"))
        available = len(self) - first
        if count > available:
            raise ConfigError(f"trace {self.source}: {available} requests at or after "
                              f"{start:g} s (of {len(self)}), but {count} were asked for "
                              f"(--requests {available} replays them all)")
        return slice(first, first + count)


def resolve(spec: str) -> Path:
    """The file of a trace given by shipped name or path; :class:`ConfigError` if missing."""
    if spec in SHIPPED_TRACES:
        return SHIPPED_TRACES[spec]
    path = Path(spec)
    if not path.is_file():
        raise ConfigError(f"trace {spec!r}: no such file (expected a CSV file or a shipped "
                          f"trace: {', '.join(SHIPPED_TRACES)})")
    return path


_CACHE: dict[tuple[str, float, int], ArrivalTrace] = {}


def load_trace(spec: str) -> ArrivalTrace:
    """Read and check the trace ``spec`` (a shipped name or a CSV path); cached by file state."""
    path = resolve(spec)
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime, stat.st_size)
    hit = _CACHE.get(key)
    if hit is None:
        hit = _CACHE[key] = read_trace(path, spec)
    return hit


def read_trace(path: Path, source: str | None = None) -> ArrivalTrace:
    """Parse the CSV file ``path`` (module docstring); errors name ``source`` (default: the
    path), the line and the value."""
    where = source or str(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False)
    except pd.errors.EmptyDataError:
        raise ConfigError(f"trace {where} is empty (expected a header row with a timestamp "
                          "column, then one row per request)") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ConfigError(f"trace {where} is not a readable CSV file: {exc}") from None
    columns = {str(c).strip().lower(): c for c in frame.columns}
    time_col = next((columns[c] for c in TIME_COLUMNS if c in columns), None)
    if time_col is None:
        raise ConfigError(f"trace {where}: no timestamp column (expected one of "
                          f"{', '.join(TIME_COLUMNS)}; found: "
                          f"{', '.join(map(str, frame.columns))})")
    if not len(frame):
        raise ConfigError(f"trace {where} is empty: a header but no request rows")
    seconds = _seconds(frame[time_col].tolist(), where)

    def texts(name: str) -> tuple[str, ...] | None:
        col = columns.get(name)
        if col is None:
            return None
        values = tuple(str(v).strip() for v in frame[col].tolist())
        empty = next((i for i, v in enumerate(values) if not v), None)
        if empty is not None:
            raise ConfigError(f"trace {where}, line {empty + _FIRST_LINE}: empty {name}")
        return values

    qos = texts("qos")
    if qos is not None:
        for i, v in enumerate(qos):
            _qos_factor(v, 1.0, where, i)
    tokens = None
    if all(c in columns for c in TOKEN_COLUMNS):
        context, generated = (_counts(frame[columns[c]].tolist(), where, columns[c])
                              for c in TOKEN_COLUMNS)
        tokens = context + generated
    return ArrivalTrace(where, seconds, texts("model"), texts("tenant"), qos, tokens)


def _seconds(values: list[str], where: str) -> np.ndarray:
    """Timestamps as seconds since the first row: numbers, else ISO 8601 date-times."""
    text = [str(v).strip() for v in values]
    numbers = pd.to_numeric(pd.Series(text), errors="coerce").to_numpy(np.float64)
    if not math.isnan(numbers[0]):
        kind = "a number of seconds (as the first row's)"
        bad = ~np.isfinite(numbers)
        times = numbers
    else:
        kind = "an ISO 8601 date-time (as the first row's)"
        parsed = pd.to_datetime(pd.Series(text), format="ISO8601", errors="coerce", utc=True)
        bad = parsed.isna().to_numpy()
        times = np.zeros(len(text)) if bad.any() else (
            (parsed - parsed.iloc[0]).dt.total_seconds().to_numpy(np.float64))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ConfigError(f"trace {where}, line {i + _FIRST_LINE}: timestamp {text[i]!r} is not "
                          f"{kind}")
    negative = np.flatnonzero(times < 0)
    if negative.size and not math.isnan(numbers[0]):
        i = int(negative[0])
        raise ConfigError(f"trace {where}, line {i + _FIRST_LINE}: timestamp {text[i]!r} is "
                          "negative, expected seconds >= 0")
    back = np.flatnonzero(np.diff(times) < 0)
    if back.size:
        i = int(back[0]) + 1
        raise ConfigError(f"trace {where}, line {i + _FIRST_LINE}: timestamp {text[i]!r} is "
                          f"before the previous row's {text[i - 1]!r}: the trace must be sorted "
                          "by time")
    return times - times[0]


def _counts(values: list[str], where: str, column: str) -> np.ndarray:
    numbers = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(np.float64)
    bad = np.flatnonzero(~np.isfinite(numbers) | (numbers < 0))
    if bad.size:
        i = int(bad[0])
        raise ConfigError(f"trace {where}, line {i + _FIRST_LINE}: {column} {values[i]!r} is not "
                          "a token count >= 0")
    return numbers


def _qos_factor(text: str, base_qos: float, where: str, row: int) -> float:
    level = text.lower()
    if level in QOS_LEVELS:
        return base_qos * QOS_LEVELS[level]
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ConfigError(f"trace {where}, line {row + _FIRST_LINE}: qos {text!r} is neither a "
                          f"positive QoS factor nor a level ({', '.join(QOS_LEVELS)})")
    return value


def trace_requests(trace: ArrivalTrace, *, mix: RequestMix, isolated_latency: Mapping[str, float],
                   num_sas: int, count: int, load: float, qos_factor: float, base_qos: float,
                   rng: np.random.Generator, start: float = 0.0,
                   time_scale: float | None = None, models_from: str = "draw",
                   priorities: Sequence[int] = PREMA_PRIORITIES,
                   offset: float = 0.0) -> Iterator[Request]:
    """Replay ``count`` rows of ``trace`` from ``start`` seconds (module docstring).

    Per row, in order: the tenant and model (the trace's columns, else drawn by ``mix``; with
    ``models_from="tokens"`` a missing model is the mix's model at the quantile of the row's
    token count within the window), then a priority drawn from ``priorities``. The QoS factor is
    the row's ``qos`` (a level multiplies ``base_qos``), else ``qos_factor``. ``time_scale``:
    None to hit ``load``, else the factor on recorded time (1 = as recorded).
    """
    if models_from not in MODELS_FROM:
        raise ConfigError(unknown_name("trace model source", models_from, MODELS_FROM))
    if time_scale is not None and not (math.isfinite(time_scale) and time_scale > 0):
        raise ConfigError(f"time scale = {time_scale!r}, expected a positive number")
    rows = trace.window(start, count)
    quantiles = None
    if models_from == "tokens" and trace.model is None:
        if trace.tokens is None:
            raise ConfigError(f"trace {trace.source}: models from tokens needs the columns "
                              f"ContextTokens and GeneratedTokens")
        ranks = pd.Series(trace.tokens[rows]).rank(method="first").to_numpy()
        quantiles = (ranks - 0.5) / count
    tenants = mix.tenants
    drawn: list[tuple[int, str, int, float]] = []
    for k, i in enumerate(range(rows.start, rows.stop)):
        tenant = None if trace.tenant is None else _tenant(trace, i, tenants, mix.num_tenants)
        model = None if trace.model is None else _model(trace, i, mix, isolated_latency)
        u = None if quantiles is None else float(quantiles[k])
        tenant, model = mix.draw(rng, tenant=tenant, model=model, u=u)
        priority = int(priorities[int(rng.integers(len(priorities)))])
        qos = (qos_factor if trace.qos is None
               else _qos_factor(trace.qos[i], base_qos, trace.source, i))
        drawn.append((tenant, model, priority, qos))
    seconds = trace.seconds[rows] - trace.seconds[rows.start]
    scale = time_scale if time_scale is not None else load_scale(
        seconds, [mix.work[m] for _, m, _, _ in drawn], num_sas, load, trace.source)
    arrivals = offset + seconds * (scale * CLOCK_HZ)
    return (Request(job_id, model, float(t), float(t) + qos * isolated_latency[model], tenant,
                    priority, qos, target=mix.target(tenant, model))
            for job_id, (t, (tenant, model, priority, qos)) in enumerate(
                zip(arrivals, drawn, strict=True)))


def load_scale(seconds: np.ndarray, work: Sequence[float], num_sas: int, load: float,
               source: str) -> float:
    """The factor on recorded time that gives load factor ``load``: the mean gap of the scaled
    window equals ``mean(work) / (load x num_sas)`` (cycles)."""
    if not load > 0:
        raise ConfigError(f"load = {load!r}, expected a positive number")
    n = len(seconds)
    span = float(seconds[-1] - seconds[0]) if n else 0.0
    if n < 2 or span <= 0:
        raise ConfigError(f"trace {source}: the window's {n} requests span {span:g} s; a replay "
                          "at a load needs at least two distinct times (or give a time scale)")
    mean_gap_cycles = span / (n - 1) * CLOCK_HZ
    target_gap = float(np.mean(work)) / (load * num_sas)
    return target_gap / mean_gap_cycles


def _model(trace: ArrivalTrace, i: int, mix: RequestMix,
           isolated_latency: Mapping[str, float]) -> str:
    assert trace.model is not None
    name = trace.model[i]
    if name not in isolated_latency or name not in mix.work:
        raise ConfigError(f"trace {trace.source}, line {i + _FIRST_LINE}: "
                          + unknown_name("model", name, isolated_latency))
    return name


def _tenant(trace: ArrivalTrace, i: int, tenants: TenantSet | None, count: int) -> int:
    assert trace.tenant is not None
    text = trace.tenant[i]
    if tenants is not None:
        index = tenants.index(text)
        if index is None:
            raise ConfigError(f"trace {trace.source}, line {i + _FIRST_LINE}: "
                              + unknown_name("tenant", text, tenants.names))
        return index
    if not (text.isdigit() and int(text) < count):
        raise ConfigError(f"trace {trace.source}, line {i + _FIRST_LINE}: unknown tenant "
                          f"{text!r} (expected an id 0..{count - 1}, or name the tenants in a "
                          "scenario file)")
    return int(text)
