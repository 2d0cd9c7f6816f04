"""Evaluating a RELMAS actor: SLA satisfaction of the deterministic policy on held-out seeds.

The trainer evaluates every ``eval_every`` episodes to pick its best checkpoint;
:func:`choose_deploy_cap` then picks the checkpoint's default ready-queue cap on the same seeds.
Evaluation seeds select: measure final quality on other seeds.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mas_sim.hardware import SystemSpec
from mas_sim.sim.engine import EngineConfig, Simulation
from mas_sim.sim.jobs import Job
from mas_sim.sim.view import Policy
from policies.relmas.checkpoint import set_deploy_max_rq
from policies.relmas.policy import Relmas
from policies.relmas.rollout import Outcomes
from policies.relmas.scenarios import Scenario


def evaluate(actor_policy: Policy, system: SystemSpec, scenario: Scenario,
             seeds: Sequence[int], requests: int, period: float,
             select_by: str = "sla") -> list[float]:
    """SLA satisfaction (met / requests) of a deterministic policy (the actor's, or any) on
    each seed's workload; with ``select_by="tenants"``, the number of tenants that met their
    hit-rate target plus the SLA satisfaction (so tenants count first, SLA breaks ties)."""
    slas = []
    for seed in seeds:
        outcomes = Outcomes()
        tenants = TenantOutcomes()
        actor_policy.reset(system, seed)
        Simulation(system, scenario(seed, requests), actor_policy,
                   EngineConfig(period=period), observers=[outcomes, tenants]).run()
        slas.append(outcomes.met / requests
                    + (tenants.tenants_met() if select_by == "tenants" else 0))
    return slas


class TenantOutcomes:
    """Hits and targets per tenant of the ended requests with a target (an engine observer)."""

    def __init__(self) -> None:
        self.ended: dict[int, list[tuple[float, bool]]] = {}

    def job_ended(self, job: Job, now: float) -> None:
        """Record ``job``'s tenant, target and outcome."""
        target = job.request.target
        if target is not None:
            self.ended.setdefault(job.request.tenant, []).append((target, job.status == "met"))

    def tenants_met(self) -> int:
        """Tenants whose hit rate reached the mean of their requests' targets
        (``mas_sim.runs.metrics.tenant_metrics``'s rule)."""
        return sum(1 for rows in self.ended.values()
                   if sum(m for _, m in rows) >= sum(t for t, _ in rows) - 1e-9 * len(rows))


def choose_deploy_cap(path: str | Path, cap: int, system: SystemSpec,
                      scenario: Scenario, seeds: Sequence[int], requests: int,
                      period: float) -> dict[str, float]:
    """Evaluate checkpoint ``path`` over the whole RQ and capped at ``cap`` SJs on ``seeds``,
    record the better as its ``deploy_max_rq`` (ties: the whole RQ, as the paper), and return
    both mean SLA satisfactions (``{"none": ..., "cap": ...}``)."""
    means = {}
    for key, max_rq in (("none", None), ("cap", cap)):
        policy = Relmas(checkpoint=path, max_rq=max_rq)
        means[key] = float(np.mean(evaluate(policy, system, scenario, seeds, requests, period)))
    set_deploy_max_rq(path, cap if means["cap"] > means["none"] else None)
    return means
