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
"""

from mas_sim.hardware.costmodel.analytical import LayerCosts
from mas_sim.hardware.costmodel.api import (
    BACKENDS,
    COLUMNS,
    clear_cache,
    evaluate,
    layer_costs,
    profile,
    system_tables,
)
from mas_sim.hardware.costmodel.batch import MAX_BATCH, BatchCosts, check_batch
from mas_sim.hardware.costmodel.row_stationary import array_shape

__all__ = ["BACKENDS", "COLUMNS", "MAX_BATCH", "BatchCosts", "LayerCosts", "array_shape",
           "check_batch", "clear_cache", "evaluate", "layer_costs", "profile", "system_tables"]
