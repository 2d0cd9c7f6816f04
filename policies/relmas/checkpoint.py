"""RELMAS checkpoints: a dict saved with ``torch.save``, loaded with ``weights_only=True``.

Layout (``version`` 1)::

    {"format": "mas-sim-relmas", "version": 1,
     "hidden": h, "features": F, "num_sas": M, "model_names": [...],
     "normalisation": {...},            # encoding.Normalisation.to_dict()
     "actor": state_dict, "critic": state_dict,
     "config": {...},                   # the training configuration, plain values
     "training": {...}}                 # optional: targets, optimizers, progress (for --resume)

A file that is not such a dict, or was trained for another number of SAs or features, is refused
with :class:`~mas_sim.core.errors.CheckpointError` naming the mismatch. Saving is atomic (temporary
file, then rename), so an interrupted save never leaves half a checkpoint.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from mas_sim.core.errors import CheckpointError
from policies.checkpoints import load_versioned, save_versioned
from policies.relmas.encoding import Normalisation, num_actions
from policies.relmas.networks import Actor, Critic

FORMAT = "mas-sim-relmas"
VERSION = 1


@dataclass(frozen=True, eq=False)
class Checkpoint:
    """A loaded, validated checkpoint."""

    hidden: int
    """LSTM hidden size h."""
    num_sas: int
    """M, the number of SAs it was trained for."""
    normalisation: Normalisation
    """Feature scales and model ids used in training."""
    actor: Mapping[str, torch.Tensor]
    """Actor state dict."""
    critic: Mapping[str, torch.Tensor]
    """Critic state dict."""
    config: Mapping[str, Any] = field(default_factory=dict)
    """Training configuration (informative)."""
    training: Mapping[str, Any] | None = None
    """Resume state (target networks, optimizers, progress), if saved."""

    @property
    def deploy_max_rq(self) -> int | None:
        """The cap on SJs the policy runs with by default (``config["deploy_max_rq"]``, chosen
        on validation seeds by :func:`policies.relmas.evaluation.choose_deploy_cap`); None: the
        whole RQ, as the paper."""
        cap = self.config.get("deploy_max_rq")
        return None if cap is None else int(cap)

    @property
    def features(self) -> int:
        """F = 4 + 2M (+ 2 with tenant features)."""
        return self.normalisation.features(self.num_sas)

    @property
    def actions(self) -> int:
        """G = 1 + M."""
        return num_actions(self.num_sas)

    def build_actor(self) -> Actor:
        """A fresh actor with the checkpoint's weights (eval mode)."""
        actor = Actor(self.features, self.actions, self.hidden)
        actor.load_state_dict(self.actor)
        return actor.eval()

    def build_critic(self) -> Critic:
        """A fresh critic with the checkpoint's weights (eval mode)."""
        critic = Critic(self.features, self.actions, self.hidden)
        critic.load_state_dict(self.critic)
        return critic.eval()


def save_checkpoint(path: str | os.PathLike[str], *, actor: Actor, critic: Critic,
                    normalisation: Normalisation, config: Mapping[str, Any] | None = None,
                    training: Mapping[str, Any] | None = None) -> Path:
    """Write a checkpoint atomically; returns the path."""
    m = actor.actions - 1
    payload: dict[str, Any] = {
        "hidden": actor.hidden, "features": actor.features, "num_sas": m,
        "model_names": list(normalisation.model_names),
        "normalisation": normalisation.to_dict(),
        "actor": actor.state_dict(), "critic": critic.state_dict(),
        "config": dict(config or {}),
    }
    if training is not None:
        payload["training"] = dict(training)
    return save_versioned(path, FORMAT, VERSION, payload)


def set_deploy_max_rq(path: str | os.PathLike[str], cap: int | None) -> Path:
    """Record ``cap`` as the checkpoint's default SJ cap (see :attr:`Checkpoint.deploy_max_rq`),
    rewriting the file atomically; everything else is kept."""
    if cap is not None and (not isinstance(cap, int) or cap < 1):
        raise CheckpointError(f"deploy_max_rq = {cap!r}, expected a positive integer or None")
    load_checkpoint(path)  # validate first
    raw = load_versioned(path, "RELMAS", FORMAT, VERSION)
    raw["config"] = {**dict(raw.get("config", {})), "deploy_max_rq": cap}
    return save_versioned(path, FORMAT, VERSION, raw)


def load_checkpoint(path: str | os.PathLike[str], *, num_sas: int | None = None,
                    hidden: int | None = None) -> Checkpoint:
    """Load and validate ``path``; ``num_sas`` / ``hidden``, if given, must match it."""
    p = Path(path)
    raw = load_versioned(p, "RELMAS", FORMAT, VERSION)
    try:
        ckpt_m = int(raw["num_sas"])
        ckpt_f = int(raw["features"])
        ckpt_h = int(raw["hidden"])
        actor, critic = raw["actor"], raw["critic"]
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{str(p)!r}: checkpoint lacks a valid {exc}") from None
    norm = Normalisation.from_dict(raw.get("normalisation", {}))
    if ckpt_f != norm.features(ckpt_m):
        raise CheckpointError(f"{str(p)!r}: checkpoint has {ckpt_f} features for {ckpt_m} SAs, "
                              f"expected F = 4 + 2M{' + 2' if norm.tenant_features else ''} = "
                              f"{norm.features(ckpt_m)}")
    if num_sas is not None and ckpt_m != num_sas:
        raise CheckpointError(f"{str(p)!r}: checkpoint was trained for {ckpt_m} SAs "
                              f"(F = {ckpt_f}), the system has {num_sas} "
                              f"(F = {norm.features(num_sas)})")
    if hidden is not None and ckpt_h != hidden:
        raise CheckpointError(f"{str(p)!r}: checkpoint has hidden size {ckpt_h}, "
                              f"expected {hidden}")
    ckpt = Checkpoint(ckpt_h, ckpt_m, norm, actor, critic, raw.get("config", {}),
                      raw.get("training"))
    try:  # the weights must fit the declared shape (catches a hand-edited header)
        ckpt.build_actor()
        ckpt.build_critic()
    except (RuntimeError, KeyError, TypeError, AttributeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CheckpointError(f"{str(p)!r}: weights do not match h = {ckpt_h}, F = {ckpt_f}, "
                              f"M = {ckpt_m}: {first}") from None
    return ckpt
