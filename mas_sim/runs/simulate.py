"""The one-call entry point: :func:`simulate` runs a workload under a policy into a :class:`Result`.

This layer wires the engine, the observers and the policy together; the engine itself never
imports a concrete policy (a policy given by name is created through the ``policies`` registry).
"""

from __future__ import annotations

import json
import math
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

import pandas as pd

from mas_sim.core.errors import ConfigError, MissingExtraError
from mas_sim.hardware import SystemSpec
from mas_sim.runs.metrics import serving_metrics, summarize
from mas_sim.runs.monitors import JobRecorder, SchedulerEnergyMonitor, TraceRecorder, UsageMonitor
from mas_sim.sim.batching import BatchingPolicy, BatchingSimulation, BatchProfiles
from mas_sim.sim.dram import BandwidthSharing
from mas_sim.sim.engine import EngineConfig, Simulation
from mas_sim.sim.view import Policy
from mas_sim.workload import Workload

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from mas_sim.output.interactive import InteractiveGantt


@dataclass(eq=False)
class Result:
    """Outcome of one run: summary metrics, the job table and (optionally) the sub-job trace.

    ``summary`` holds the metrics of :func:`mas_sim.runs.metrics.summarize` plus run information
    (policy, ticks, wall times); its scalar entries are also readable as attributes
    (``result.sla_satisfaction``). Times in the tables are cycles.
    """

    policy: str
    system: SystemSpec
    summary: dict[str, Any]
    jobs: pd.DataFrame
    subjobs: pd.DataFrame
    info: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        summary = self.__dict__.get("summary", {})
        if name in summary:
            return summary[name]
        raise AttributeError(name)

    @overload
    def gantt(self, ax: Axes | None = None, *, interactive: Literal[False] = False,
              **options: Any) -> Axes: ...

    @overload
    def gantt(self, ax: None = None, *, interactive: Literal[True],
              **options: Any) -> InteractiveGantt | Axes: ...

    def gantt(self, ax: Axes | None = None, *, interactive: bool = False,
              **options: Any) -> InteractiveGantt | Axes:
        """Gantt chart of the sub-job trace (see :func:`mas_sim.output.plots.gantt` for options).

        ``interactive=True``: the Bokeh chart of
        :func:`mas_sim.output.interactive.interactive_gantt` (hover, zoom, the DRAM lane; option
        ``color_by``), shown inline in notebooks; without the extra ``viz`` it warns and falls
        back to the static chart.
        """
        from mas_sim.output import interactive as live
        from mas_sim.output.plots import gantt

        if interactive and ax is not None:
            raise ConfigError("gantt: ax is for the static chart, expected ax=None with "
                              "interactive=True")
        if interactive and live.have_bokeh():
            return live.interactive_gantt(self.subjobs, self.jobs,
                                          sa_labels=self.system.sa_labels,
                                          dram_bandwidth=self.system.dram_bandwidth,
                                          name=self.policy, **options)
        if interactive:
            warnings.warn(f"{MissingExtraError('the interactive Gantt chart', 'viz', 'bokeh')}; "
                          f"showing the static chart", stacklevel=2)
            options = {k: v for k, v in options.items() if k == "color_by"}
        return gantt(self.subjobs, self.jobs, sa_labels=self.system.sa_labels, ax=ax, **options)

    def save_gantt(self, path: str | Path, **options: Any) -> Path:
        """Write the Gantt chart to ``path`` (PNG by default), atomically."""
        from mas_sim.output.plots import save_gantt

        return save_gantt(path, self.subjobs, self.jobs, self.system.sa_labels, **options)

    def to_chrome_trace(self, path: str | Path) -> Path:
        """Write a Chrome/Perfetto trace of the run to ``path``, atomically."""
        from mas_sim.output.chrome_trace import write_chrome_trace

        return write_chrome_trace(path, self.subjobs, self.jobs, self.system.sa_labels)

    def to_dict(self) -> dict[str, Any]:
        """Summary and run information as plain JSON-ready values (NaN becomes None)."""
        return _jsonable({**self.info, **self.summary})

    def to_json(self, **extra: Any) -> str:
        """:meth:`to_dict` (plus ``extra`` fields) as a JSON string with sorted keys."""
        return json.dumps({**self.to_dict(), **_jsonable(extra)}, sort_keys=True)


def simulate(system: SystemSpec, workload: Workload, policy: Policy | str, *,
             period: float | None = None, seed: int | None = 0, trace: bool = True,
             config: EngineConfig | None = None, sharing: BandwidthSharing | None = None,
             observers: tuple[object, ...] = (), progress: bool = False,
             total_requests: int | None = None,
             batching: BatchingPolicy | str | None = None,
             batch_profiles: BatchProfiles | None = None, serving: bool = False) -> Result:
    """Run ``workload`` on ``system`` under ``policy`` and return the :class:`Result`.

    ``period`` (cycles) overrides ``config.period``. ``seed`` resets the policy's randomness.
    ``trace=False`` keeps no per-sub-job rows (constant memory in the run's length). A policy
    with a ``bandwidth_sharing`` attribute brings its own DRAM sharing rule unless ``sharing``
    is given. ``progress`` shows a progress bar over admitted requests (``total_requests`` sizes
    it when the workload is a generator).

    ``batching`` (a :class:`~mas_sim.sim.batching.BatchingPolicy` or its name in
    ``policies.batching``; ``"none"`` or None: no batching, the plain engine) puts batch queues
    in front of the ready queue (:mod:`mas_sim.sim.batching`); ``batch_profiles(model, b)``
    gives a batch's costs (default: the analytical cost model on ``system``). The summary then
    holds the serving metrics (:func:`mas_sim.runs.metrics.serving_metrics`), as it does with
    ``serving=True``.
    """
    if isinstance(policy, str):
        import policies

        policy = policies.make(policy)
    batcher: BatchingPolicy | None
    if isinstance(batching, str):
        from policies import batching as batching_policies

        serving = True
        batcher = batching_policies.make(batching)
    else:
        batcher = batching
    if batcher is not None:
        serving = True
        batcher.reset(system, tuple(sorted(workload.profiles)), seed)
        if batch_profiles is None:
            from mas_sim.hardware.costmodel import batch_profiles as cost_model_batches

            batch_profiles = cost_model_batches(system)
    cfg = config or EngineConfig()
    if period is not None:
        cfg = EngineConfig(**{**cfg.__dict__, "period": period})
    policy.reset(system, seed)
    sharing = sharing if sharing is not None else getattr(policy, "bandwidth_sharing", None)
    usage = UsageMonitor(system)
    batched = batcher is not None
    jobs = JobRecorder(batching=batched)
    monitors: list[object] = [usage, jobs]
    tracer = TraceRecorder(system, batching=batched) if trace else None
    if tracer is not None:
        monitors.append(tracer)
    energy_fn = getattr(policy, "decision_energy_pj", None)
    sched_energy = SchedulerEnergyMonitor(energy_fn) if callable(energy_fn) else None
    if sched_energy is not None:
        monitors.append(sched_energy)
    if progress:
        monitors.append(_Progress(total_requests or _len_or_none(workload.requests)))
    sim: Simulation
    if batcher is None:
        sim = Simulation(system, workload, policy, cfg, sharing=sharing,
                         observers=(*monitors, *observers))
    else:
        assert batch_profiles is not None
        sim = BatchingSimulation(system, workload, policy, batcher, batch_profiles, cfg,
                                 sharing=sharing, observers=(*monitors, *observers))
    start = time.perf_counter()
    try:
        sim.run()
    finally:
        for m in monitors:
            if isinstance(m, _Progress):
                m.close()
    wall = time.perf_counter() - start
    job_frame = jobs.frame()
    summary = summarize(job_frame, usage, system,
                        scheduler_energy_pj=sched_energy.energy_pj if sched_energy else 0.0)
    if serving:
        summary.update(serving_metrics(job_frame, usage))
    if isinstance(sim, BatchingSimulation):
        summary.update({"batches": sim.batches, "batching_calls": sim.batching_calls})
    executed = max(usage.subjobs, 1)
    summary.update({
        "ticks": sim.ticks,
        "policy_calls": sim.policy_calls,
        "decisions": sim.decisions,
        "replan_factor": sim.decisions / executed,
        "sim_wall_s": wall,
        "policy_wall_s": sim.policy_seconds,
        "decision_us_per_subjob": (sim.policy_seconds / sim.decisions * 1e6
                                   if sim.decisions else 0.0),
    })
    info = {"policy": policy.name, "period_cycles": cfg.period,
            **({"batching": batcher.name} if batcher is not None else {}),
            "dram_bandwidth_gbps": system.dram_bandwidth, "seed": seed,
            "sharing": getattr(sharing, "name", "proportional")}
    subjobs = tracer.frame() if tracer is not None else TraceRecorder(
        system, batching=batched).frame()
    return Result(policy.name, system, summary, job_frame, subjobs, info)


class _Progress:
    """A tqdm bar over admitted requests (an observer)."""

    def __init__(self, total: int | None) -> None:
        from tqdm.auto import tqdm

        # disable=None: no bar when stderr is not a terminal (CI logs, pipes).
        self._bar = tqdm(total=total, unit="req", desc="simulating", leave=False, disable=None)

    def job_admitted(self, job: object, now: float) -> None:
        self._bar.update(1)

    def close(self) -> None:
        self._bar.close()


def _len_or_none(obj: object) -> int | None:
    try:
        return len(obj)  # type: ignore[arg-type]
    except TypeError:
        return None


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
