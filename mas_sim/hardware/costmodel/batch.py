"""Batch costs: one layer run for a batch of ``b`` images (requests of one model) at once.

A batch shares the weights and multiplies everything else by ``b``. For ``b >= 2``, per layer and
SA class (``I``, ``W``, ``O`` the layer's input, weight and output bytes of one image)::

    SA cycles u(b) = max(b x compute cycles, b x MACs / peak, b x vector ops / peak,
                         (b x I + W) / GLB read port, b x O / GLB write port, 1)
    latency(b)     = max(latency(1), u(b) x CLOCK_HZ / sa.frequency_hz)      system cycles
    DRAM bytes     = tiling.batch_traffic (weights once per batch where the loop order allows)
    array bytes    = b x (array bytes(1) - weight array bytes) + weight array bytes
    energy         = energy.layer_energy of b x MACs, b x vector ops, b x PE-buffer accesses,
                     the array bytes and the DRAM bytes

- Compute: the images pass the PE array one after another with the mapping of one image (row
  stationary: the filter rows stay in the PE buffers while the images' rows pass; weight
  stationary: the weights stay in the PEs while the images stream past), so compute cycles are
  ``b`` times one image's. What a batch saves is weight delivery: an FC layer, bound by reading
  its weights through the global buffer at ``b = 1``, reads them once for the whole batch.
- ``latency(1)`` is today's table, rounded up to whole cycles; for ``b >= 2`` the latency is not
  rounded (a batch spans thousands of cycles, and rounding would let the per-image latency bounce
  by a fraction of a cycle) and is never below one image's: a batch does more work than any of
  its images on the same resources.

Invariants (``tests/hardware/costmodel/test_costmodel_batch.py``): ``b = 1`` is today's table
exactly; latency, DRAM traffic and energy never decrease with ``b``; per image they never
increase. Bandwidth = DRAM bytes / latency.

Weights. While one image's whole layer fits on chip, the weights are read once per batch
whatever ``b``; so are the zoo's FC layers' on every SA class of the paper. The traffic is the
least over loop orders, though, and for an early convolution with a few kB of weights and
hundreds of kB of activations, re-reading the weights for every image costs less than re-reading
the activations for every weight tile: there the weight traffic grows with ``b``
(:class:`BatchCosts` reports it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mas_sim.core.errors import ConfigError
from mas_sim.core.units import CLOCK_HZ
from mas_sim.hardware.costmodel.analytical import LayerCosts, map_layers
from mas_sim.hardware.costmodel.energy import layer_energy
from mas_sim.hardware.costmodel.layers import FloatArray, LayerTable
from mas_sim.hardware.costmodel.tiling import BatchTilings, batch_traffic, delivery_cycles
from mas_sim.hardware.spec import SubAcceleratorSpec

#: The largest batch the cost model (and the engine) accepts.
MAX_BATCH = 32


def check_batch(batch: object, what: str = "batch size") -> int:
    """``batch`` as an int in ``1..MAX_BATCH``; :class:`ConfigError` naming it otherwise."""
    if isinstance(batch, bool) or not isinstance(batch, int | np.integer) \
            or not 1 <= int(batch) <= MAX_BATCH:
        raise ConfigError(f"{what} = {batch!r}, expected an integer in 1..{MAX_BATCH}")
    return int(batch)


@dataclass(frozen=True, eq=False)
class BatchCosts(LayerCosts):
    """:class:`LayerCosts` of a batch, with the weights' share of the DRAM traffic."""

    batch: int = 1
    """Images in the batch."""
    weight_dram_bytes: FloatArray = field(default_factory=lambda: np.zeros(0))
    """Weight bytes of :attr:`dram_bytes`."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.weight_dram_bytes.setflags(write=False)


def analyze_batch(t: LayerTable, bt: BatchTilings, sa: SubAcceleratorSpec, base: LayerCosts,
                  batch: int, nop_pj_per_bit: float) -> BatchCosts:
    """Costs of every layer of ``t`` on ``sa`` for a batch of ``batch >= 2`` images; ``base`` is
    the one-image table (:func:`mas_sim.hardware.costmodel.analytical.analyze`)."""
    b = float(check_batch(batch))
    if batch < 2:
        raise ConfigError("analyze_batch is for batches of 2 or more images")
    mapping = map_layers(t, sa)
    peak = float(sa.peak_macs_per_cycle)
    sa_cycles = np.maximum.reduce([
        b * mapping.cycles, b * t.macs / peak, b * t.vector_ops / peak,
        delivery_cycles(t, batch), np.ones(t.num_layers)])
    latency = np.maximum(base.latency_cycles, sa_cycles * (CLOCK_HZ / sa.frequency_hz))
    dram, weight_dram = batch_traffic(bt, batch)
    one_array = np.where(t.is_mac, mapping.array_bytes, t.input_bytes + t.output_bytes)
    shared = np.where(t.is_mac, mapping.weight_array_bytes, 0.0)
    energy = layer_energy(macs=b * t.macs, vector_ops=b * t.vector_ops,
                          pe_accesses=b * mapping.pe_accesses,
                          array_bytes=b * (one_array - shared) + shared, dram_bytes=dram,
                          pe_buffer_bytes=sa.pe_buffer_bytes,
                          global_buffer_bytes=sa.global_buffer_bytes,
                          nop_pj_per_bit=nop_pj_per_bit)
    busy_sa_cycles = latency * (sa.frequency_hz / CLOCK_HZ)
    utilization = np.where(t.is_mac, b * t.macs / (busy_sa_cycles * peak), 0.0)
    return BatchCosts(latency_cycles=latency, dram_bytes=dram, bandwidth=dram / latency,
                      energy_pj=energy, utilization=utilization, batch=batch,
                      weight_dram_bytes=weight_dram)


def scale_batch(base: LayerCosts, analytical_one: LayerCosts,
                analytical_batch: BatchCosts) -> BatchCosts:
    """A backend's one-image table ``base`` scaled to a batch by the analytical model's ratios
    (batch over one image, per layer): how the ZigZag backend gets batch costs without running
    ZigZag per batch size. The ratios keep the invariants of the analytical model."""
    def ratio(batch: FloatArray, one: FloatArray) -> FloatArray:
        b = float(analytical_batch.batch)
        return np.divide(batch, one, out=np.full_like(batch, b), where=one > 0)

    latency = base.latency_cycles * ratio(analytical_batch.latency_cycles,
                                          analytical_one.latency_cycles)
    dram_ratio = ratio(analytical_batch.dram_bytes, analytical_one.dram_bytes)
    dram = base.dram_bytes * dram_ratio
    return BatchCosts(
        latency_cycles=latency, dram_bytes=dram, bandwidth=dram / latency,
        energy_pj=base.energy_pj * ratio(analytical_batch.energy_pj, analytical_one.energy_pj),
        utilization=base.utilization * analytical_batch.batch
        / ratio(analytical_batch.latency_cycles, analytical_one.latency_cycles),
        batch=analytical_batch.batch,
        weight_dram_bytes=analytical_batch.weight_dram_bytes * np.divide(
            base.dram_bytes, analytical_one.dram_bytes,
            out=np.ones_like(base.dram_bytes), where=analytical_one.dram_bytes > 0))
