"""Row stationary (Eyeriss-like) mapping: compute cycles and on-chip traffic of conv/FC layers.

The physical PE array
---------------------
An SA with ``P`` PEs is a ``rows x cols`` array, ``rows`` = the largest divisor of ``P`` not above
``sqrt(P)`` and ``cols = P / rows`` (:func:`array_shape`): 168 -> 12 x 14 (Eyeriss v1, Timeloop's
Eyeriss-like example), 256 -> 16 x 16, 512 -> 16 x 32. The array of ``2P`` PEs always contains
the array of ``P`` PEs (rows and cols both grow or stay), so doubling the PEs is never slower; an
awkward count (a prime ``P`` gives a 1 x P array) can be slower than a smaller, squarer one, as in
silicon.

The mapping (Chen et al., ISCA 2016; Timeloop's Eyeriss-like constraints)
--------------------------------------------------------------------------
A *PE set* is ``R x E`` PEs: PE ``(i, j)`` runs the 1-D convolution of filter row ``i`` with the
input row that feeds output row ``j``, ``S x F`` MACs (``S x ceil(F / macs_per_pe)`` cycles when a
PE has several MAC lanes, which split the output row). Partial sums flow up a column, so a column
accumulates the ``R`` filter rows of one output row.

- Vertically (``rows``): if ``R > rows`` the filter rows are folded in time (``ceil(R / rows)``
  passes); otherwise ``floor(rows / R)`` PE sets are stacked and work on different **input
  channels** (their partial sums accumulate down the column).
- Horizontally (``cols``): if ``E > cols`` the output rows are folded into ``ceil(E / cols)``
  strips processed in time; otherwise ``floor(cols / E)`` sets sit side by side and work on
  different **filters** (inputs multicast to them).
- Remaining channels, filters and groups are processed in time. Groups never share the array:
  the vertical psum chain belongs to one group, so a depthwise layer uses ``R`` rows and ``E``
  columns at most (poor utilisation, as on Eyeriss v1).

Compute cycles (one pass per group, filter-row fold, strip, channel fold, filter fold)::

    G x ceil(R / rows) x ceil(E / cols) x ceil(C_g / c_sp) x ceil(M_g / m_sp) x S x ceil(F / V)

with ``c_sp = min(C_g, floor(rows / min(R, rows)))`` and ``m_sp = min(M_g, floor(cols / min(E,
cols)))``. Each factor covers its dimension, so cycles >= MACs / (P x V) by construction.

Timeloop's Eyeriss-like example (14 x 12 PEs, C=3, M=32, 3x3, stride 2, 224 -> 112): three sets of
3 rows (the 3 channels) use 9 of 12 rows, 112 output rows fold into 8 strips of 14 columns, the 32
filters run in time: 8 x 32 x (3 x 112) = 86,016 cycles, 75 % utilisation, as Timeloop reports.
An FC layer is a 1 x 1 PE set; it maps onto the array but reuses nothing, and is bound by global
buffer delivery of its weights (see :mod:`mas_sim.hardware.costmodel.tiling`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mas_sim.hardware.costmodel.layers import FloatArray, LayerTable
from mas_sim.hardware.costmodel.tiling import ACC_BYTES
from mas_sim.hardware.spec import SubAcceleratorSpec

#: Share of each PE's buffer that holds filter rows (Eyeriss v1: 224 of 260 16-bit words are
#: filter scratchpad; we keep half for filters, half for the input row and partial sums).
FILTER_RF_SHARE = 0.5


def array_shape(pes: int) -> tuple[int, int]:
    """The ``(rows, cols)`` of a row-stationary array of ``pes`` PEs: the squarest factorisation
    with ``rows <= cols`` (168 -> (12, 14), 256 -> (16, 16), 512 -> (16, 32))."""
    rows = max(d for d in range(1, math.isqrt(pes) + 1) if pes % d == 0)
    return rows, pes // rows


@dataclass(frozen=True, eq=False)
class RowStationaryMapping:
    """Per-layer result of the row-stationary mapping (arrays over MAC layers; SA cycles)."""

    cycles: FloatArray
    """Compute cycles of the SA clock (PE array busy time)."""
    pe_accesses: FloatArray
    """PE-buffer (register file) accesses: 4 per MAC (filter, input, psum read, psum write)."""
    array_bytes: FloatArray
    """Bytes moved between the global buffer and the PE array (multicast counted once)."""
    weight_array_bytes: FloatArray
    """The weights' share of :attr:`array_bytes` (filter rows, once per strip): what a batch of
    images shares, since the filter rows stay in the PE buffers while the images' rows pass."""


def map_layers(t: LayerTable, sa: SubAcceleratorSpec) -> RowStationaryMapping:
    """Map every layer of ``t`` onto ``sa``'s row-stationary array (MAC layers; others get 0)."""
    rows, cols = array_shape(sa.pes)
    lanes = sa.macs_per_pe
    g = t.groups
    cg, mg = t.C / g, t.M / g
    r_eff = np.minimum(t.R, rows)
    r_fold = np.ceil(t.R / rows)
    c_sp = np.minimum(cg, np.floor(rows / r_eff))
    e_eff = np.minimum(t.E, cols)
    e_fold = np.ceil(t.E / cols)
    m_sp = np.minimum(mg, np.floor(cols / e_eff))
    c_fold = np.ceil(cg / c_sp)
    m_fold = np.ceil(mg / m_sp)
    cycles = g * r_fold * e_fold * c_fold * m_fold * t.S * np.ceil(t.F / lanes)

    # On-chip reuse through the PE buffer: half of it holds p filters x q channels of S weights.
    slots = np.maximum(1.0, np.floor(FILTER_RF_SHARE * sa.pe_buffer_bytes / t.S))
    p = np.minimum(m_fold, slots)
    q = np.minimum(c_fold, np.maximum(1.0, np.floor(slots / p)))
    input_passes = np.ceil(m_fold / p)      # inputs re-sent once per batch of p filters
    psum_passes = np.ceil(c_fold / q)       # psums leave the array once per batch of q channels
    weight_array_bytes = t.weight_bytes * e_fold
    array_bytes = (t.input_bytes * input_passes + weight_array_bytes
                   + t.output_bytes * (1.0 + 2.0 * ACC_BYTES * (psum_passes - 1.0)))
    mac = t.is_mac
    zero = np.zeros_like(cycles)
    return RowStationaryMapping(
        cycles=np.where(mac, cycles, zero),
        pe_accesses=np.where(mac, 4.0 * t.macs, zero),
        array_bytes=np.where(mac, array_bytes, zero),
        weight_array_bytes=np.where(mac, weight_array_bytes, zero),
    )
