"""Cost model: what each layer of a DNN costs on each SA class (docs/modelling.md section 3).

For every (layer, SA class) it gives the stall-free latency (cycles of the 1 GHz system clock),
DRAM traffic (bytes), the bandwidth needed to run stall-free (bytes/cycle) and energy (pJ).

The default backend is an analytical model that a user can read and change, one module per
concern:

- :mod:`.layers` turns a zoo graph into arrays over layers;
- :mod:`.row_stationary` and :mod:`.weight_stationary` map conv/FC layers onto Eyeriss-like and
  Simba-like PE arrays (compute cycles, on-chip traffic);
- :mod:`.tiling` tiles each layer into the global buffer (DRAM traffic) and bounds latency by
  global-buffer bandwidth;
- :mod:`.energy` holds the per-access energies and their sources;
- :mod:`.analytical` combines them; :mod:`.batch` gives the cost of a batch of ``b`` images
  (weights shared, the rest ``b`` times); :mod:`.api` caches and tabulates.

``backend="zigzag"`` reads tables produced with ZigZag (``zigzag-dse``) instead, see
:mod:`.zigzag_backend`.

Example::

    from mas_sim import SystemSpec
    from mas_sim.hardware.costmodel import evaluate, profile
    from mas_sim.hardware.spec import eyeriss_small

    evaluate("resnet50", eyeriss_small())          # one row per layer
    profile("resnet50", SystemSpec.paper())        # latency/bandwidth/energy [L, 6]
    profile("alexnet", SystemSpec.paper(), batch=8)  # the same for a batch of 8 images

The names below are loaded on first use (the cost model needs pandas and networkx), so that
:data:`BACKENDS` can be read cheaply, e.g. by the command line's ``--costs`` option.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mas_sim.core.lazy import lazy_exports

if TYPE_CHECKING:
    from mas_sim.hardware.costmodel.analytical import LayerCosts
    from mas_sim.hardware.costmodel.api import (
        COLUMNS,
        batch_profiles,
        clear_cache,
        evaluate,
        layer_costs,
        profile,
        system_tables,
    )
    from mas_sim.hardware.costmodel.batch import MAX_BATCH, BatchCosts, check_batch
    from mas_sim.hardware.costmodel.row_stationary import array_shape

BACKENDS: tuple[str, ...] = ("analytical", "zigzag")
"""Cost-model backends: the analytical model, or tables produced with ZigZag."""

#: Public name -> module that defines it (loaded on first use).
_LAZY: dict[str, str] = {
    "COLUMNS": "mas_sim.hardware.costmodel.api",
    "BatchCosts": "mas_sim.hardware.costmodel.batch",
    "LayerCosts": "mas_sim.hardware.costmodel.analytical",
    "MAX_BATCH": "mas_sim.hardware.costmodel.batch",
    "array_shape": "mas_sim.hardware.costmodel.row_stationary",
    "batch_profiles": "mas_sim.hardware.costmodel.api",
    "check_batch": "mas_sim.hardware.costmodel.batch",
    "clear_cache": "mas_sim.hardware.costmodel.api",
    "evaluate": "mas_sim.hardware.costmodel.api",
    "layer_costs": "mas_sim.hardware.costmodel.api",
    "profile": "mas_sim.hardware.costmodel.api",
    "system_tables": "mas_sim.hardware.costmodel.api",
}

__all__ = ["BACKENDS", "COLUMNS", "MAX_BATCH", "BatchCosts", "LayerCosts", "array_shape",
           "batch_profiles", "check_batch", "clear_cache", "evaluate", "layer_costs", "profile",
           "system_tables"]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
