"""Batching policies, the second level of a two-level scheduler, created by name.

A batching policy (:class:`mas_sim.sim.batching.BatchingPolicy`) decides when to close a batch
of each model's waiting requests, its size, and each model's concurrency (the SAs its batches
may occupy at once); any layer policy (``policies.make``) then schedules the batches' layers.
The contract is in :mod:`mas_sim.sim.batching` and docs/architecture.md section 4.8.

>>> from policies import batching
>>> batching.make("clipper")

Names: ``none`` (no batching: the plain engine; :func:`make` returns None), ``fixed-<b>`` for a
batch size ``b`` in 1..32 (the study uses 2, 4, 8, 16), ``timeout`` (Triton's dynamic batcher),
``clipper`` (AIMD) and ``bcedge`` (SAC with an interference predictor; needs the ``rl`` extra).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from mas_sim.core.errors import PolicyError, unknown_name
from mas_sim.sim.batching import BatchingPolicy

#: Built-in batching policies: name -> "module:factory" (``fixed-<b>`` is parsed).
_BUILTIN: dict[str, str] = {
    "timeout": "policies.batching.rules:Timeout",
    "clipper": "policies.batching.rules:Clipper",
    "bcedge": "policies.batching.bcedge:BCEdge",
}
#: The fixed sizes listed by :func:`available` (any ``fixed-<b>`` with b in 1..32 is accepted).
FIXED_SIZES = (2, 4, 8, 16)
NONE = "none"


def available() -> list[str]:
    """Names :func:`make` accepts (``fixed-<b>`` listed for the study's sizes)."""
    return sorted([NONE, *(f"fixed-{b}" for b in FIXED_SIZES), *_BUILTIN])


def make(name: str, **options: Any) -> BatchingPolicy | None:
    """The batching policy ``name`` with keyword ``options``; None for ``none``."""
    if name == NONE:
        if options:
            raise PolicyError(f"batching policy 'none' takes no options, got {sorted(options)}")
        return None
    factory: Callable[..., BatchingPolicy]
    if name.startswith("fixed-"):
        from mas_sim.hardware.costmodel.batch import check_batch
        from policies.batching.rules import FixedBatch

        text = name[len("fixed-"):]
        size = check_batch(int(text) if text.lstrip("-").isdigit() else text,
                           f"batch size of {name!r}")
        return FixedBatch(batch=size, **options)
    if name not in _BUILTIN:
        raise PolicyError(unknown_name("batching policy", name, [*available(), "fixed-<b>"]))
    module, _, attr = _BUILTIN[name].partition(":")
    factory = getattr(importlib.import_module(module), attr)
    try:
        return factory(**options)
    except TypeError as exc:
        raise PolicyError(f"batching policy {name!r}: bad options {sorted(options)}: "
                          f"{exc}") from None
