"""Offline upper bound on deadline hits (CP-SAT): what no online scheduler can beat.

With full knowledge of every arrival, no DRAM contention and free choice of when each layer runs,
how many requests could meet their deadline? The answer, on small instances, bounds the SLA
satisfaction of every online policy from above (docs/modelling.md section 5, "Offline bound").

Model (OR-Tools CP-SAT, optional extra ``exact``): every layer of every request has one optional
interval per SA (exactly one chosen if the request is met, none otherwise), intervals on one SA do
not overlap, a layer starts after its predecessors end and not before its request's arrival, and
a met request's layers all end by its deadline. Maximise the number of met requests. Requests
that are not met are left unscheduled, which only relaxes the problem further.

Integer time: CP-SAT needs integers, so times are expressed in units of ``resolution_cycles`` q
and rounded *down*: durations ``floor(c / q)``, arrivals ``floor(a / q)``, deadlines
``floor(d / q)``. Every feasible real schedule with starts ``s`` maps to the integer schedule
``floor(s / q)``: ``floor(x + y) >= floor(x) + floor(y)`` keeps precedence and SA order,
``s >= a`` gives ``floor(s/q) >= floor(a/q)``, and ``floor(s/q) + floor(c/q) <= floor((s+c)/q)
<= floor(d/q)`` keeps deadlines. So the integer optimum is at least the real one: a true upper
bound, which loosens as ``q`` grows. (Ceiling the durations would not be a relaxation.)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from mas_sim.core.errors import ConfigError, MissingExtraError, ModelError, unknown_name
from mas_sim.hardware import SystemSpec
from mas_sim.hardware.profile import ModelProfile

if TYPE_CHECKING:
    from mas_sim.workload import Workload


class BoundRequest(NamedTuple):
    """One request of the instance (any 4-tuple in this order is accepted too)."""

    job_id: int
    """Request id (used only in messages)."""
    model: str
    """Model name, a key of the ``profiles`` mapping."""
    arrival: float
    """Arrival time, cycles."""
    deadline: float
    """Absolute deadline, cycles (> arrival)."""


@dataclass(frozen=True)
class BoundResult:
    """The offline bound of one instance."""

    met: int
    """Upper bound on the requests any scheduler meets: the optimum if :attr:`optimal`, else the
    solver's proven bound when the time limit stopped it (still an upper bound)."""
    requests: int
    """Number of requests in the instance."""
    sla_satisfaction: float
    """``met / requests`` (1.0 for an empty instance)."""
    optimal: bool
    """True if CP-SAT proved optimality within the time limit."""


def offline_bound(requests: Sequence[tuple[int, str, float, float]],
                  profiles: Mapping[str, ModelProfile], system: SystemSpec, *,
                  time_limit_s: float = 30.0, max_requests: int = 30,
                  resolution_cycles: float = 1.0) -> BoundResult:
    """Most deadlines any schedule could meet for ``requests`` on ``system`` (no contention).

    ``requests``: ``(job_id, model name, arrival, deadline)`` (cycles); ``profiles``: model name
    -> :class:`ModelProfile` with one latency column per SA of ``system``. ``time_limit_s``: CP-SAT
    wall-time limit, seconds (one worker: deterministic). ``max_requests``: refuse larger
    instances (CP-SAT grows fast). ``resolution_cycles``: the time unit q (see module docstring).
    """
    try:
        from ortools.sat.python import cp_model
    except ImportError:
        raise MissingExtraError("the offline bound", "exact", "ortools") from None
    reqs = [BoundRequest(*r) for r in requests]
    _check(reqs, profiles, system, time_limit_s, max_requests, resolution_cycles)
    if not reqs:
        return BoundResult(0, 0, 1.0, True)
    q = float(resolution_cycles)
    model = cp_model.CpModel()
    per_sa: list[list[cp_model.IntervalVar]] = [[] for _ in range(system.num_sas)]
    met_vars = []
    for j, req in enumerate(reqs):
        prof = profiles[req.model]
        lo, hi = math.floor(req.arrival / q), math.floor(req.deadline / q)
        met = model.new_bool_var(f"met{j}")
        met_vars.append(met)
        ends: list[cp_model.IntVar] = []
        for layer in range(prof.num_layers):
            start = model.new_int_var(lo, hi, f"s{j}_{layer}")
            end = model.new_int_var(lo, hi, f"e{j}_{layer}")
            chosen = []
            for m in range(system.num_sas):
                dur = math.floor(float(prof.latency[layer, m]) / q)
                pick = model.new_bool_var(f"x{j}_{layer}_{m}")
                per_sa[m].append(model.new_optional_interval_var(
                    start, dur, end, pick, f"i{j}_{layer}_{m}"))
                chosen.append(pick)
            model.add(sum(chosen) == met)
            for u in prof.predecessors[layer]:
                model.add(ends[u] <= start).only_enforce_if(met)
            ends.append(end)
    for intervals in per_sa:
        model.add_no_overlap(intervals)
    model.maximize(sum(met_vars))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit_s)
    solver.parameters.num_workers = 1
    status = solver.solve(model)
    optimal = status == cp_model.OPTIMAL
    if optimal:
        met_count = round(solver.objective_value)
    elif status == cp_model.FEASIBLE:
        met_count = min(len(reqs), math.floor(solver.best_objective_bound + 1e-6))
    else:  # no solution found in time: fall back on the trivial bound
        met_count = len(reqs)
    return BoundResult(met_count, len(reqs), met_count / len(reqs), optimal)


def workload_bound(workload: Workload, system: SystemSpec, **options: Any) -> BoundResult:
    """:func:`offline_bound` of a generated workload's requests and profiles; ``options`` are
    :func:`offline_bound`'s keywords (``time_limit_s``, ``max_requests``, ``resolution_cycles``)."""
    requests = [(r.job_id, r.model, r.arrival, r.deadline) for r in workload.requests]
    return offline_bound(requests, workload.profiles, system, **options)


def _check(reqs: list[BoundRequest], profiles: Mapping[str, ModelProfile], system: SystemSpec,
           time_limit_s: float, max_requests: int, resolution_cycles: float) -> None:
    if len(reqs) > max_requests:
        raise ConfigError(f"offline bound: {len(reqs)} requests, more than max_requests = "
                          f"{max_requests}; CP-SAT would not finish: use a smaller instance or "
                          f"raise max_requests")
    if not time_limit_s > 0:
        raise ConfigError(f"offline bound: time_limit_s = {time_limit_s!r}, expected > 0")
    if not (math.isfinite(resolution_cycles) and resolution_cycles > 0):
        raise ConfigError(f"offline bound: resolution_cycles = {resolution_cycles!r}, "
                          f"expected a positive number")
    for req in reqs:
        if req.model not in profiles:
            raise ModelError(unknown_name("model", req.model, profiles))
        if profiles[req.model].num_sas != system.num_sas:
            raise ConfigError(f"offline bound: model {req.model!r} has costs for "
                              f"{profiles[req.model].num_sas} SAs, the system has "
                              f"{system.num_sas}")
        if not (math.isfinite(req.arrival) and math.isfinite(req.deadline)
                and req.deadline >= req.arrival >= 0):
            raise ConfigError(f"offline bound: request {req.job_id}: arrival {req.arrival!r} "
                              f"and deadline {req.deadline!r}, expected 0 <= arrival <= deadline")
