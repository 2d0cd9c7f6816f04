"""The analytical cost model: one model's layers on one sub-accelerator class, vectorised.

Latency (stall-free, i.e. with unlimited DRAM bandwidth; the engine adds DRAM contention)::

    SA cycles = max(1, ceil(compute cycles), ceil(MACs / peak), ceil(vector ops / peak),
                    ceil(global-buffer delivery cycles))
    system cycles = ceil(SA cycles x CLOCK_HZ / sa.frequency_hz)

Compute cycles come from the dataflow's mapping (:mod:`.row_stationary`,
:mod:`.weight_stationary`), delivery cycles from :func:`.tiling.delivery_cycles`. DRAM traffic is
:func:`.tiling.dram_traffic`, bandwidth = DRAM bytes / system cycles, energy
:func:`.energy.layer_energy`. Utilisation = MACs / (SA cycles x peak MACs per SA cycle).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mas_sim.core.units import CLOCK_HZ
from mas_sim.hardware.costmodel import row_stationary, weight_stationary
from mas_sim.hardware.costmodel.energy import NOP_PJ_PER_BIT, layer_energy
from mas_sim.hardware.costmodel.layers import FloatArray, LayerTable
from mas_sim.hardware.costmodel.tiling import TilingCandidates, delivery_cycles, dram_traffic
from mas_sim.hardware.spec import SubAcceleratorSpec


@dataclass(frozen=True, eq=False)
class LayerCosts:
    """Costs of every layer of one model on one SA class (read-only arrays over layers)."""

    latency_cycles: FloatArray
    """Stall-free latency, cycles of the 1 GHz system clock (integers >= 1)."""
    dram_bytes: FloatArray
    """DRAM traffic, bytes."""
    bandwidth: FloatArray
    """DRAM bandwidth to run stall-free, bytes per system cycle."""
    energy_pj: FloatArray
    """Energy, pJ."""
    utilization: FloatArray
    """MACs / (SA cycles x peak MACs per SA cycle); 0 for data-movement layers."""

    def __post_init__(self) -> None:
        for name in ("latency_cycles", "dram_bytes", "bandwidth", "energy_pj", "utilization"):
            getattr(self, name).setflags(write=False)


Mapping = row_stationary.RowStationaryMapping | weight_stationary.WeightStationaryMapping


def map_layers(t: LayerTable, sa: SubAcceleratorSpec) -> Mapping:
    """The mapping of every layer of ``t`` in ``sa``'s dataflow (row or weight stationary)."""
    if sa.dataflow == "row_stationary":
        return row_stationary.map_layers(t, sa)
    return weight_stationary.map_layers(t, sa)


def analyze(t: LayerTable, tiling: TilingCandidates, sa: SubAcceleratorSpec,
            nop_pj_per_bit: float = NOP_PJ_PER_BIT) -> LayerCosts:
    """Latency, DRAM traffic, bandwidth, energy, utilisation of every layer of ``t`` on ``sa``."""
    mapping = map_layers(t, sa)
    peak = float(sa.peak_macs_per_cycle)
    sa_cycles = np.ceil(np.maximum.reduce([
        mapping.cycles, t.macs / peak, t.vector_ops / peak, delivery_cycles(t),
        np.ones(t.num_layers)]))
    latency = np.maximum(1.0, np.ceil(sa_cycles * (CLOCK_HZ / sa.frequency_hz)))
    dram = dram_traffic(tiling, sa)
    # Data-movement layers stream their inputs and outputs through the PE array once.
    array_bytes = np.where(t.is_mac, mapping.array_bytes, t.input_bytes + t.output_bytes)
    energy = layer_energy(macs=t.macs, vector_ops=t.vector_ops, pe_accesses=mapping.pe_accesses,
                          array_bytes=array_bytes, dram_bytes=dram,
                          pe_buffer_bytes=sa.pe_buffer_bytes,
                          global_buffer_bytes=sa.global_buffer_bytes,
                          nop_pj_per_bit=nop_pj_per_bit)
    utilization = np.where(t.is_mac, t.macs / (sa_cycles * peak), 0.0)
    return LayerCosts(latency_cycles=latency, dram_bytes=dram, bandwidth=dram / latency,
                      energy_pj=energy, utilization=utilization)
