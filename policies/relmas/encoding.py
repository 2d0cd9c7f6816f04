"""RELMAS state encoding: the deadline-sorted ready queue as a sequence of feature rows.

One row per sub-job (SJ), ``F = 4 + 2M`` features (RELMAS section 4.1), preceded by a *primer*
row that tells the LSTM how long each SA stays busy (the paper's virtual SJ)::

    row 0 (primer):  [0, 0, 0, 0, work(sa_busy_for[0..M-1]), 0 ... 0]
    row 1 + i (SJ i): [model, layer, tau(deadline - now), tau(now - arrival),
                       work(sa_time[i, 0..M-1]), bandwidth[i, 0..M-1] / B]

``sa_time`` (:attr:`Normalisation.sa_time`) is the paper's per-SA latency of the SJ
(``"latency"``), or, beyond the paper, its *planned finish* on each SA (``"planned_finish"``):
the cycles from now until the SJ would finish on that SA in EDF-AC-H's list-scheduling plan of
the encoded SJs (:func:`policies.earliest_finish.planned_finish`). Why: the SA an SJ should take
depends on what the SJs before it in the tick were given (a running sum of planned work per SA),
which the paper's features leave the LSTM to reconstruct; students of EDF-AC-H given latencies
matched most of its SA choices and still met clearly fewer deadlines on mixed (RESULTS.md
section 1). The forecast makes that sum an input; the actor still chooses priority and SA
freely (the argmin of the row is the teacher's SA; a request the plan defers shows finishes behind
the admitted ones). ``"tenant_plan"`` (the tenant option) is the same forecast in tenant-EDF's
plan (:func:`policies.tenant_edf.tenant_planned_finish`: virtual deadlines shifted by each
tenant's deficit, the fast lane), for students of that teacher.

Normalisation (all features are >= 0; none is clipped):

- ``model = (model index + 1) / number of models``: the index is the model's position in the
  checkpoint's ``model_names``; ``+ 1`` keeps 0 for the primer.
- ``layer = (layer index + 1) / max_layers``: the largest model has its last layer at 1.
- ``tau(t) = log1p(t / time_unit)`` for the deadline slack and the waiting time (cycles),
  ``time_unit`` = the scheduling period Ts by default. The paper only says "normalised"; a log
  keeps the zoo's range (deadlines up to 1e9 cycles) within about 0..10.
- ``work(t)`` for latencies and busy times (cycles) depends on ``time_encoding``: ``"log"``
  (the shipped checkpoints) is ``tau``, which preserves ratios between SAs (differences of
  logs); ``"linear"`` is ``t / time_unit``, which keeps sums: the earliest-finish SA is the
  argmin of busy time + work already planned there + latency, a running *sum* that an LSTM
  forms more easily from linear inputs than from logs.
- bandwidth divided by the DRAM bandwidth B (bytes/cycle), so 1.0 = a layer that alone saturates
  DRAM.

Sequence cap. Training batches hold at most ``max_rq`` SJs per state (the first ``max_rq`` in
deadline order, i.e. the most urgent); the SJs beyond the cap get the *tail rule* of
:func:`tail_schedule` (lowest priorities, fastest SA). Inference runs the whole RQ unless the
policy is given a cap.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt

from mas_sim.core.errors import CheckpointError
from mas_sim.hardware.profile import ModelProfile
from mas_sim.sim.view import SchedulerView
from policies.earliest_finish import planned_finish

FloatArray = npt.NDArray[np.float64]
Array32 = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

#: Encodings of latencies and busy times (:attr:`Normalisation.time_encoding`).
TIME_ENCODINGS: tuple[str, ...] = ("log", "linear")

#: What the per-SA time columns hold (:attr:`Normalisation.sa_time`).
SA_TIMES: tuple[str, ...] = ("latency", "planned_finish", "tenant_plan")

#: Columns the tenant features add (:attr:`Normalisation.tenant_features`).
TENANT_FEATURES = 2

#: Default cap on the SJs per state in training batches (see the module docstring).
DEFAULT_MAX_RQ = 256


def num_features(num_sas: int) -> int:
    """F = 4 + 2M features per SJ."""
    return 4 + 2 * num_sas


def num_actions(num_sas: int) -> int:
    """G = 1 + M action values per SJ: a priority and one score per SA."""
    return 1 + num_sas


@dataclass(frozen=True)
class Normalisation:
    """Scales that turn a view into features; saved in checkpoints so inference matches training."""

    model_names: tuple[str, ...]
    """Models known to the encoder; the model feature is ``(position + 1) / len(model_names)``."""
    max_layers: int
    """Layer count of the largest model; the layer feature is ``(index + 1) / max_layers``."""
    time_unit: float
    """Cycles; every duration ``t`` is encoded as ``log1p(t / time_unit)``."""
    dram_bandwidth: float
    """Bytes/cycle; bandwidths are divided by it."""
    time_encoding: str = "log"
    """How latencies and busy times are encoded: ``"log"`` or ``"linear"`` (module docstring)."""
    sa_time: str = "latency"
    """What the per-SA time columns hold: ``"latency"`` (the paper) or ``"planned_finish"``."""
    lane_sa: int = -1
    """The fast-lane SA of ``sa_time="tenant_plan"`` features (tenant-EDF's, chosen from the
    system when the encoder is made); -1 otherwise."""
    tenant_features: bool = False
    """Beyond the paper (tenant-wise QoS): two more columns per SJ, its tenant's hit-rate deficit
    (``view.tenant_deficit`` clipped to [-1, 1]) and the target it is measured against
    (``view.tenant_target``); F = 4 + 2M + 2."""

    def features(self, num_sas: int) -> int:
        """F of this encoding on ``num_sas`` SAs (:func:`num_features`, + 2 with
        :attr:`tenant_features`)."""
        return num_features(num_sas) + (TENANT_FEATURES if self.tenant_features else 0)

    def __post_init__(self) -> None:
        if self.time_encoding not in TIME_ENCODINGS:
            raise CheckpointError(f"normalisation: time_encoding = {self.time_encoding!r}, "
                                  f"expected one of {list(TIME_ENCODINGS)}")
        if self.sa_time not in SA_TIMES:
            raise CheckpointError(f"normalisation: sa_time = {self.sa_time!r}, "
                                  f"expected one of {list(SA_TIMES)}")
        if self.sa_time == "tenant_plan" and self.lane_sa < 0:
            raise CheckpointError("normalisation: sa_time = 'tenant_plan' needs the lane SA "
                                  "(lane_sa >= 0)")
        if not self.model_names:
            raise CheckpointError("normalisation: model_names is empty")
        if self.max_layers < 1:
            raise CheckpointError(f"normalisation: max_layers = {self.max_layers!r}, expected >= 1")
        for name in ("time_unit", "dram_bandwidth"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise CheckpointError(f"normalisation: {name} = {value!r}, expected a positive "
                                      "finite number")

    @classmethod
    def for_profiles(cls, profiles: Mapping[str, ModelProfile], *, time_unit: float,
                     dram_bandwidth: float, time_encoding: str = "log",
                     sa_time: str = "latency", tenant_features: bool = False,
                     lane_sa: int = -1) -> Normalisation:
        """The normalisation of a workload's models (sorted by name, as the engine numbers them)."""
        names = tuple(sorted(profiles))
        return cls(names, max(profiles[n].num_layers for n in names), float(time_unit),
                   float(dram_bandwidth), time_encoding, sa_time, lane_sa, tenant_features)

    def to_dict(self) -> dict[str, object]:
        """Plain values for a checkpoint (``weights_only`` loading accepts them)."""
        d = asdict(self)
        d["model_names"] = list(self.model_names)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, object]) -> Normalisation:
        """Inverse of :meth:`to_dict`; raises :class:`CheckpointError` on a malformed dict."""
        try:
            return cls(tuple(str(n) for n in d["model_names"]),  # type: ignore[attr-defined]
                       int(d["max_layers"]),  # type: ignore[call-overload]
                       float(d["time_unit"]),  # type: ignore[arg-type]
                       float(d["dram_bandwidth"]),  # type: ignore[arg-type]
                       # Checkpoints written before the option existed encode logs.
                       str(d.get("time_encoding", "log")),
                       str(d.get("sa_time", "latency")),
                       int(d.get("lane_sa", -1)),  # type: ignore[call-overload]
                       bool(d.get("tenant_features", False)))
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(f"checkpoint normalisation is malformed: {exc!r}") from None

    def model_codes(self, view_model_names: Sequence[str]) -> FloatArray:
        """Model feature for every model of a view (indexed by the view's ``model_id``)."""
        index = {n: i for i, n in enumerate(self.model_names)}
        unknown = [n for n in view_model_names if n not in index]
        if unknown:
            raise CheckpointError(f"the encoder was trained on models {list(self.model_names)}; "
                                  f"it has no id for model(s) {unknown}")
        n = len(self.model_names)
        return np.array([(index[name] + 1) / n for name in view_model_names], dtype=np.float64)


def encode(view: SchedulerView, norm: Normalisation, rows: IntArray | None = None, *,
           max_rq: int | None = None, model_codes: FloatArray | None = None) -> Array32:
    """``[1 + R', F]`` float32 features of the view's SJs ``rows`` (default: all), primer first.

    ``rows`` must be increasing RQ indices (so the deadline order is kept); ``max_rq`` keeps only
    the first ``max_rq`` of them. ``model_codes`` (from :meth:`Normalisation.model_codes`) may be
    passed to skip the name lookup on hot paths.
    """
    m = view.num_sas
    if rows is None:
        stop = view.size if max_rq is None else min(view.size, max_rq)

        def take(a: np.ndarray) -> np.ndarray:
            return a[:stop]
    else:
        sel = rows if max_rq is None else rows[:max_rq]

        def take(a: np.ndarray) -> np.ndarray:
            return a[sel]
    codes = norm.model_codes(view.model_names) if model_codes is None else model_codes
    deadline = take(view.deadline)
    r = deadline.shape[0]
    if norm.sa_time == "latency":
        sa_time = take(view.latency)
    else:
        # Planned over every SJ of ``rows``, not only the capped ones, so that a deferred request
        # shows the same finishes as in the deployed actor's uncapped input.
        planned = range(view.size) if rows is None else rows.tolist()
        if norm.sa_time == "tenant_plan":
            from policies.tenant_edf import tenant_planned_finish

            sa_time = tenant_planned_finish(view, np.asarray(planned, dtype=np.int64),
                                            norm.lane_sa)[:r]
        else:
            sa_time = planned_finish(view, planned)[:r]
    out = np.empty((1 + r, norm.features(m)), dtype=np.float32)
    unit = norm.time_unit
    work = np.log1p if norm.time_encoding == "log" else _identity
    out[0] = 0.0
    out[0, 4:4 + m] = work(np.maximum(view.sa_busy_for, 0.0) / unit)
    if r:
        now = view.now
        out[1:, 0] = codes[take(view.model_id)]
        out[1:, 1] = (take(view.layer_index) + 1) / norm.max_layers
        out[1:, 2] = np.log1p(np.maximum(deadline - now, 0.0) / unit)
        out[1:, 3] = np.log1p(np.maximum(now - take(view.arrival), 0.0) / unit)
        out[1:, 4:4 + m] = work(sa_time / unit)
        out[1:, 4 + m:4 + 2 * m] = take(view.bandwidth) / norm.dram_bandwidth
        if norm.tenant_features:
            out[1:, 4 + 2 * m] = np.clip(take(view.tenant_deficit), -1.0, 1.0)
            out[1:, 5 + 2 * m] = take(view.tenant_target)
    return out


def _identity(x: FloatArray) -> FloatArray:
    return x


def decode(actions: npt.NDArray[np.floating], view: SchedulerView) -> tuple[FloatArray, IntArray]:
    """Priorities and SAs of a view from ``[K, G]`` actions for its first K SJs (K <= R).

    Priority of SJ ``i < K`` = ``actions[i, 0]`` (in [-1, 1] from the tanh), SA = argmax of the
    M scores ``actions[i, 1:]`` (ties: the lower SA index). SJs ``K..R-1`` get the tail rule.
    """
    k = actions.shape[0]
    priority, sa = tail_schedule(view, k)
    if k:
        priority[:k] = actions[:, 0]
        sa[:k] = np.argmax(actions[:, 1:], axis=1)
    return priority, sa


def tail_schedule(view: SchedulerView, start: int) -> tuple[FloatArray, IntArray]:
    """Arrays for the whole view, filled for SJs ``start..R-1`` by the tail rule.

    Tail rule (SJs beyond the sequence cap): priorities below any actor output (-2, -3, ... in
    deadline order, so the more urgent goes first) and the SA with the least stall-free latency.
    """
    r = view.size
    priority = np.empty(r, dtype=np.float64)
    sa = np.empty(r, dtype=np.int64)
    if start < r:
        priority[start:] = -2.0 - np.arange(r - start, dtype=np.float64)
        sa[start:] = np.argmin(view.latency[start:], axis=1)
    return priority, sa


class StateEncoder:
    """:func:`encode` with a fixed normalisation and cap; caches the model codes per model list."""

    def __init__(self, norm: Normalisation, max_rq: int | None = DEFAULT_MAX_RQ) -> None:
        self.norm = norm
        self.max_rq = max_rq
        self._codes: dict[tuple[str, ...], FloatArray] = {}

    def __call__(self, view: SchedulerView, rows: IntArray | None = None) -> Array32:
        """``[1 + R', F]`` state of ``view`` (rows ``rows``, capped at ``max_rq``)."""
        codes = self._codes.get(view.model_names)
        if codes is None:
            codes = self._codes[view.model_names] = self.norm.model_codes(view.model_names)
        return encode(view, self.norm, rows, max_rq=self.max_rq, model_codes=codes)

    def empty(self, num_sas: int) -> Array32:
        """The state of an empty RQ after the run's end: one all-zero primer row."""
        return np.zeros((1, self.norm.features(num_sas)), dtype=np.float32)
