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

Batches
-------
A batch of ``b`` images adds a fourth loop ``N`` over the images, placed anywhere in the nest (24
orders), one image per tile, so a tiling fits for a batch exactly when it fits for one image.
Inputs and outputs depend on ``N``, weights do not; the refetch rule is the same with every
irrelevant loop counted (a tensor is fetched again for each trip of an irrelevant loop that has a
relevant loop with more than one trip inside it)::

    traffic(b) = b x I x halo x f_I + W x f_W + b x O x (1 + 2 ACC_BYTES (f_O - 1))

With ``N`` inside the weight loops (weight-major) the weights come once per batch and the
activations may be re-read per weight tile; with ``N`` outermost (image-major) each image repeats
the one-image schedule. For ``b >= 2`` every factor is a constant of the candidate, so a candidate
costs ``b x per_image + per_batch`` bytes: the batch's least traffic over candidates never
decreases with ``b`` and, per image, never increases (each candidate's does not, and the
image-major candidate of every one-image tiling costs at most ``b`` times its one-image traffic).

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


@dataclass(frozen=True, eq=False)
class _Grid:
    """The tile sizes of every layer and what the traffic formula needs about them (arrays that
    broadcast to ``[L, TILE_STEPS_CHANNELS, TILE_STEPS_ROWS, TILE_STEPS_CHANNELS]``)."""

    grouped: npt.NDArray[np.bool_]
    trips: dict[str, FloatArray]
    """Trip counts of the loops ``A``, ``E``, ``K``."""
    halo: FloatArray
    input_tile: FloatArray
    weight_tile: FloatArray
    output_tile: FloatArray


def _col(x: npt.NDArray[Any]) -> npt.NDArray[Any]:
    return x.reshape(-1, 1, 1, 1)


def _grid_of(t: LayerTable) -> _Grid:
    grouped = t.groups > 1
    cg, mg = t.C / t.groups, t.M / t.groups
    dim_a = np.where(grouped, t.groups, t.M)
    dim_k = np.where(grouped, 1.0, t.C)
    ta, na = _grid(dim_a, TILE_STEPS_CHANNELS, 1)
    te, ne = _grid(t.E, TILE_STEPS_ROWS, 2)
    tk, nk = _grid(dim_k, TILE_STEPS_CHANNELS, 3)
    grp = _col(grouped)
    rows_in = np.minimum(_col(t.H), (te - 1.0) * _col(t.stride) + _col(t.R))
    in_channels = np.where(grp, ta * _col(cg), tk)
    return _Grid(
        grouped=grp, trips={"A": na, "E": ne, "K": nk},
        halo=np.maximum(1.0, ne * rows_in / _col(t.H)),
        input_tile=in_channels * rows_in * _col(t.W),
        weight_tile=ta * tk * np.where(grp, _col(mg * cg), 1.0) * _col(t.R * t.S),
        output_tile=ta * np.where(grp, _col(mg), 1.0) * te * _col(t.F) * ACC_BYTES)


def candidates(t: LayerTable) -> TilingCandidates:
    """Enumerate the tilings of every layer of ``t`` (vectorised; SA-independent)."""
    g = _grid_of(t)
    grp, halo, trips = g.grouped, g.halo, g.trips
    best = np.full(np.broadcast(g.input_tile, g.weight_tile, g.output_tile).shape, np.inf)
    for order in _ORDERS:
        f_in = np.where(grp, 1.0, _refetch(trips, order, "A"))
        f_w = _refetch(trips, order, "E")
        f_out = _refetch(trips, order, "K")
        traffic = (_col(t.input_bytes) * halo * f_in + _col(t.weight_bytes) * f_w
                   + _col(t.output_bytes) * (1.0 + 2.0 * ACC_BYTES * (f_out - 1.0)))
        best = np.minimum(best, traffic)

    # Data-movement layers stream (read inputs, write outputs once) and need no tile.
    mac = _col(t.is_mac)
    stream = _col(t.input_bytes + t.output_bytes)
    shape = best.shape
    return TilingCandidates(
        input_tile=np.where(mac, np.broadcast_to(g.input_tile, shape), 0.0),
        weight_tile=np.where(mac, np.broadcast_to(g.weight_tile, shape), 0.0),
        output_tile=np.where(mac, np.broadcast_to(g.output_tile, shape), 0.0),
        traffic=np.where(mac, best, np.broadcast_to(stream, shape)),
    )


def fitting(tc: TilingCandidates, sa: SubAcceleratorSpec) -> npt.NDArray[np.bool_]:
    """Which tilings of every layer fit ``sa``'s buffers (shape of ``tc``'s arrays)."""
    on_glb = tc.input_tile + tc.output_tile
    fits = on_glb + tc.weight_tile <= sa.global_buffer_bytes
    if sa.dataflow == "weight_stationary":
        in_pes = tc.weight_tile <= WS_WEIGHT_SHARE * sa.pes * sa.pe_buffer_bytes
        fits = fits | ((on_glb <= sa.global_buffer_bytes) & in_pes)
    return np.asarray(fits)


_BATCH_ORDERS = tuple(permutations((*_LOOPS, "N")))
#: The loops each tensor's tile depends on (the others are irrelevant to it).
_RELEVANT = {"I": ("E", "K", "N"), "W": ("A", "K"), "O": ("A", "E", "N")}


@dataclass(frozen=True, eq=False)
class BatchTilings:
    """Every (tiling, loop order) candidate of every layer for batches of ``b >= 2`` images.

    Candidate ``c`` of layer ``l`` moves ``b x per_image[l, c] + per_batch[l, c]`` bytes, of which
    ``b x weight_per_image[l, c] + weight_per_batch[l, c]`` are weights. Arrays ``[L, C]``.
    """

    per_image: FloatArray
    per_batch: FloatArray
    weight_per_image: FloatArray
    weight_per_batch: FloatArray
    usable: npt.NDArray[np.bool_]
    """The candidates of a layer's tilings that fit, or of its finest tiling if none does."""


def _refetch_among(trips: dict[str, FloatArray], order: tuple[str, ...], irrelevant: str,
                   relevant: tuple[str, ...]) -> FloatArray:
    """Trips of ``irrelevant`` if a relevant loop with more than one trip is inside it, else 1."""
    inner = [loop for loop in order[order.index(irrelevant) + 1:] if loop in relevant]
    revisits = np.zeros(np.broadcast(*trips.values()).shape, dtype=np.bool_)
    for loop in inner:
        revisits = revisits | (trips[loop] > 1)
    return np.where(revisits, trips[irrelevant], 1.0)


def batch_tilings(t: LayerTable, tc: TilingCandidates, sa: SubAcceleratorSpec, *,
                  several: bool = True) -> BatchTilings:
    """The batch candidates of every layer of ``t`` on ``sa`` (see "Batches" above), for batches
    of two or more images (``several``) or of one (then ``N`` has one trip and every candidate
    is a one-image candidate: the least traffic is :func:`dram_traffic`'s)."""
    g = _grid_of(t)
    trips = {**g.trips, "N": np.full((1, 1, 1, 1), 2.0 if several else 1.0)}
    shape = tc.traffic.shape
    i_bytes = _col(t.input_bytes) * g.halo
    o_bytes, w_bytes = _col(t.output_bytes), _col(t.weight_bytes)
    per_image, per_batch, w_image, w_batch = [], [], [], []
    for order in _BATCH_ORDERS:
        f_in = np.where(g.grouped, 1.0, _refetch_among(trips, order, "A", _RELEVANT["I"]))
        f_out = _refetch_among(trips, order, "K", _RELEVANT["O"])
        f_w = _refetch_among(trips, order, "E", _RELEVANT["W"])
        weights = w_bytes * f_w
        # N > 1 trip: weights re-fetched per image iff a weight loop with > 1 trip is inside N.
        per_image_w = _refetch_among(trips, order, "N", _RELEVANT["W"]) > 1.0
        activations = i_bytes * f_in + o_bytes * (1.0 + 2.0 * ACC_BYTES * (f_out - 1.0))
        w_image.append(np.broadcast_to(np.where(per_image_w, weights, 0.0), shape))
        w_batch.append(np.broadcast_to(np.where(per_image_w, 0.0, weights), shape))
        per_image.append(np.broadcast_to(activations, shape) + w_image[-1])
        per_batch.append(w_batch[-1])
    fits = fitting(tc, sa)
    finest = np.zeros(shape, dtype=np.bool_)
    finest[:, -1, -1, -1] = True
    any_fits = np.asarray(fits.reshape(shape[0], -1).any(axis=1))
    usable = np.where(any_fits[:, None, None, None], fits, finest)

    def flat(parts: list[FloatArray]) -> FloatArray:
        # [orders, L, ...] -> [L, orders x tilings]
        return np.ascontiguousarray(np.stack(parts, axis=1).reshape(shape[0], -1))

    mac = t.is_mac[:, None]
    stream = (t.input_bytes + t.output_bytes)[:, None]
    return BatchTilings(
        per_image=np.where(mac, flat(per_image), stream),
        per_batch=np.where(mac, flat(per_batch), 0.0),
        weight_per_image=np.where(mac, flat(w_image), 0.0),
        weight_per_batch=np.where(mac, flat(w_batch), 0.0),
        usable=np.tile(usable.reshape(shape[0], -1), (1, len(_BATCH_ORDERS))),
    )


def batch_traffic(bt: BatchTilings, batch: int) -> tuple[FloatArray, FloatArray]:
    """(DRAM bytes, of which weight bytes) of every layer for a batch of ``batch >= 2`` images:
    the least over the usable candidates."""
    total = np.where(bt.usable, batch * bt.per_image + bt.per_batch, np.inf)
    best = np.argmin(total, axis=1)
    rows = np.arange(total.shape[0])
    weights = batch * bt.weight_per_image[rows, best] + bt.weight_per_batch[rows, best]
    return total[rows, best], weights


def dram_traffic(tc: TilingCandidates, sa: SubAcceleratorSpec) -> FloatArray:
    """Least DRAM traffic (bytes) of every layer over the tilings that fit ``sa``'s buffers."""
    fits = fitting(tc, sa)
    masked = np.where(fits, tc.traffic, np.inf).reshape(len(tc.traffic), -1).min(axis=1)
    finest = tc.traffic[:, -1, -1, -1]
    return np.where(np.isfinite(masked), masked, finest)


def delivery_cycles(t: LayerTable, batch: int = 1) -> FloatArray:
    """SA cycles to move each layer's distinct inputs, weights and outputs through the global
    buffer's ports (a latency floor for every layer); a batch of ``batch`` images moves its
    inputs and outputs ``batch`` times and the weights once."""
    reads = (batch * t.input_bytes + t.weight_bytes) / GLB_READ_BYTES_PER_CYCLE
    writes = batch * t.output_bytes / GLB_WRITE_BYTES_PER_CYCLE
    return np.maximum(reads, writes)
