"""Earliest-finish list scheduling: the contention-free plan every "-H" heuristic builds.

Given an order of the ready queue (first = highest priority), each sub-job (SJ) in turn goes to
the SA on which it would finish first, ``argmin_m max(free_m, est_start_i) + latency[i, m]``,
and that SA's free time moves to the SJ's planned finish. The plan is an estimate made without
DRAM contention: the engine then runs the returned schedule work-conserving, so actual start
times may differ.

Timing assumptions (all cycles): ``free_m`` starts at ``now + sa_busy_for[m]``; an SJ cannot
start before ``release[i]`` (predecessors outside the RQ) nor before the planned finish of its
predecessors inside the RQ. An order should list predecessors before successors; a predecessor
listed later has no planned finish yet and is ignored in the estimate.

It is a kernel tool, beside :mod:`.forecast`: the policies build on it
(:mod:`policies.earliest_finish`), and so does the isolated latency of a model
(:mod:`.isolated`).
"""

from __future__ import annotations

from collections.abc import Sequence

from mas_sim.sim.view import SchedulerView

_UNPLANNED = float("inf")


class EarliestFinishPlan:
    """A list-scheduling plan built one SJ at a time; requests can be tried and withdrawn.

    Pure Python over lists: each :meth:`place` is O(M + in-RQ predecessors), M about 6.
    """

    def __init__(self, view: SchedulerView, *, record: bool = False) -> None:
        self.now = float(view.now)
        self._latency = view.latency.tolist()
        self._release = view.release.tolist()
        # In-RQ predecessors straight from the CSR arrays (cheaper than view.predecessors).
        self._ptr = view.pred_indptr.tolist()
        self._idx = view.pred_indices.tolist()
        self.free = [self.now + b for b in view.sa_busy_for.tolist()]
        """Cycle at which each SA becomes free in the plan."""
        self.planned = [_UNPLANNED] * view.size
        """Planned finish of each SJ (inf = not planned yet)."""
        self.chosen = [0] * view.size
        """SA of each SJ (meaningful once planned)."""
        self.candidates: list[list[float]] | None = [[]] * view.size if record else None
        """With ``record``: the finish SJ ``i`` would have had on every SA when it was last
        placed (cycles); the RELMAS encoder's ``planned_finish`` features."""

    def place(self, i: int) -> float:
        """Put SJ ``i`` on its earliest-finish SA; return its planned finish (cycles)."""
        est = self._release[i]
        if est < self.now:
            est = self.now
        planned = self.planned
        idx = self._idx
        for k in range(self._ptr[i], self._ptr[i + 1]):
            f = planned[idx[k]]
            if est < f < _UNPLANNED:
                est = f
        row = self._latency[i]
        free = self.free
        if self.candidates is not None:
            self.candidates[i] = [(fm if fm > est else est) + lat
                                  for fm, lat in zip(free, row, strict=True)]
        # A plain loop over the M SAs: this is the heuristics' hot path (once per SJ per tick).
        best_m = 0
        best_f = _UNPLANNED
        for m, fm in enumerate(free):
            f = (fm if fm > est else est) + row[m]
            if f < best_f:  # ties: the lower SA index
                best_f, best_m = f, m
        free[best_m] = best_f
        planned[i] = best_f
        self.chosen[i] = best_m
        return best_f

    def place_all(self, sjs: Sequence[int]) -> float:
        """Place ``sjs`` in order; return the latest planned finish among them (cycles)."""
        finish = self.now
        for i in sjs:
            f = self.place(i)
            if f > finish:
                finish = f
        return finish

    def withdraw(self, sjs: Sequence[int], free_before: list[float]) -> None:
        """Undo the placement of ``sjs``, restoring the SA free times saved before it."""
        self.free = list(free_before)
        for i in sjs:
            self.planned[i] = _UNPLANNED
