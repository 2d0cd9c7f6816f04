"""Build small hand-made :class:`SchedulerView` objects for policy tests (not a test module)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from mas_sim.sim.view import SchedulerView


def _arr(values: npt.ArrayLike, dtype: type) -> np.ndarray:
    out: np.ndarray = np.array(values, dtype=dtype)
    out.setflags(write=False)
    return out


def make_view(
    latency: npt.ArrayLike,
    *,
    preds: Sequence[Sequence[int]] | None = None,
    job_id: Sequence[int] | None = None,
    layer_index: Sequence[int] | None = None,
    deadline: Sequence[float] | None = None,
    arrival: Sequence[float] | None = None,
    release: Sequence[float] | None = None,
    bandwidth: npt.ArrayLike | None = None,
    priority: Sequence[int] | None = None,
    isolated_latency: Sequence[float] | None = None,
    remaining_work: Sequence[float] | None = None,
    sa_busy_for: Sequence[float] | None = None,
    running_bandwidth: Sequence[float] | None = None,
    tenant: Sequence[int] | None = None,
    tenant_deficit: Sequence[float] | None = None,
    now: float = 0.0,
    period: float = 1000.0,
    dram_bandwidth: float = 16.0,
) -> SchedulerView:
    """A view of R SJs on M SAs; every unspecified field gets a simple default.

    Defaults: each SJ its own job (layer 0), deadline 1e9, arrival 0, release ``now``, bandwidth
    0, priority 1, isolated latency = min latency, remaining work = sum of the job's min latencies
    in the view, SAs idle.
    """
    lat = np.array(latency, dtype=np.float64)
    r, m = lat.shape
    preds_t = tuple(tuple(p) for p in (preds or [()] * r))
    jobs = list(job_id) if job_id is not None else list(range(r))
    if layer_index is None:
        seen: dict[int, int] = {}
        layers = []
        for j in jobs:
            layers.append(seen.get(j, 0))
            seen[j] = seen.get(j, 0) + 1
    else:
        layers = list(layer_index)
    minlat = lat.min(axis=1)
    if remaining_work is None:
        per_job: dict[int, float] = {}
        for j, c in zip(jobs, minlat, strict=True):
            per_job[j] = per_job.get(j, 0.0) + float(c)
        remaining_work = [per_job[j] for j in jobs]
    rel = [now] * r if release is None else list(release)
    ready = [len(preds_t[i]) == 0 and rel[i] <= now for i in range(r)]
    return SchedulerView(
        now=float(now),
        period=float(period),
        latency=_arr(lat, np.float64),
        bandwidth=_arr(np.zeros((r, m)) if bandwidth is None else bandwidth, np.float64),
        energy=_arr(np.zeros((r, m)), np.float64),
        deadline=_arr([1e9] * r if deadline is None else deadline, np.float64),
        arrival=_arr([0.0] * r if arrival is None else arrival, np.float64),
        job_id=_arr(jobs, np.int64),
        model_id=_arr([0] * r, np.int64),
        layer_index=_arr(layers, np.int64),
        ready=_arr(ready, np.bool_),
        release=_arr(rel, np.float64),
        pred_indptr=_arr(np.cumsum([0] + [len(p) for p in preds_t]), np.int64),
        pred_indices=_arr([u for p in preds_t for u in p], np.int64),
        priority=_arr([1] * r if priority is None else priority, np.int64),
        tenant=_arr([0] * r if tenant is None else tenant, np.int64),
        isolated_latency=_arr(minlat if isolated_latency is None else isolated_latency,
                              np.float64),
        remaining_work=_arr(remaining_work, np.float64),
        sa_busy_for=_arr([0.0] * m if sa_busy_for is None else sa_busy_for, np.float64),
        dram_bandwidth=float(dram_bandwidth),
        running_bandwidth=_arr([0.0] * m if running_bandwidth is None else running_bandwidth,
                               np.float64),
        model_names=("toy",),
        tenant_deficit=None if tenant_deficit is None else _arr(tenant_deficit, np.float64),
    )


def random_view(rng: np.random.Generator, *, jobs: int, max_layers: int, sas: int,
                now: float = 0.0, dram_bandwidth: float = 16.0,
                link_releases: bool = False) -> SchedulerView:
    """A random RQ of ``jobs`` requests with chain-or-branch DAGs, deadline-sorted like the engine.

    Latencies 100..2000 cycles, bandwidths 0..12 bytes/cycle, some SAs busy, some releases in the
    future (a predecessor still running).
    """
    rows: list[tuple[float, float, int, int]] = []
    preds_local: list[tuple[int, ...]] = []
    for j in range(jobs):
        n = int(rng.integers(1, max_layers + 1))
        arrival = now - float(rng.integers(0, 2000))
        deadline = now + float(rng.integers(500, 20000))
        for layer in range(n):
            rows.append((deadline, arrival, j, layer))
            if layer == 0:
                preds_local.append(())
            else:
                k = int(rng.integers(1, min(layer, 2) + 1))
                preds_local.append(tuple(sorted({int(x) for x in
                                                 rng.choice(layer, size=k, replace=False)})))
    order = sorted(range(len(rows)), key=lambda i: rows[i])
    index_of = {(rows[i][2], rows[i][3]): pos for pos, i in enumerate(order)}
    preds = []
    for i in order:
        _, _, j, _ = rows[i]
        preds.append(tuple(index_of[(j, p)] for p in preds_local[i]))
    r = len(order)
    job_prio = [int(rng.choice([1, 3, 9])) for _ in range(jobs)]
    release = [now + (float(rng.integers(1, 1500)) if rows[i][3] == 0 and rng.random() < 0.2
                      else 0.0) for i in order]
    busy = [float(rng.integers(0, 1000)) if rng.random() < 0.5 else 0.0 for _ in range(sas)]
    if link_releases and any(busy):
        # Some first layers wait for a running predecessor: release = its projected finish.
        running = [m for m in range(sas) if busy[m] > 0]
        release = [now + busy[int(rng.choice(running))] if rows[i][3] == 0 and rng.random() < 0.4
                   else rel for i, rel in zip(order, release, strict=True)]
    return make_view(
        rng.integers(100, 2000, size=(r, sas)).astype(np.float64),
        preds=preds,
        job_id=[rows[i][2] for i in order],
        layer_index=[rows[i][3] for i in order],
        deadline=[rows[i][0] for i in order],
        arrival=[rows[i][1] for i in order],
        release=release,
        bandwidth=rng.uniform(0.0, 12.0, size=(r, sas)),
        priority=[job_prio[rows[i][2]] for i in order],
        sa_busy_for=busy,
        running_bandwidth=[float(rng.uniform(0, 12)) if b > 0 else 0.0 for b in busy],
        now=now,
        dram_bandwidth=dram_bandwidth,
    )
