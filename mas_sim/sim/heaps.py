"""Binary min-heaps of ``(key, index)`` pairs held in arrays, for the compiled kernels.

Several heaps share three arrays: heap ``h`` lives in ``key[start[h]:]`` and ``item[start[h]:]``
and holds ``size[h]`` pairs (the caller sizes each heap's slice). Pairs compare by key, then by
index, so the pop order is fully determined (no ties). Used by the forecast (each SA's queue,
keyed by minus the priority) and MAGMA's fitness (each SA's startable sub-jobs).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from mas_sim.sim.jit import njit

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@njit(inline=True)
def heap_push(start: IntArray, size: IntArray, key: FloatArray, item: IntArray, heap: int,
              k_new: float, i_new: int) -> None:
    """Add ``(k_new, i_new)`` to heap ``heap``."""
    base = start[heap]
    k = size[heap]
    size[heap] += 1
    while k > 0:
        parent = (k - 1) // 2
        kp, ip = key[base + parent], item[base + parent]
        if not (k_new < kp or (k_new == kp and i_new < ip)):
            break
        key[base + k], item[base + k] = kp, ip
        k = parent
    key[base + k], item[base + k] = k_new, i_new


@njit(inline=True)
def heap_pop(start: IntArray, size: IntArray, key: FloatArray, item: IntArray, heap: int) -> int:
    """Remove the smallest pair of heap ``heap`` (not empty); return its index."""
    base = start[heap]
    top = item[base]
    n = size[heap] - 1
    size[heap] = n
    k_last, i_last = key[base + n], item[base + n]
    k = 0
    while True:
        child = 2 * k + 1
        if child >= n:
            break
        kc, ic = key[base + child], item[base + child]
        if child + 1 < n:
            k2, i2 = key[base + child + 1], item[base + child + 1]
            if k2 < kc or (k2 == kc and i2 < ic):
                child, kc, ic = child + 1, k2, i2
        if not (kc < k_last or (kc == k_last and ic < i_last)):
            break
        key[base + k], item[base + k] = kc, ic
        k = child
    key[base + k], item[base + k] = k_last, i_last
    return top
