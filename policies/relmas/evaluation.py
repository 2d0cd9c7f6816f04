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
from mas_sim.sim.view import Policy
from policies.relmas.checkpoint import set_deploy_max_rq
from policies.relmas.policy import Relmas
from policies.relmas.rollout import Outcomes
from policies.relmas.scenarios import Scenario


def evaluate(actor_policy: Policy, system: SystemSpec, scenario: Scenario,
             seeds: Sequence[int], requests: int, period: float) -> list[float]:
    """SLA satisfaction (met / requests) of a deterministic policy (the actor's, or any) on
    each seed's workload."""
    slas = []
    for seed in seeds:
        outcomes = Outcomes()
        actor_policy.reset(system, seed)
        Simulation(system, scenario(seed, requests), actor_policy,
                   EngineConfig(period=period), observers=[outcomes]).run()
        slas.append(outcomes.met / requests)
    return slas


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
