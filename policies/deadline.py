"""Deadline-driven list schedulers: EDF-H, EDF-AC-H and LLF-H (docs/modelling.md section 5).

All order the ready queue and then give each SJ, in that order, the SA on which it would finish
first (:func:`policies.earliest_finish.assign_earliest_finish`). They are strong classical
baselines that the RELMAS paper did not run. EDF-AC-H adds admission control to EDF-H: requests
its plan says will be late go last (:func:`policies.earliest_finish.assign_with_admission`), the
classical remedy for EDF's collapse under overload. Times are cycles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mas_sim.sim.jit import njit
from mas_sim.sim.view import FloatArray, IntArray, Schedule, SchedulerView
from policies.earliest_finish import assign_earliest_finish, assign_with_admission

if TYPE_CHECKING:
    from mas_sim.hardware import SystemSpec


class EdfH:
    """EDF-H: earliest absolute deadline first, then arrival, job id and topological layer order."""

    name = "edf-h"

    def reset(self, system: SystemSpec, seed: int | None = None) -> None:
        """Stateless: nothing to prepare."""

    def schedule(self, view: SchedulerView) -> Schedule:
        """Order by (deadline, arrival, job id, layer index), then earliest-finish SAs."""
        return assign_earliest_finish(view, edf_order(view))


class EdfAcH:
    """EDF-H with admission control: EDF order, but requests planned to be late go last.

    Beyond the papers (our addition): a request whose planned finish, in the EDF earliest-finish
    plan of the requests admitted before it, is after its deadline is deferred behind every
    admitted request (see :func:`policies.earliest_finish.assign_with_admission`).
    """

    name = "edf-ac-h"

    def reset(self, system: SystemSpec, seed: int | None = None) -> None:
        """Stateless: nothing to prepare."""

    def schedule(self, view: SchedulerView) -> Schedule:
        """EDF order, admitted requests first, then earliest-finish SAs."""
        return assign_with_admission(view, edf_order(view))


def edf_order(view: SchedulerView) -> np.ndarray:
    """RQ indices by (deadline, arrival, job id, layer index): each request's SJs stay together."""
    return np.lexsort((view.layer_index, view.job_id, view.arrival, view.deadline))


def critical_path_finish(view: SchedulerView) -> np.ndarray:
    """``[R]`` earliest finish of each SJ relative to ``now`` along its request's remaining DAG.

    ``ef[i] = max(release[i] - now, max over RQ predecessors ef[u]) + min_m latency[i, m]``:
    no contention and unlimited SAs, so a lower bound on the time the SJ needs (cycles).
    Running predecessors enter through ``release``.
    """
    return _critical_path_finish(float(view.now), view.latency, view.release,
                                 view.layer_index, view.pred_indptr, view.pred_indices)


@njit
def _critical_path_finish(now: float, latency: FloatArray, release: FloatArray,
                          layer: IntArray, ptr: IntArray, idx: IntArray) -> FloatArray:
    ef = np.zeros(latency.shape[0])
    # Predecessors have lower layer indices, so a stable sort by layer index is topological.
    for i in np.argsort(layer, kind="mergesort"):
        start = max(release[i] - now, 0.0)
        for q in range(ptr[i], ptr[i + 1]):
            start = max(start, ef[idx[q]])
        ef[i] = start + latency[i].min()
    return ef


def laxity(view: SchedulerView) -> np.ndarray:
    """``[R]`` laxity of each SJ's request: deadline - now - remaining critical-path work, cycles.

    The critical path of a request is the longest :func:`critical_path_finish` over its SJs in
    the RQ (min-over-SAs latencies; running predecessors via ``release``).
    """
    ef = critical_path_finish(view)
    jobs, inverse = np.unique(view.job_id, return_inverse=True)
    cp = np.zeros(jobs.shape[0], dtype=np.float64)
    np.maximum.at(cp, inverse, ef)
    return view.deadline - float(view.now) - cp[inverse]


class LlfH:
    """LLF-H: least laxity first (see :func:`laxity`), then deadline, job id, layer order."""

    name = "llf-h"

    def reset(self, system: SystemSpec, seed: int | None = None) -> None:
        """Stateless: nothing to prepare."""

    def schedule(self, view: SchedulerView) -> Schedule:
        """Order by (laxity, deadline, job id, layer index), then earliest-finish SAs."""
        order = np.lexsort((view.layer_index, view.job_id, view.deadline, laxity(view)))
        return assign_earliest_finish(view, order)
