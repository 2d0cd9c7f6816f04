"""Summary metrics of a run (docs/modelling.md section 6), from the job table and usage counters.

With C_SP a request's isolated latency and C_MP its multi-tenant latency (finish - arrival):

- SLA satisfaction = met / requests (missed and dropped count as not met); also per model,
  tenant and priority class.
- ANTT = mean over finished requests of C_MP / C_SP (lower is better).
- STP = sum over model types of C_SP / mean C_MP (higher is better).
- Fairness = min over model types of NP / max NP, NP = mean C_SP / C_MP per model type; the
  priority-weighted variant (MoCA) uses PP = NP / (P / sum P) with P the mean priority class.
- Jain's index over tenants' SLA rates: (sum x)^2 / (n sum x^2).
- Energy in J, utilisations as fractions of the makespan (first arrival to last finish).

Tenant metrics (:func:`tenant_metrics`, in the summary when some request has a hit-rate target):
a tenant's hit rate is met / its requests; its target is the mean of its requests' targets (so a
tenant with one target per model is held to the request-weighted mix of its promises); it met
its target if hit rate >= target. Over the tenants with a target: how many met it, the worst hit
rate / target, and Jain's index of hit rate / target. Tail latency per tenant: the 95th and 99th
percentiles of C_MP over its finished requests (dropped ones have no latency), seconds.

Serving metrics (:func:`serving_metrics`, in the summary of runs with a batching policy):
throughput = finished (met or missed) requests per second of makespan, goodput = met per
second; latency C_MP of finished requests (mean, p50, p99, seconds); SLO violation rate =
(missed + dropped) / requests; the utility (:func:`mas_sim.sim.batching.utility`); energy per
finished inference (J); mean batch size over batches, overall and per model.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from mas_sim.hardware import SystemSpec
from mas_sim.runs.monitors import UsageMonitor
from mas_sim.sim.batching import utility

CYCLES_PER_SECOND = 1e9
MET_TOLERANCE = 1e-9
"""A tenant meets its target if hit rate / target >= 1 - this: the mean of equal targets can
differ from the target in its last bit."""


def sla_satisfaction(jobs: pd.DataFrame) -> float:
    """Fraction of requests that met their deadline (0 for no requests)."""
    return float((jobs["status"] == "met").mean()) if len(jobs) else 0.0


def sla_by(jobs: pd.DataFrame, column: str) -> dict[str, float]:
    """SLA satisfaction per value of ``column`` (model, tenant, priority)."""
    if not len(jobs):
        return {}
    met = (jobs["status"] == "met").groupby(jobs[column]).mean()
    return {str(k): float(v) for k, v in met.items()}


def normalized_progress(jobs: pd.DataFrame) -> pd.Series:
    """NP = C_SP / C_MP of every finished request."""
    done = jobs[jobs["status"].isin(["met", "missed"])]
    return done["isolated_latency"] / (done["finish"] - done["arrival"])


def antt(jobs: pd.DataFrame) -> float:
    """Average normalised turnaround time over finished requests (NaN if none finished)."""
    np_ = normalized_progress(jobs)
    return float((1.0 / np_).mean()) if len(np_) else math.nan


def stp(jobs: pd.DataFrame) -> float:
    """System throughput: sum over model types of C_SP / mean C_MP."""
    done = jobs[jobs["status"].isin(["met", "missed"])]
    if not len(done):
        return 0.0
    c_mp = (done["finish"] - done["arrival"]).groupby(done["model"]).mean()
    c_sp = done.groupby("model")["isolated_latency"].first()
    return float((c_sp / c_mp).sum())


def fairness(jobs: pd.DataFrame, *, priority_weighted: bool = False) -> float:
    """min NP / max NP over model types (MoCA's PP variant if ``priority_weighted``)."""
    done = jobs[jobs["status"].isin(["met", "missed"])]
    if not len(done):
        return math.nan
    np_ = (done["isolated_latency"] / (done["finish"] - done["arrival"])).groupby(
        done["model"]).mean()
    if priority_weighted:
        p = done.groupby("model")["priority"].mean()
        np_ = np_ / (p / p.sum())
    return float(np_.min() / np_.max())


def jain_index(values: np.ndarray) -> float:
    """Jain's fairness index of non-negative values (1 = all equal); 1 for all zeros."""
    x = np.asarray(values, dtype=float)
    if x.size == 0 or not np.any(x):
        return 1.0
    return float(x.sum() ** 2 / (x.size * np.square(x).sum()))


def mean_tardiness(jobs: pd.DataFrame) -> float:
    """Mean over finished requests of max(0, finish - deadline), cycles."""
    done = jobs[jobs["status"].isin(["met", "missed"])]
    if not len(done):
        return 0.0
    return float(np.maximum(done["finish"] - done["deadline"], 0.0).mean())


def _target_mean(values: pd.Series) -> float:
    """Mean of the non-NaN ``values`` (NaN if there is none); equal values give themselves."""
    x = values.dropna().to_numpy()
    if not len(x):
        return math.nan
    return float(x[0]) if (x == x[0]).all() else float(x.mean())


def tenant_metrics(jobs: pd.DataFrame) -> dict[str, object]:
    """Per-tenant hit rates against targets and tail latencies (module docstring); ``{}`` if no
    request has a target. Tenants are keyed by id (as text)."""
    if "target" not in jobs.columns or not jobs["target"].notna().any():
        return {}
    tenant = jobs["tenant"]
    hit = (jobs["status"] == "met").groupby(tenant).mean()
    # NaN for a tenant without any target; a tenant with one target reports it exactly (a mean
    # of 0.9s can be 0.8999999999999999).
    target = jobs["target"].groupby(tenant).agg(_target_mean)
    ratio = (hit / target).dropna()
    done = jobs[jobs["status"].isin(["met", "missed"])]
    latency = (done["finish"] - done["arrival"]) / CYCLES_PER_SECOND

    def per_tenant(series: pd.Series) -> dict[str, float]:
        return {str(k): float(v) for k, v in series.items()}

    return {
        "tenant_hit_rate": per_tenant(hit),
        "tenant_target": per_tenant(target.dropna()),
        "tenants_with_target": len(ratio),
        "tenants_met": int((ratio >= 1.0 - MET_TOLERANCE).sum()),
        "tenant_worst_ratio": float(ratio.min()),
        "tenant_jain": jain_index(ratio.to_numpy()),
        "tenant_p95_latency_s": per_tenant(latency.groupby(done["tenant"]).quantile(0.95)),
        "tenant_p99_latency_s": per_tenant(latency.groupby(done["tenant"]).quantile(0.99)),
    }


def serving_metrics(jobs: pd.DataFrame, usage: UsageMonitor) -> dict[str, object]:
    """Throughput, latency percentiles, SLO violations, utility, energy per inference and batch
    sizes (module docstring). Without ``batch_id`` / ``batch_size`` columns every request is a
    batch of one."""
    seconds = usage.makespan / CYCLES_PER_SECOND
    done = jobs[jobs["status"].isin(["met", "missed"])]
    latency = (done["finish"] - done["arrival"]) / CYCLES_PER_SECOND
    met = int((jobs["status"] == "met").sum())
    violated = len(jobs) - met
    ell = float((latency * CYCLES_PER_SECOND / done["isolated_latency"]).mean()) \
        if len(done) else math.nan
    if "batch_id" in jobs.columns:
        batched = jobs[jobs["batch_id"] >= 0].drop_duplicates("batch_id")
        sizes, models = batched["batch_size"].astype(float), batched["model"]
    else:
        sizes, models = pd.Series(1.0, index=jobs.index), jobs["model"]

    def q(p: float) -> float:
        return float(latency.quantile(p)) if len(latency) else math.nan

    return {
        "throughput_per_s": len(done) / seconds if seconds else 0.0,
        "goodput_per_s": met / seconds if seconds else 0.0,
        "latency_mean_s": float(latency.mean()) if len(latency) else math.nan,
        "latency_p50_s": q(0.5),
        "latency_p99_s": q(0.99),
        "slo_violation_rate": violated / len(jobs) if len(jobs) else 0.0,
        "utility": utility(met, violated, seconds, ell),
        "energy_per_inference_j": usage.energy_pj * 1e-12 / len(done) if len(done) else math.nan,
        "mean_batch_size": float(sizes.mean()) if len(sizes) else math.nan,
        "mean_batch_size_by_model": {str(k): float(v)
                                     for k, v in sizes.groupby(models).mean().items()},
    }


def summarize(jobs: pd.DataFrame, usage: UsageMonitor, system: SystemSpec, *,
              scheduler_energy_pj: float = 0.0) -> dict[str, object]:
    """All summary metrics as a flat dict (seconds, joules, fractions)."""
    counts = {s: int((jobs["status"] == s).sum()) for s in ("met", "missed", "dropped")}
    makespan = usage.makespan
    energy_pj = usage.energy_pj
    per_tenant = sla_by(jobs, "tenant")
    return {
        "requests": len(jobs),
        **counts,
        "sla_satisfaction": sla_satisfaction(jobs),
        "sla_by_model": sla_by(jobs, "model"),
        "sla_by_tenant": per_tenant,
        "sla_by_priority": sla_by(jobs, "priority"),
        "antt": antt(jobs),
        "stp": stp(jobs),
        "fairness": fairness(jobs),
        "fairness_priority_weighted": fairness(jobs, priority_weighted=True),
        "jain_tenants": jain_index(np.fromiter(per_tenant.values(), float)),
        "energy_j": energy_pj * 1e-12,
        "scheduler_energy_j": scheduler_energy_pj * 1e-12,
        "scheduler_energy_overhead": (scheduler_energy_pj / energy_pj) if energy_pj else 0.0,
        "makespan_s": makespan / CYCLES_PER_SECOND,
        "mean_sa_utilization": (sum(usage.busy) / (system.num_sas * makespan)
                                if makespan else 0.0),
        "dram_utilization": (usage.dram_bytes / (system.dram_bandwidth * makespan)
                             if makespan else 0.0),
        "mean_tardiness_s": mean_tardiness(jobs) / CYCLES_PER_SECOND,
        "subjobs": usage.subjobs,
        **tenant_metrics(jobs),
    }

