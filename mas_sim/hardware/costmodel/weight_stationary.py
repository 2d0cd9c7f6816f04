"""Weight stationary (Simba-like) mapping: compute cycles and on-chip traffic of conv/FC layers.

Simba (Shao et al., MICRO 2019) keeps weights in each PE's buffer and streams inputs past them.
Each of the ``P`` PEs computes one **output channel** at a time; its ``V = macs_per_pe`` vector MAC
lanes take ``V`` **input channels** of that output channel's group per cycle, and it walks the
``R x S`` kernel positions and the ``E x F`` output pixels in time. Inputs are multicast to all
PEs; each PE accumulates its output in its own accumulation buffer. Hence::

    cycles = ceil(M / P) x ceil(C_g / V) x R x S x E x F
    utilisation = (M / (P ceil(M / P))) x (C_g / (V ceil(C_g / V)))

which never beats MACs / (P x V). A depthwise layer (``C_g = 1``) keeps one lane of ``V`` busy, and
a first layer with 3 input channels three of 16, as on Simba's silicon. FC layers map well in
compute (``C`` across lanes, ``M`` across PEs) but reuse no weight, so they are bound by weight
delivery (see :mod:`mas_sim.hardware.costmodel.tiling`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mas_sim.hardware.costmodel.layers import FloatArray, LayerTable
from mas_sim.hardware.spec import SubAcceleratorSpec


@dataclass(frozen=True, eq=False)
class WeightStationaryMapping:
    """Per-layer result of the weight-stationary mapping (arrays over MAC layers; SA cycles)."""

    cycles: FloatArray
    """Compute cycles of the SA clock."""
    pe_accesses: FloatArray
    """PE-buffer accesses: per MAC one weight and one input read, plus one accumulator read and
    write per V MACs."""
    array_bytes: FloatArray
    """Bytes moved between the global buffer and the PEs (multicast counted once)."""
    weight_array_bytes: FloatArray
    """The weights' share of :attr:`array_bytes` (each weight loaded once into its PE): what a
    batch of images shares, since the weights stay in the PEs while the images stream past."""


def map_layers(t: LayerTable, sa: SubAcceleratorSpec) -> WeightStationaryMapping:
    """Map every layer of ``t`` onto ``sa``'s weight-stationary PEs (MAC layers; others get 0)."""
    pes, lanes = sa.pes, sa.macs_per_pe
    cg = t.C / t.groups
    m_fold = np.ceil(t.M / pes)
    cycles = m_fold * np.ceil(cg / lanes) * t.R * t.S * t.E * t.F
    # Inputs are re-broadcast for every fold of output channels that reads them: all folds for a
    # dense layer, about m_fold / G for a grouped one (each fold reads only its groups' inputs).
    input_passes = np.maximum(1.0, m_fold / t.groups)
    array_bytes = t.input_bytes * input_passes + t.weight_bytes + t.output_bytes
    mac = t.is_mac
    zero = np.zeros_like(cycles)
    return WeightStationaryMapping(
        cycles=np.where(mac, cycles, zero),
        pe_accesses=np.where(mac, t.macs * (2.0 + 2.0 / lanes), zero),
        array_bytes=np.where(mac, array_bytes, zero),
        weight_array_bytes=np.where(mac, t.weight_bytes, zero),
    )
