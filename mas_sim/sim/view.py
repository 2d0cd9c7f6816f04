"""What a policy sees and returns: :class:`SchedulerView`, :class:`Schedule`, :class:`Policy`.

Policies import only this module (and :mod:`mas_sim.hardware`), never the engine's internals.

At every scheduler tick the engine builds a read-only, array-shaped view of the ready queue (RQ):
R sub-jobs (SJs, one layer of one request each), sorted by absolute deadline (ties: arrival, then
job id, then layer index), and M sub-accelerators (SAs). The policy answers with one priority
and one SA per SJ. During the following period each SA repeatedly starts, among the SJs assigned
to it whose predecessors have all finished, the one with the **highest** priority (ties: lower
RQ index first). SJs not started by the next tick go back to the RQ.

All times are absolute cycles of the 1 GHz system clock (``now`` included); durations in cycles;
bandwidth in bytes/cycle; energy in pJ.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cached_property
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from mas_sim.core.errors import PolicyError
from mas_sim.sim.jit import njit

if TYPE_CHECKING:
    from mas_sim.hardware import SystemSpec

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class SchedulerView:
    """Read-only snapshot of the ready queue and the SAs at one scheduler tick.

    Row ``i`` of every ``[R]`` / ``[R, M]`` array is the i-th SJ of the deadline-sorted RQ.
    Arrays are not writeable.
    """

    now: float
    """Current time, cycles."""
    period: float
    """Scheduling period Ts, cycles: the schedule is used until ``now + period``."""
    latency: FloatArray
    """``[R, M]`` stall-free latency of SJ ``i`` on SA ``m``, cycles."""
    bandwidth: FloatArray
    """``[R, M]`` DRAM bandwidth SJ ``i`` needs on SA ``m`` to run without stalls, bytes/cycle."""
    energy: FloatArray
    """``[R, M]`` energy of SJ ``i`` on SA ``m``, pJ."""
    deadline: FloatArray
    """``[R]`` absolute deadline of the SJ's request, cycles."""
    arrival: FloatArray
    """``[R]`` arrival time of the SJ's request, cycles."""
    job_id: IntArray
    """``[R]`` id of the SJ's request (job)."""
    model_id: IntArray
    """``[R]`` index of the SJ's model in :attr:`model_names`."""
    layer_index: IntArray
    """``[R]`` index of the SJ's layer in its model's topological layer order."""
    ready: BoolArray
    """``[R]`` True where all the SJ's predecessors have finished."""
    release: FloatArray
    """``[R]`` earliest start allowed by predecessors *outside* the RQ: ``now`` if they have all
    finished, else the projected finish (at current DRAM rates) of the latest one still running.
    Predecessors inside the RQ are given by :attr:`predecessors`."""
    pred_indptr: IntArray
    """``[R + 1]`` CSR row pointers of the in-RQ predecessor lists (see :attr:`predecessors`)."""
    pred_indices: IntArray
    """CSR column indices: the predecessors of SJ ``i`` that are themselves in the RQ are
    ``pred_indices[pred_indptr[i]:pred_indptr[i + 1]]`` (RQ indices, all lower than ``i``)."""
    priority: IntArray
    """``[R]`` the request's priority class (PREMA's 1, 3, 9; larger = more important)."""
    tenant: IntArray
    """``[R]`` the request's tenant id."""
    isolated_latency: FloatArray
    """``[R]`` the request's isolated latency C_SP (alone on the idle system), cycles."""
    remaining_work: FloatArray
    """``[R]`` sum over the request's unfinished layers (running ones included) of their
    minimum latency over SAs, cycles: a lower bound on the work the request still needs."""
    sa_busy_for: FloatArray
    """``[M]`` cycles until each SA finishes its running SJ at current DRAM rates (0 if idle)."""
    dram_bandwidth: float
    """Shared DRAM bandwidth B, bytes/cycle."""
    running_bandwidth: FloatArray
    """``[M]`` stall-free bandwidth demand of the SJ running on each SA (0 if idle), bytes/cycle."""
    model_names: tuple[str, ...]
    """Names of the models, indexed by :attr:`model_id`."""
    tenant_deficit: FloatArray = None  # type: ignore[assignment]  # None: zeros, set below
    """``[R]`` hit-rate deficit of the SJ's tenant: the mean target minus the hit rate over the
    tenant's most recent ended requests with a target (:mod:`mas_sim.sim.tenancy`); > 0 below
    target, < 0 above, 0 without targets."""

    tenant_target: FloatArray = None  # type: ignore[assignment]  # None: zeros, set below
    """``[R]`` the mean hit-rate target over the same window (the tenant's hit rate there is
    ``tenant_target - tenant_deficit``); 0 before any of its requests with a target ended."""

    @classmethod
    def trusted(cls, **fields: object) -> SchedulerView:
        """A view of fields the engine built, every one given and valid, without the checks of
        ``__init__`` (one is made per tick)."""
        if len(fields) != _VIEW_FIELDS:
            raise TypeError(f"SchedulerView.trusted: {len(fields)} fields, expected "
                            f"{_VIEW_FIELDS}")
        view = object.__new__(cls)
        view.__dict__.update(fields)
        return view

    def __post_init__(self) -> None:
        for name in ("tenant_deficit", "tenant_target"):
            if getattr(self, name) is None:
                zeros = np.zeros(self.deadline.shape[0])
                zeros.setflags(write=False)
                object.__setattr__(self, name, zeros)

    @property
    def size(self) -> int:
        """R, the number of SJs in the ready queue."""
        return int(self.deadline.shape[0])

    @property
    def num_sas(self) -> int:
        """M, the number of sub-accelerators."""
        return int(self.sa_busy_for.shape[0])

    @cached_property
    def predecessors(self) -> tuple[tuple[int, ...], ...]:
        """For each SJ, the RQ indices of its predecessors that are themselves in the RQ."""
        ptr = self.pred_indptr.tolist()
        idx = self.pred_indices.tolist()
        return tuple(tuple(idx[ptr[i]:ptr[i + 1]]) for i in range(self.size))

    @cached_property
    def successors(self) -> tuple[tuple[int, ...], ...]:
        """For each SJ, the RQ indices of its successors that are in the RQ."""
        succ: list[list[int]] = [[] for _ in range(self.size)]
        for v, preds in enumerate(self.predecessors):
            for u in preds:
                succ[u].append(v)
        return tuple(tuple(s) for s in succ)

    @property
    def edges(self) -> IntArray:
        """``[E, 2]`` (predecessor, successor) pairs of RQ indices."""
        succ = np.repeat(np.arange(self.size, dtype=np.int64), np.diff(self.pred_indptr))
        return np.stack([self.pred_indices.astype(np.int64), succ], axis=1).reshape(-1, 2)


_VIEW_FIELDS = len(fields(SchedulerView))


@dataclass(frozen=True, eq=False)
class Schedule:
    """A policy's decision for every SJ of the view: a priority (higher runs first) and an SA."""

    priority: FloatArray
    """``[R]`` priority of each SJ; finite; higher is served first by its SA."""
    sa: IntArray
    """``[R]`` SA index of each SJ, in ``0 .. M-1``."""

    @classmethod
    def from_order(cls, order: npt.ArrayLike, sa: npt.ArrayLike) -> Schedule:
        """A schedule whose priorities follow ``order`` (RQ indices, first = highest priority)."""
        order_arr = np.asarray(order, dtype=np.int64)
        priority = np.empty(order_arr.shape[0], dtype=np.float64)
        priority[order_arr] = -np.arange(order_arr.shape[0], dtype=np.float64)
        return cls(priority, np.asarray(sa, dtype=np.int64))


@runtime_checkable
class Policy(Protocol):
    """A scheduling policy. ``schedule`` is called once per tick with a non-empty view."""

    name: str

    def reset(self, system: SystemSpec, seed: int | None = None) -> None:
        """Prepare for a new run on ``system``; ``seed`` drives any randomness of the policy."""

    def schedule(self, view: SchedulerView) -> Schedule:
        """Return a priority and an SA for every SJ of ``view``."""


def validate_schedule(schedule: object, view: SchedulerView, policy_name: str) -> Schedule:
    """Check a policy's answer against the view; raise :class:`PolicyError` naming the policy."""
    return check_schedule(schedule, view, f"policy {policy_name!r} returned an invalid schedule")


def check_schedule(schedule: object, view: SchedulerView, where: str) -> Schedule:
    """Shape, SA range and finite priorities of ``schedule`` for ``view``; errors start with
    ``where``."""
    if not isinstance(schedule, Schedule):
        raise PolicyError(f"{where}: expected a Schedule, got {type(schedule).__name__}")
    r, m = view.size, view.num_sas
    priority = np.asarray(schedule.priority)
    sa = np.asarray(schedule.sa)
    if priority.shape != (r,) or sa.shape != (r,):
        raise PolicyError(f"{where}: priority shape {priority.shape} and sa shape {sa.shape}, "
                          f"expected ({r},) for {r} sub-jobs")
    if not (isinstance(schedule.priority, np.ndarray) and isinstance(schedule.sa, np.ndarray)):
        schedule = Schedule(priority, sa)  # built from lists: the engine reads arrays
    if r == 0:
        return schedule
    if sa.dtype.kind not in "iu":
        raise PolicyError(f"{where}: sa has dtype {sa.dtype}, expected integers")
    priority = priority.astype(np.float64, copy=False)
    # Nearly always valid: one compiled pass finds the first bad entry, if any.
    if sa.dtype == np.int64 and _first_invalid(sa, priority, m) < 0:
        return schedule
    bad = np.flatnonzero((sa < 0) | (sa >= m))
    if bad.size:
        i = int(bad[0])
        raise PolicyError(f"{where}: sa[{i}] = {int(sa[i])} is out of range 0..{m - 1}")
    finite = np.isfinite(priority)
    if not finite.all():
        i = int(np.flatnonzero(~finite)[0])
        value = float(priority[i])
        raise PolicyError(f"{where}: priority[{i}] = {value!r}, expected a finite number")
    return schedule


@njit
def _first_invalid(sa: IntArray, priority: FloatArray, num_sas: int) -> int:
    """Index of the first SJ with an SA outside ``0..num_sas-1`` or a non-finite priority, or
    -1."""
    for i in range(sa.shape[0]):
        if sa[i] < 0 or sa[i] >= num_sas or not np.isfinite(priority[i]):
            return i
    return -1
