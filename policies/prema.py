"""PREMA-H (Choi & Rhu, HPCA 2020), as reimplemented in SamsungLabs/Sparse-Multi-DNN-Scheduling.

Token-based preemptive scheduling at layer boundaries, extended to several SAs with the
earliest-finish SA rule (docs/modelling.md section 5):

- a new request's token is its priority (1, 3 or 9);
- at every tick, a waiting request gains ``priority x (now - last tick it was seen) /
  isolated latency`` (cycles / cycles);
- the threshold is 9, 3 or 1: the highest that the largest token reaches;
- candidates (token >= threshold, as the reimplementation does) are served shortest remaining
  work first (``view.remaining_work``), then the other requests by decreasing token;
- within a request, layers keep their topological order.

Tokens live in the policy between calls, keyed by job id; requests no longer in the RQ are
forgotten. Ties: RQ order (deadline).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mas_sim.sim.view import Schedule, SchedulerView
from policies.earliest_finish import assign_earliest_finish

if TYPE_CHECKING:
    from mas_sim.hardware import SystemSpec

#: PREMA's thresholds, highest first.
THRESHOLDS = (9.0, 3.0, 1.0)


class PremaH:
    """PREMA-H: token accumulation, threshold candidates, shortest-remaining among candidates."""

    name = "prema-h"

    def __init__(self) -> None:
        self._tokens: dict[int, float] = {}
        self._last_seen: dict[int, float] = {}

    def reset(self, system: SystemSpec, seed: int | None = None) -> None:
        """Forget every token."""
        self._tokens.clear()
        self._last_seen.clear()

    @property
    def tokens(self) -> dict[int, float]:
        """Current token of each request (job id) seen at the last tick (a copy)."""
        return dict(self._tokens)

    def update_tokens(self, view: SchedulerView) -> dict[int, float]:
        """Create or grow the token of every request in ``view``; forget the others."""
        now = float(view.now)
        tokens: dict[int, float] = {}
        last: dict[int, float] = {}
        prio = view.priority.tolist()
        iso = view.isolated_latency.tolist()
        for i, job in enumerate(view.job_id.tolist()):
            if job in tokens:
                continue
            if job in self._tokens:
                waited = now - self._last_seen[job]
                tokens[job] = self._tokens[job] + prio[i] * waited / max(iso[i], 1.0)
            else:
                tokens[job] = float(prio[i])
            last[job] = now
        self._tokens, self._last_seen = tokens, last
        return tokens

    def schedule(self, view: SchedulerView) -> Schedule:
        """Update tokens, order requests by PREMA's rule, then earliest-finish SAs."""
        tokens = self.update_tokens(view)
        top = max(tokens.values())
        threshold = next((t for t in THRESHOLDS if top >= t), THRESHOLDS[-1])
        remaining = view.remaining_work.tolist()
        jobs = view.job_id.tolist()
        first: dict[int, int] = {}
        for i, job in enumerate(jobs):
            first.setdefault(job, i)

        def job_key(job: int) -> tuple[int, float, int]:
            tok = tokens[job]
            if tok >= threshold:
                return (0, remaining[first[job]], first[job])
            return (1, -tok, first[job])

        rank = {job: r for r, job in enumerate(sorted(first, key=job_key))}
        layer = view.layer_index.tolist()
        order = sorted(range(view.size), key=lambda i: (rank[jobs[i]], layer[i], i))
        return assign_earliest_finish(view, order)
