"""Parameter sweeps: a grid of experiment points, run on a backend, into one tidy table.

A grid is written ``"policy=fcfs-h,edf-h;seed=1,2,3;bandwidth_gbps=8,16"``: axes separated by
``;``, values by ``,``; integer axes also take ranges ``seed=1..5`` (both ends included). Every
axis and value is checked (:func:`parse_grid`) before anything runs. The grid's points are the
cartesian product of its axes over a base :class:`~mas_sim.runs.experiment.Point` (the fixed
values), in row-major order (the first axis varies slowest).

Backends (:func:`map_points`):

- ``local``: a process pool over the cores (``workers``; 1 runs in this process);
- ``ray``: Ray tasks, on a local Ray runtime started (and stopped) here, or on a running cluster
  given by ``ray_address`` (whose nodes must be able to import mas-sim).

Results (:func:`run_sweep`): one row per point, the point's fields, its ``point_key`` and every
field of ``mas-sim run --json`` (per-model/tenant/priority dicts flattened to
``sla_by_model.<name>`` columns). Rows are in grid order whichever backend ran them, and every
column but :data:`~mas_sim.runs.experiment.WALL_COLUMNS` (wall-clock times, last in the table) is a
deterministic function of the point: :func:`deterministic` drops those for comparisons. The file
(CSV, ``.csv.gz``, or Parquet if pyarrow is installed) is rewritten atomically as points finish,
so an interrupted sweep keeps what it finished and ``resume=True`` runs only the rest.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import multiprocessing
import os
import sys
import time
import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from mas_sim.core import stop as stop_signal
from mas_sim.core.errors import ConfigError, MasSimError, unknown_name
from mas_sim.core.files import atomic_path, check_writable
from mas_sim.core.ray_support import repository_on_pythonpath, require_ray
from mas_sim.core.settings import Setting, settings
from mas_sim.runs.experiment import POINT_FIELDS, WALL_COLUMNS, Point, check_point, flat_record

if TYPE_CHECKING:
    import pandas as pd

T = TypeVar("T")
R = TypeVar("R")

BACKENDS: tuple[str, ...] = ("local", "ray")
"""Names accepted as ``backend``."""
FORMATS: tuple[str, ...] = (".csv", ".csv.gz", ".parquet")
"""Suffixes accepted for the results file."""
FLUSH_EVERY_S = 2.0
"""Rewrite the results file at most this often while a sweep runs (seconds), and at its end."""
MAX_POINTS = 100_000
"""Most points a grid may have: a grid is expanded (and checked) before anything runs."""


# -- grid ----------------------------------------------------------------------------------------
def _axes() -> dict[str, tuple[str, Setting]]:
    return {s.user_name(f.name): (f.name, s) for f, s in settings(Point) if s.option}


AXES: dict[str, tuple[str, Setting]] = _axes()
"""Grid axis (a setting's name at the edge, e.g. ``period_us``) -> (field of
:class:`~mas_sim.runs.experiment.Point`, its :class:`~mas_sim.core.settings.Setting`): every
option of ``mas-sim run`` is an axis."""


def _axis_value(axis: str, text: str) -> Any:
    """One value of ``axis`` as typed (the user's unit), checked; ConfigError names both."""
    field, setting = AXES[axis]
    try:
        value = setting.parse(text)
        setting.check(field, setting.inside(value))
        if axis == "hardware" and value != "paper":
            from mas_sim.hardware import SystemSpec

            SystemSpec.from_toml(value)  # raises ConfigError naming the file
    except ConfigError as exc:
        raise ConfigError(f"grid axis {axis}: {exc}") from None
    return value


@dataclass(frozen=True)
class Grid:
    """Axes of a sweep, in order: (axis name, its values)."""

    axes: tuple[tuple[str, tuple[Any, ...]], ...]
    """Each axis with its distinct values, in the order given."""

    @property
    def names(self) -> tuple[str, ...]:
        """The axis names."""
        return tuple(name for name, _ in self.axes)

    def __len__(self) -> int:
        size = 1
        for _, values in self.axes:
            size *= len(values)
        return size


def parse_grid(text: str) -> Grid:
    """Parse ``"axis=v1,v2;axis2=..."`` (axis names also with ``-``; ``a..b`` on integer axes).

    Raises :class:`ConfigError` on an empty grid or axis, an unknown or repeated axis, a
    repeated value, or a value the axis refuses (each message names it and what was expected).
    """
    axes: list[tuple[str, tuple[Any, ...]]] = []
    parts = [p.strip() for p in text.split(";")]
    if not any(parts):
        raise ConfigError(f"grid {text!r} is empty, expected 'axis=v1,v2;axis2=...' with axes "
                          f"among: {', '.join(AXES)}")
    for part in parts:
        if not part:
            continue  # a trailing ';' is harmless
        name, eq, values_text = part.partition("=")
        name = name.strip().replace("-", "_")
        if not eq:
            raise ConfigError(f"grid part {part!r} has no '=', expected 'axis=v1,v2'")
        if name not in AXES:
            raise ConfigError(unknown_name("grid axis", name, AXES))
        if name in dict(axes):
            raise ConfigError(f"grid axis {name!r} is given twice")
        texts = _expand_ranges(name, [v.strip() for v in values_text.split(",")])
        if not texts or any(not t for t in texts):
            raise ConfigError(f"grid axis {name}: values {values_text!r}, expected a "
                              f"comma-separated list of non-empty values")
        values = tuple(_axis_value(name, t) for t in texts)
        if len(set(values)) != len(values):
            dup = next(v for v in values if values.count(v) > 1)
            raise ConfigError(f"grid axis {name}: value {dup!r} is given twice")
        axes.append((name, values))
        grid = Grid(tuple(axes))
        if len(grid) > MAX_POINTS:
            raise ConfigError(f"grid {text!r} has {len(grid):,} points, more than "
                              f"{MAX_POINTS:,}: split it into several sweeps")
    return Grid(tuple(axes))


def _expand_ranges(axis: str, texts: list[str]) -> list[str]:
    out: list[str] = []
    integer_axes = sorted(a for a, (_, s) in AXES.items() if s.kind is int)
    for t in texts:
        lo, dots, hi = t.partition("..")
        if not dots:
            out.append(t)
            continue
        if axis not in integer_axes:
            raise ConfigError(f"grid axis {axis}: range {t!r}, ranges are for the integer axes "
                              f"({', '.join(integer_axes)})")
        a, b = (_axis_value(axis, x.strip()) for x in (lo, hi))
        if b < a:
            raise ConfigError(f"grid axis {axis}: range {t!r} is empty, expected a..b, a <= b")
        if b - a + 1 + len(out) > MAX_POINTS:
            raise ConfigError(f"grid axis {axis}: range {t!r} has {b - a + 1:,} values, more "
                              f"than a grid may have ({MAX_POINTS:,} points)")
        out.extend(str(v) for v in range(a, b + 1))
    return out


def expand(grid: Grid, base: Point | None = None,
           policy_options: Mapping[str, Mapping[str, Any]] | None = None) -> list[Point]:
    """The grid's points over ``base``, in row-major order, each policy with its options from
    ``policy_options`` (policy name -> factory keywords).

    ``hidden`` concerns RELMAS only: the points of other policies get ``hidden=None``, and
    points that become equal are kept once. A ``hidden`` axis with no RELMAS point is refused.
    """
    base = base if base is not None else Point()
    options = {k: dict(v) for k, v in (policy_options or {}).items()}
    fields_ = [AXES[name][0] for name in grid.names]
    inside = [AXES[name][1].inside for name in grid.names]
    points: list[Point] = []
    seen: set[Point] = set()
    for values in itertools.product(*(v for _, v in grid.axes)):
        p = replace(base, **{f: to_inside(v) for f, to_inside, v
                             in zip(fields_, inside, values, strict=True)})
        opts = {**p.options, **options.get(p.policy, {})}
        p = replace(p, policy_options=tuple(opts.items()))
        if p.policy != "relmas":
            p = replace(p, hidden=None, checkpoint=None)
        if p not in seen:
            seen.add(p)
            points.append(p)
    if "hidden" in grid.names and not any(p.policy == "relmas" for p in points):
        raise ConfigError("grid axis hidden is the RELMAS hidden size, but no point of the grid "
                          "runs the relmas policy")
    return points


def check_points(points: Sequence[Point]) -> None:
    """Raise the first configuration error any point would hit, without simulating anything.
    Policies are created once per distinct configuration (RELMAS loads its checkpoint)."""
    checked: set[Point] = set()
    for p in points:
        # Seeds, request counts and loads do not change what can fail to build.
        probe = replace(p, seed=0, requests=1, load=1.0)
        if probe not in checked:
            checked.add(probe)
            check_point(p)


# -- backends ------------------------------------------------------------------------------------
def map_points(fn: Callable[[T], R], items: Sequence[T], *, backend: str = "local",
               workers: int | None = None, ray_address: str | None = None
               ) -> Iterator[tuple[int, R]]:
    """Yield ``(index, fn(items[index]))`` as each finishes, on ``backend``.

    ``fn`` must be a module-level function (it is pickled). ``workers``: processes (local) or
    CPUs of the Ray runtime started here (default: every core). Exceptions propagate.
    """
    if backend not in BACKENDS:
        raise ConfigError(unknown_name("backend", backend, BACKENDS))
    if workers is not None and workers < 1:
        raise ConfigError(f"workers = {workers!r}, expected a positive integer")
    if not items:
        return iter(())
    if backend == "ray":
        return _ray_map(fn, items, workers, ray_address)
    if ray_address is not None:
        raise ConfigError("--ray-address is for --backend ray")
    n = min(workers or os.cpu_count() or 1, len(items))
    if n == 1:
        return ((i, fn(item)) for i, item in enumerate(items))
    return _pool_map(fn, items, n)


def _worker_init() -> None:
    # One thread per worker: the pool already fills the cores (torch would start one per core).
    os.environ["OMP_NUM_THREADS"] = "1"
    os.environ["MKL_NUM_THREADS"] = "1"


@contextlib.contextmanager
def _main_module_hidden() -> Iterator[None]:
    # A new worker re-imports the parent's main module (to find functions defined there), which
    # re-runs any script or `python -m` entry point without an `if __name__ == "__main__"`
    # guard. The tasks here are library functions, pickled by reference: workers need no main.
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


def _pool_map(fn: Callable[[T], R], items: Sequence[T], workers: int) -> Iterator[tuple[int, R]]:
    # forkserver: workers fork from a clean server process (never from a parent that may hold
    # torch's threads), with the simulator imported once in the server.
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["mas_sim.runs.experiment"])
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx,
                             initializer=_worker_init) as pool:
        with _main_module_hidden():  # the workers start on submit
            futures = {pool.submit(fn, item): i for i, item in enumerate(items)}
        pending = set(futures)
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in done:
                    yield futures[f], f.result()
        finally:
            for f in pending:
                f.cancel()


RAY_CONNECT_TIMEOUT_S = 3.0
"""How long to try a ``host:port`` Ray address before refusing it (Ray itself retries ~25 s)."""


def check_ray_address(address: str) -> None:
    """Refuse at once a ``[ray://]host:port`` address nothing listens on (``auto`` and other
    forms are left to Ray)."""
    import socket

    host, colon, port = address.removeprefix("ray://").rpartition(":")
    if not colon or not port.isdigit() or not host:
        if address != "auto" and not address.startswith("ray://"):
            raise ConfigError(f"--ray-address {address!r}, expected auto, host:port or "
                              f"ray://host:port")
        return
    try:
        with socket.create_connection((host.strip("[]"), int(port)),
                                      timeout=RAY_CONNECT_TIMEOUT_S):
            pass
    except OSError as exc:
        raise ConfigError(f"--ray-address {address!r}: nothing answers at {host}:{port} "
                          f"({exc.strerror or exc}); start the cluster or fix the address"
                          ) from None


def _ray_map(fn: Callable[[T], R], items: Sequence[T], workers: int | None,
             address: str | None) -> Iterator[tuple[int, R]]:
    require_ray("the Ray backend")
    import ray

    started = False
    if not ray.is_initialized():
        if address is not None:
            check_ray_address(address)
        try:
            with repository_on_pythonpath() if address is None else contextlib.nullcontext():
                ray.init(address=address, num_cpus=workers if address is None else None,
                         include_dashboard=False, log_to_driver=False,
                         configure_logging=False)
        except (ConnectionError, RuntimeError, ValueError, TimeoutError) as exc:
            reason = " ".join(str(exc).split())[:200]
            what = f"--ray-address {address!r}" if address else "a local Ray runtime"
            raise ConfigError(f"{what}: Ray could not start or connect ({reason})") from None
        started = True
    try:
        task = ray.remote(num_cpus=1)(fn)
        refs = {task.remote(item): i for i, item in enumerate(items)}
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                yield refs[ref], ray.get(ref)
    finally:
        if started:
            ray.shutdown()


# -- results -------------------------------------------------------------------------------------
@dataclass
class SweepReport:
    """What :func:`run_sweep` did."""

    table: pd.DataFrame
    """Every row of the results file (previous ones first on resume), as read back from it
    (without a file: the rows of this call)."""
    ran: int
    """Points simulated by this call."""
    skipped: int
    """Points skipped because the results file already had them (``resume``)."""
    path: Path | None
    """The results file, if any."""


def check_output(path: str | Path) -> Path:
    """Refuse an output path whose format is unknown, or Parquet without pyarrow."""
    p = Path(path)
    if not any(p.name.endswith(s) for s in FORMATS):
        raise ConfigError(f"--out {str(p)!r}: unknown format, expected a file ending in "
                          f"{', '.join(FORMATS)}")
    if p.name.endswith(".parquet"):
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise ConfigError(f"--out {str(p)!r}: Parquet output needs the package 'pyarrow' "
                              f"(pip install pyarrow), or use a .csv file") from None
    return p


def read_results(path: str | Path) -> pd.DataFrame:
    """Read a sweep's results file (CSV or Parquet); ConfigError if it cannot be read as a
    table (binary, truncated, empty, not UTF-8)."""
    import pandas as pd

    p = Path(path)
    try:
        if p.name.endswith(".parquet"):
            return pd.read_parquet(p)
        return pd.read_csv(p, dtype={"point_key": str, "policy_options": str, "hardware": str,
                                     "checkpoint": str})
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        reason = " ".join(str(exc).split())[:200]
        raise ConfigError(f"results file {str(p)!r} cannot be read as a table ({reason})"
                          ) from None


#: Columns every results row must have, beside the point's own: a row without them did not
#: come from a finished run.
RESULT_COLUMNS: tuple[str, ...] = ("point_key", "met", "missed", "dropped", "sla_satisfaction")


def check_results(table: pd.DataFrame, path: str | Path) -> None:
    """Refuse (ConfigError, one line) a results table that cannot be trusted for ``--resume``:
    a column of the points or of the results missing, or a row whose point columns do not
    make the point its ``point_key`` names, or whose results are missing or inconsistent.
    A damaged row is never counted as done: the whole file is refused, naming the row."""
    from mas_sim.runs.experiment import point_of_row

    where = f"results file {str(path)!r}"
    required = [c for c in (*POINT_FIELDS, *RESULT_COLUMNS) if c in _ALWAYS]
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise ConfigError(f"{where} lacks column(s) {', '.join(missing)}: not the results of a "
                          f"sweep (or of an older version); move it away or use another --out")
    for i, record in enumerate(table.to_dict("records")):
        row = {str(k): v for k, v in record.items()}
        line = f"{where}, row {i + 2}"
        try:
            key = point_of_row(row).key()
        except MasSimError as exc:
            raise ConfigError(f"{line}: {exc}; fix or delete the row") from None
        if key != row["point_key"]:
            raise ConfigError(f"{line}: point_key {row['point_key']!r} is not the key of the "
                              f"row's point ({key}); fix or delete the row")
        counts = [row[c] for c in ("met", "missed", "dropped")]
        if any(not _count(c) for c in counts) or not _count(row["requests"]) or (
                sum(int(c) for c in counts) != int(row["requests"])):
            raise ConfigError(f"{line}: met/missed/dropped {counts} do not add up to its "
                              f"{row['requests']} requests; fix or delete the row")


def _count(value: object) -> bool:
    return isinstance(value, int | float) and value == value and float(value).is_integer() and (
        value >= 0)


#: Columns every results table has: settings added later (``key_default=False``) may be absent
#: from older files, where they were at their default.
_ALWAYS: frozenset[str] = frozenset(
    {"policy", "policy_options", *(a for a, (_, s) in AXES.items() if s.key_default),
     *RESULT_COLUMNS})


def write_results(path: str | Path, table: pd.DataFrame) -> None:
    """Write ``table`` to ``path`` atomically (format from the suffix)."""
    p = Path(path)
    with atomic_path(p) as tmp:
        if p.name.endswith(".parquet"):
            table.to_parquet(tmp, index=False)
        else:
            table.to_csv(tmp, index=False)


def tidy(rows: Sequence[Mapping[str, Any]], previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows (plus ``previous`` ones first) as one table: point fields and key first, then the
    run's fields, the wall-clock columns last."""
    import pandas as pd

    frame = pd.DataFrame(list(rows))
    if previous is not None and len(previous):
        frame = pd.concat([previous, frame], ignore_index=True) if len(frame) else previous
    head = [c for c in (*POINT_FIELDS, "point_key") if c in frame.columns]
    tail = [c for c in WALL_COLUMNS if c in frame.columns]
    middle = [c for c in frame.columns if c not in head and c not in tail]
    return frame[[*head, *middle, *tail]].reset_index(drop=True)


def deterministic(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` without the wall-clock columns (:data:`WALL_COLUMNS`): what must be equal
    between two runs of the same points, whichever backend ran them."""
    return table.drop(columns=[c for c in WALL_COLUMNS if c in table.columns])


def run_sweep(points: Sequence[Point], out: str | Path | None = None, *,
              backend: str = "local", workers: int | None = None,
              ray_address: str | None = None, resume: bool = False, progress: bool = True,
              log: Any = None) -> SweepReport:
    """Run ``points`` on ``backend`` and write one row per point to ``out``.

    Everything is checked first (output format, backend, every point's configuration). With
    ``resume``, points whose key is already in ``out`` are skipped and the new rows appended;
    without it ``out`` is replaced. ``log``: a text stream for the one-line report (default
    stderr; progress bars go to stderr too).
    """
    log = log if log is not None else sys.stderr
    path = check_output(out) if out is not None else None
    if backend not in BACKENDS:
        raise ConfigError(unknown_name("backend", backend, BACKENDS))
    if workers is not None and workers < 1:
        raise ConfigError(f"workers = {workers!r}, expected a positive integer")
    if backend == "ray":
        require_ray("the Ray backend")
        if ray_address is not None:
            check_ray_address(ray_address)
    elif ray_address is not None:
        raise ConfigError("--ray-address is for --backend ray")
    check_points(points)
    if path is not None:
        check_writable(path, "results file")
    previous = None
    if resume and path is not None and path.exists():
        previous = read_results(path)
        check_results(previous, path)
    done = set(previous["point_key"]) if previous is not None else set()
    todo = [p for p in points if p.key() not in done]
    skipped = len(points) - len(todo)
    if skipped:
        print(f"sweep: skipping {skipped} of {len(points)} points already in {path}", file=log)

    from tqdm.auto import tqdm

    rows: dict[int, dict[str, Any]] = {}
    last_flush = -math.inf  # the first finished point is written at once
    flushed = 0

    def table() -> pd.DataFrame:
        return tidy([rows[i] for i in sorted(rows)], previous)

    with tqdm(total=len(todo), desc="sweep", unit="point", disable=not progress,
              file=sys.stderr) as bar:
        try:
            for index, row in map_points(flat_record, todo, backend=backend, workers=workers,
                                         ray_address=ray_address):
                rows[index] = row
                bar.update(1)
                stop_signal.check()  # a Ctrl-C swallowed by a finalizer still stops here
                if path is not None and time.monotonic() - last_flush > FLUSH_EVERY_S:
                    write_results(path, table())
                    last_flush, flushed = time.monotonic(), len(rows)
        finally:  # interrupted (Ctrl-C) or failed: keep every finished point
            if path is not None and len(rows) > flushed:
                write_results(path, table())
    final = table()
    if path is not None:
        if rows or previous is None:
            write_results(path, final)
        final = read_results(path)  # the types a reader of the file sees
    print(f"sweep: ran {len(todo)} points, skipped {skipped}"
          + (f"; results in {path}" if path is not None else ""), file=log)
    return SweepReport(final, len(todo), skipped, path)
