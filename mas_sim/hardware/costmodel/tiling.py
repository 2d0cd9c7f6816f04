"""DRAM traffic from a tiling of each layer into the global buffer, and global-buffer delivery time.

Tiling (both dataflows)
-----------------------
A conv/FC layer is three loops over tiles (outermost first, in one of the 6 orders): output
channels ``A`` (tile ``ta``), output rows ``E`` (tile ``te``, full width), input channels ``K``
(tile ``tk``). A grouped conv tiles whole groups instead (``A`` = groups, ``K`` = 1). Tile sizes
are the dimension halved ``k`` times: ``ceil(D / 2**k)`` for ``k = 0..7`` (``0..5`` for rows).

A tensor's tile is fetched from DRAM once per iteration of the loops it depends on, and again for
every iteration of an *irrelevant* loop that sits outside a relevant loop with more than one trip
(it was evicted meanwhile). Inputs ignore ``A``, weights ignore ``E``, outputs ignore ``K``; when
outputs are revisited, the partial sums go out and come back at :data:`ACC_BYTES` per element::

    traffic = I x halo x f_I + W x f_W + O x (1 + 2 ACC_BYTES (f_O - 1))

``halo = max(1, nE x rows_in(te) / H)`` counts the input rows that neighbouring row tiles both
read. Every factor is >= 1, so the compulsory traffic ``I + W + O`` is a lower bound. The tiles
must fit: input tile + weight tile + ``ACC_BYTES`` x output tile <= global buffer; a
weight-stationary SA may instead keep the weight tile in its PE buffers
(:data:`WS_WEIGHT_SHARE` of their total).
The traffic is the least over all fitting (tiling, order) pairs. A bigger buffer only adds fitting
candidates, so it never increases traffic. If nothing fits, the finest tiling is used: it is the
smallest in every tile, so it fits whenever anything does, which keeps the result monotone too.

Data-movement layers (pool, add, concat, reorg) stream: inputs read once, outputs written once.

Global-buffer delivery
----------------------
Every byte a layer reads or writes passes the global buffer's ports,
:data:`GLB_READ_BYTES_PER_CYCLE` and :data:`GLB_WRITE_BYTES_PER_CYCLE` (two 128-bit ports, like
Timeloop's Eyeriss-like shared_glb at 16 words/cycle). That bounds the latency of data-movement
layers and of layers without reuse (FC: every weight is used once).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import permutations
from typing import Any

import numpy as np
import numpy.typing as npt

from mas_sim.hardware.costmodel.layers import FloatArray, LayerTable
from mas_sim.hardware.spec import SubAcceleratorSpec

#: Bytes per partial sum held on chip or spilled to DRAM (16-bit accumulators, as Eyeriss).
ACC_BYTES = 2.0
#: Global buffer read bandwidth, bytes per SA cycle.
GLB_READ_BYTES_PER_CYCLE = 16.0
#: Global buffer write bandwidth, bytes per SA cycle.
GLB_WRITE_BYTES_PER_CYCLE = 16.0
#: Share of a weight-stationary SA's total PE-buffer capacity that may hold a weight tile (Simba:
#: most of a PE's storage is weight buffer; the rest holds inputs and accumulators).
WS_WEIGHT_SHARE = 0.75

#: Number of tile sizes tried per dimension (tile = ceil(D / 2**k)).
TILE_STEPS_CHANNELS = 8
TILE_STEPS_ROWS = 6

_LOOPS = ("A", "E", "K")
_ORDERS = tuple(permutations(_LOOPS))


@dataclass(frozen=True, eq=False)
class TilingCandidates:
    """The tilings of every layer, independent of the SA: tile sizes and their least traffic.

    Arrays have shape ``[L, TILE_STEPS_CHANNELS, TILE_STEPS_ROWS, TILE_STEPS_CHANNELS]``
    (indices: output-channel tile, row tile, input-channel tile); bytes.
    """

    input_tile: FloatArray
    """Input tile, bytes."""
    weight_tile: FloatArray
    """Weight tile, bytes."""
    output_tile: FloatArray
    """Partial-sum tile, bytes (elements x ACC_BYTES)."""
    traffic: FloatArray
    """DRAM traffic of the tiling under its best loop order, bytes."""


def _grid(dim: FloatArray, steps: int, axis: int) -> tuple[FloatArray, FloatArray]:
    """Tile sizes ``ceil(dim / 2**k)`` and trip counts, shaped to broadcast along ``axis``."""
    shape = [len(dim), 1, 1, 1]
    shape[axis] = steps
    tile = np.ceil(dim[:, None] / 2.0 ** np.arange(steps)[None, :]).reshape(shape)
    trips = np.ceil(dim.reshape(-1, 1, 1, 1) / tile)
    return tile, trips


def _refetch(trips: dict[str, FloatArray], order: tuple[str, ...], irrelevant: str) -> FloatArray:
    """How often a tensor is re-fetched: the trips of its irrelevant loop if a relevant loop with
    more than one trip is nested inside it, else 1."""
    inner = order[order.index(irrelevant) + 1:]
    revisits = np.zeros(np.broadcast(*trips.values()).shape, dtype=np.bool_)
    for loop in inner:
        revisits = revisits | (trips[loop] > 1)
    return np.where(revisits, trips[irrelevant], 1.0)


def candidates(t: LayerTable) -> TilingCandidates:
    """Enumerate the tilings of every layer of ``t`` (vectorised; SA-independent)."""
    grouped = t.groups > 1
    cg, mg = t.C / t.groups, t.M / t.groups
    dim_a = np.where(grouped, t.groups, t.M)
    dim_k = np.where(grouped, 1.0, t.C)
    ta, na = _grid(dim_a, TILE_STEPS_CHANNELS, 1)
    te, ne = _grid(t.E, TILE_STEPS_ROWS, 2)
    tk, nk = _grid(dim_k, TILE_STEPS_CHANNELS, 3)

    def col(x: npt.NDArray[Any]) -> npt.NDArray[Any]:
        return x.reshape(-1, 1, 1, 1)

    grp = col(grouped)
    rows_in = np.minimum(col(t.H), (te - 1.0) * col(t.stride) + col(t.R))
    in_channels = np.where(grp, ta * col(cg), tk)
    input_tile = in_channels * rows_in * col(t.W)
    weight_tile = ta * tk * np.where(grp, col(mg * cg), 1.0) * col(t.R * t.S)
    output_tile = ta * np.where(grp, col(mg), 1.0) * te * col(t.F) * ACC_BYTES
    halo = np.maximum(1.0, ne * rows_in / col(t.H))

    trips = {"A": na, "E": ne, "K": nk}
    best = np.full(np.broadcast(ta, te, tk).shape, np.inf)
    for order in _ORDERS:
        f_in = np.where(grp, 1.0, _refetch(trips, order, "A"))
        f_w = _refetch(trips, order, "E")
        f_out = _refetch(trips, order, "K")
        traffic = (col(t.input_bytes) * halo * f_in + col(t.weight_bytes) * f_w
                   + col(t.output_bytes) * (1.0 + 2.0 * ACC_BYTES * (f_out - 1.0)))
        best = np.minimum(best, traffic)

    # Data-movement layers stream (read inputs, write outputs once) and need no tile.
    mac = col(t.is_mac)
    stream = col(t.input_bytes + t.output_bytes)
    shape = best.shape
    return TilingCandidates(
        input_tile=np.where(mac, np.broadcast_to(input_tile, shape), 0.0),
        weight_tile=np.where(mac, np.broadcast_to(weight_tile, shape), 0.0),
        output_tile=np.where(mac, np.broadcast_to(output_tile, shape), 0.0),
        traffic=np.where(mac, best, np.broadcast_to(stream, shape)),
    )


def dram_traffic(tc: TilingCandidates, sa: SubAcceleratorSpec) -> FloatArray:
    """Least DRAM traffic (bytes) of every layer over the tilings that fit ``sa``'s buffers."""
    on_glb = tc.input_tile + tc.output_tile
    fits = on_glb + tc.weight_tile <= sa.global_buffer_bytes
    if sa.dataflow == "weight_stationary":
        in_pes = tc.weight_tile <= WS_WEIGHT_SHARE * sa.pes * sa.pe_buffer_bytes
        fits = fits | ((on_glb <= sa.global_buffer_bytes) & in_pes)
    masked = np.where(fits, tc.traffic, np.inf).reshape(len(tc.traffic), -1).min(axis=1)
    finest = tc.traffic[:, -1, -1, -1]
    return np.where(np.isfinite(masked), masked, finest)


def delivery_cycles(t: LayerTable) -> FloatArray:
    """SA cycles to move each layer's distinct inputs, weights and outputs through the global
    buffer's ports (a latency floor for every layer)."""
    reads = (t.input_bytes + t.weight_bytes) / GLB_READ_BYTES_PER_CYCLE
    writes = t.output_bytes / GLB_WRITE_BYTES_PER_CYCLE
    return np.maximum(reads, writes)
