"""The golden cases: what :mod:`record` writes and :mod:`test_golden` checks (one definition)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import numpy as np

import policies
from mas_sim import SystemSpec, simulate
from mas_sim.sim.view import Schedule, SchedulerView
from mas_sim.workload.scenario import Scenario, build_workload

#: The deterministic policies whose traces must stay byte-identical.
POLICIES = ("fcfs-h", "prema-h", "herald", "edf-h", "edf-ac-h", "llf-h", "moca")
WORKLOADS = ("light", "heavy", "mixed")
SEEDS = (1, 2)
REQUESTS = 60
#: Summary fields that are wall-clock measurements (they differ from run to run).
WALL = ("sim_wall_s", "policy_wall_s", "decision_us_per_subjob")
#: Ticks at which views are recorded, per (workload, seed) of an EDF-H run.
VIEW_RUNS = (("mixed", 1, 60), ("light", 2, 60), ("heavy", 1, 40))
VIEWS_PER_RUN = 4
#: MAGMA's search on each recorded view (small: the test runs it).
MAGMA_GENERATIONS, MAGMA_POPULATION, MAGMA_SEED = 8, 16, 7
#: Random population whose fitness is recorded on each view.
FITNESS_POPULATION, FITNESS_SEED = 12, 3
#: Shipped RELMAS checkpoints whose decisions are recorded, by the view's workload: hidden sizes
#: (None: the scenario's default checkpoint).
RELMAS_CHECKPOINTS: dict[str, tuple[int | None, ...]] = {
    "mixed": (None, 256), "light": (None,), "heavy": (None,)}


def trace_cases() -> list[tuple[str, str, int]]:
    """(policy, workload, seed) of every recorded run."""
    return [(p, w, s) for p in POLICIES for w in WORKLOADS for s in SEEDS]


def case_key(policy: str, workload: str, seed: int) -> str:
    return f"{policy}/{workload}/{seed}"


def run_trace(policy: str, workload: str, seed: int) -> tuple[dict[str, np.ndarray], dict]:
    """The run's trace arrays and its summary (wall times removed)."""
    system = SystemSpec.paper()
    wl = build_workload(system, Scenario(workload=workload, requests=REQUESTS, seed=seed))
    result = simulate(system, wl, policy, seed=seed)
    sj, jobs = result.subjobs, result.jobs
    arrays = {
        "job": sj["job_id"].to_numpy(np.int64),
        # Layer names as indices into the sorted distinct names (small on disk).
        "layer_names": np.unique(np.asarray(sj["layer"], dtype=str)),
        "layer": np.unique(np.asarray(sj["layer"], dtype=str), return_inverse=True)[1]
        .astype(np.int32),
        "sa": sj["sa"].to_numpy(np.int64),
        "start": sj["start"].to_numpy(np.float64),
        "finish": sj["finish"].to_numpy(np.float64),
        "job_status": np.asarray(jobs["status"], dtype=str),
        "job_finish": jobs["finish"].to_numpy(np.float64),
    }
    summary = {k: v for k, v in result.to_dict().items() if k not in WALL}
    return arrays, summary


class _ViewRecorder:
    def __init__(self, ticks: set[int]) -> None:
        self.ticks = ticks
        self.index = 0
        self.views: list[SchedulerView] = []

    def ticked(self, now: float, view: SchedulerView | None, schedule: object,
               seconds: float) -> None:
        if view is None:
            return
        if self.index in self.ticks:
            self.views.append(view)
        self.index += 1


def view_workloads() -> list[str]:
    """The workload set of each recorded view, in order."""
    return [w for w, _, _ in VIEW_RUNS for _ in range(VIEWS_PER_RUN)]


def record_views() -> list[SchedulerView]:
    """Views of EDF-H runs at spread-out policy calls (small and large RQs, busy SAs)."""
    views: list[SchedulerView] = []
    system = SystemSpec.paper()
    for workload, seed, requests in VIEW_RUNS:
        wl = build_workload(system, Scenario(workload=workload, requests=requests, seed=seed))
        probe = _ViewRecorder(set())
        simulate(system, wl, "edf-h", seed=seed, trace=False, observers=(probe,))
        calls = probe.index
        wanted = {int(x) for x in np.linspace(calls // 5, calls - calls // 5, VIEWS_PER_RUN)}
        rec = _ViewRecorder(wanted)
        simulate(system, wl, "edf-h", seed=seed, trace=False, observers=(rec,))
        assert len(rec.views) == VIEWS_PER_RUN
        views.extend(rec.views)
    return views


_SCALARS = ("now", "period", "dram_bandwidth")


def views_to_arrays(views: list[SchedulerView]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {"count": np.array(len(views))}
    for k, view in enumerate(views):
        for f in fields(SchedulerView):
            value = getattr(view, f.name)
            if f.name == "model_names":
                value = np.array(value)
            out[f"{k}/{f.name}"] = np.asarray(value)
    return out


def views_from_arrays(data: dict[str, np.ndarray]) -> list[SchedulerView]:
    views = []
    for k in range(int(data["count"])):
        kw: dict[str, Any] = {}
        for f in fields(SchedulerView):
            if f"{k}/{f.name}" not in data:
                continue  # a field added after the recording keeps its default
            value = data[f"{k}/{f.name}"]
            if f.name in _SCALARS:
                kw[f.name] = float(value)
            elif f.name == "model_names":
                kw[f.name] = tuple(str(x) for x in value)
            else:
                value = np.array(value)
                value.setflags(write=False)
                kw[f.name] = value
        views.append(SchedulerView(**kw))
    return views


def magma_schedule(view: SchedulerView) -> Schedule:
    policy = policies.make("magma", generations=MAGMA_GENERATIONS, population=MAGMA_POPULATION)
    policy.reset(SystemSpec.paper(), MAGMA_SEED)
    return policy.schedule(view)


def fitness_population(view: SchedulerView) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(FITNESS_SEED)
    sa = rng.integers(0, view.num_sas, size=(FITNESS_POPULATION, view.size))
    priority = rng.random((FITNESS_POPULATION, view.size))
    return sa, priority


def fitness_finish(view: SchedulerView) -> np.ndarray:
    from policies.magma.fitness import FitnessProblem
    from policies.magma.fitness import simulate as fitness_simulate

    return fitness_simulate(FitnessProblem.from_view(view), *fitness_population(view))


def forecast_finish(view: SchedulerView) -> np.ndarray:
    from mas_sim.sim.forecast import forecast

    return forecast(view, policies.make("edf-h").schedule(view))


def relmas_schedule(view: SchedulerView, workload: str, hidden: int | None) -> Schedule:
    policy = policies.make("relmas", workload=workload, hidden=hidden)
    policy.reset(SystemSpec.paper(), 0)
    return policy.schedule(view)


def decisions(views: list[SchedulerView]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for k, (view, workload) in enumerate(zip(views, view_workloads(), strict=True)):
        s = magma_schedule(view)
        out[f"{k}/magma_sa"], out[f"{k}/magma_priority"] = s.sa, s.priority
        out[f"{k}/fitness_finish"] = fitness_finish(view)
        out[f"{k}/forecast_finish"] = forecast_finish(view)
        for hidden in RELMAS_CHECKPOINTS[workload]:
            s = relmas_schedule(view, workload, hidden)
            out[f"{k}/relmas_{hidden}_sa"] = s.sa
            out[f"{k}/relmas_{hidden}_priority"] = s.priority
    return out
