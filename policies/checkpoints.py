"""Checkpoint files of the learning policies: a dict with a ``format`` and a ``version``, saved
with ``torch.save`` (atomically: temporary file, then rename) and loaded with
``weights_only=True`` (no code from the file runs).

Each learner (:mod:`policies.relmas.checkpoint`, :mod:`policies.batching.checkpoint`) names its
format and version and validates its own fields; this module refuses, with one
:class:`~mas_sim.core.errors.CheckpointError` line, a file that is missing, not loadable by
torch, of another format or of another version.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from mas_sim.core.errors import CheckpointError
from mas_sim.core.files import atomic_path


def save_versioned(path: str | os.PathLike[str], fmt: str, version: int,
                   payload: Mapping[str, Any]) -> Path:
    """Write ``payload`` under ``format`` ``fmt`` and ``version`` to ``path``, atomically."""
    with atomic_path(path) as tmp:
        torch.save({"format": fmt, "version": version, **payload}, tmp)
    return Path(path)


def load_versioned(path: str | os.PathLike[str], kind: str, fmt: str, version: int,
                   hint: str = "") -> dict[str, Any]:
    """The dict saved in ``path`` by :func:`save_versioned` with ``fmt`` and ``version``;
    ``kind`` names the learner in messages, ``hint`` (e.g. how to make one) ends the message
    for a missing file."""
    p = Path(path)
    if not p.is_file():
        raise CheckpointError(f"{kind} checkpoint {str(p)!r} does not exist{hint}")
    try:
        with warnings.catch_warnings():  # torch warns about foreign pickles; we refuse them below
            warnings.simplefilter("ignore")
            raw = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for foreign or corrupt files
        raise CheckpointError(f"{str(p)!r} is not a mas-sim {kind} checkpoint "
                              f"(torch.load failed: {type(exc).__name__})") from None
    if not isinstance(raw, dict) or raw.get("format") != fmt:
        found = raw.get("format") if isinstance(raw, dict) else type(raw).__name__
        raise CheckpointError(f"{str(p)!r} is not a mas-sim {kind} checkpoint (format "
                              f"{found!r}, expected a dict with format {fmt!r})")
    if raw.get("version") != version:
        raise CheckpointError(f"{str(p)!r}: {kind} checkpoint version {raw.get('version')!r}, "
                              f"this mas-sim reads version {version}")
    return raw
