"""Tiny hand-made systems, profiles and workloads for engine tests (no zoo, no cost model)."""

from __future__ import annotations

from collections.abc import Sequence

from mas_sim.hardware import SubAcceleratorSpec, SystemSpec, simba_small
from mas_sim.hardware.profile import ModelProfile
from mas_sim.workload import Request, Workload


def toy_system(num_sas: int = 2, bandwidth: float = 16.0) -> SystemSpec:
    """``num_sas`` identical SAs sharing ``bandwidth`` bytes/cycle (their specs do not matter:
    the toy profiles give costs explicitly)."""
    sa: SubAcceleratorSpec = simba_small()
    return SystemSpec((sa,) * num_sas, dram_bandwidth=bandwidth)


def one_layer(name: str, latency: Sequence[float], bandwidth: Sequence[float]) -> ModelProfile:
    """A model with a single layer of the given per-SA latency and bandwidth."""
    return ModelProfile.build(name, ["l0"], [], [list(latency)], [list(bandwidth)])


def workload(requests: Sequence[tuple[str, float, float]], *profiles: ModelProfile,
             priorities: Sequence[int] | None = None) -> Workload:
    """Requests given as (model, arrival, deadline), job ids in order."""
    reqs = [Request(i, model, arrival, deadline,
                    priority=priorities[i] if priorities else 1)
            for i, (model, arrival, deadline) in enumerate(requests)]
    return Workload(reqs, {p.name: p for p in profiles},
                    {p.name: float(p.latency.min(axis=1).sum()) for p in profiles})


class EventLog:
    """Observer that records an exact, ordered event trace."""

    def __init__(self) -> None:
        self.events: list[tuple[object, ...]] = []
        self.views: list[tuple[float, tuple[tuple[int, int], ...]]] = []

    def subjob_started(self, sj, sa, now):  # type: ignore[no-untyped-def]
        self.events.append((now, "start", sj.job.job_id, sj.name, sa))

    def subjob_finished(self, sj, sa, now):  # type: ignore[no-untyped-def]
        self.events.append((now, "finish", sj.job.job_id, sj.name, sa))

    def job_ended(self, job, now):  # type: ignore[no-untyped-def]
        self.events.append((now, job.status, job.job_id))

    def ticked(self, now, view, schedule, seconds):  # type: ignore[no-untyped-def]
        if view is not None:
            pairs = tuple(zip(view.job_id.tolist(), view.layer_index.tolist(), strict=True))
            self.views.append((now, pairs))
