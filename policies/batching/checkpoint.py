"""BCEdge checkpoints: a dict saved with ``torch.save``, loaded with ``weights_only=True``.

Layout (``version`` 1)::

    {"format": "mas-sim-bcedge", "version": 1, "workload": "mixed",
     "model_names": [...], "num_sas": M, "max_batch": 16,
     "budget": [...],                     # each model's latency budget, cycles (the state's scale)
     "actor": {"hidden": [..], "state_dict": {...}},   # SAC's deterministic actor (mean action)
     "predictor": {"inputs": n, "hidden": h, "state_dict": {...}} or None,
     "config": {...}, "predictor_errors": {...}}

A file that is not such a dict (a RELMAS checkpoint, an SB3 zip, anything else) is refused with
:class:`~mas_sim.core.errors.CheckpointError` naming what was expected. Saving is atomic.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from mas_sim.core.errors import CheckpointError, ConfigError, unknown_name
from mas_sim.workload import WORKLOAD_SETS
from policies.batching.predictor import InterferencePredictor, SlowdownNet
from policies.checkpoints import load_versioned, save_versioned

FORMAT = "mas-sim-bcedge"
VERSION = 1
CHECKPOINT_DIR = Path(__file__).with_name("checkpoints")


def shipped_checkpoint(workload: str = "mixed") -> Path:
    """Path of the shipped checkpoint ``bcedge_<workload>.pt`` (it may not exist)."""
    if workload not in WORKLOAD_SETS:
        raise ConfigError(unknown_name("workload", workload, WORKLOAD_SETS))
    return CHECKPOINT_DIR / f"bcedge_{workload}.pt"


def mlp(inputs: int, hidden: list[int], outputs: int) -> nn.Sequential:
    """SB3's default actor body (ReLU layers) with a tanh-squashed mean head."""
    layers: list[nn.Module] = []
    size = inputs
    for h in hidden:
        layers += [nn.Linear(size, h), nn.ReLU()]
        size = h
    layers += [nn.Linear(size, outputs), nn.Tanh()]
    return nn.Sequential(*layers)


class Actor:
    """state -> action in [-1, 1] (the SAC actor's mean, squashed)."""

    def __init__(self, net: nn.Sequential) -> None:
        self.net = net.eval()

    @torch.no_grad()
    def __call__(self, state: np.ndarray) -> np.ndarray:
        return self.net(torch.from_numpy(np.asarray(state, dtype=np.float32))[None])[0].numpy()


@dataclass(frozen=True, eq=False)
class Checkpoint:
    """A loaded, validated BCEdge checkpoint."""

    workload: str
    model_names: tuple[str, ...]
    num_sas: int
    max_batch: int
    budget: tuple[float, ...]
    actor: Mapping[str, Any]
    predictor: Mapping[str, Any] | None
    config: Mapping[str, Any] = field(default_factory=dict)
    predictor_errors: Mapping[str, float] = field(default_factory=dict)

    def build_actor(self) -> Actor:
        """The deterministic actor."""
        k = len(self.model_names)
        net = mlp(5 * k + 3, list(self.actor["hidden"]), 2 * k)
        net.load_state_dict(self.actor["state_dict"])
        return Actor(net)

    def build_predictor(self) -> InterferencePredictor | None:
        """The interference predictor, if the checkpoint has one."""
        if self.predictor is None:
            return None
        net = SlowdownNet(int(self.predictor["inputs"]), int(self.predictor["hidden"]))
        net.load_state_dict(self.predictor["state_dict"])
        return InterferencePredictor(net)


def save_checkpoint(path: str | os.PathLike[str], payload: Mapping[str, Any]) -> Path:
    """Write ``payload`` (the layout above, without format and version) atomically."""
    return save_versioned(path, FORMAT, VERSION, payload)


def load_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Load and validate ``path``."""
    p = Path(path)
    raw = load_versioned(p, "BCEdge", FORMAT, VERSION,
                         hint=" (train one with mas-sim train bcedge)")
    try:
        return Checkpoint(workload=str(raw["workload"]),
                          model_names=tuple(raw["model_names"]), num_sas=int(raw["num_sas"]),
                          max_batch=int(raw["max_batch"]), budget=tuple(raw["budget"]),
                          actor=raw["actor"], predictor=raw.get("predictor"),
                          config=raw.get("config", {}),
                          predictor_errors=raw.get("predictor_errors", {}))
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{str(p)!r}: malformed BCEdge checkpoint ({exc})") from None
