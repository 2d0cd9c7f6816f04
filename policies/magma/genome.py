"""MAGMA's genome and genetic operators (Kao & Krishna, HPCA 2022; maestro-project/magma).

A population of P individuals over an RQ of R SJs is two arrays: ``sa[P, R]`` (int, the SA of
each SJ; genome row 0) and ``prio[P, R]`` (float in [0, 1), its priority, higher first; genome
row 1). Operators work on whole populations at once and draw randomness only from the
``numpy.random.Generator`` they are given.

Operators, as in the public ``SchedulerGA``:

- :func:`crossover_gen` (per pair, probability 0.9): one genome row, one cut point; the prefix
  (cut in the first half) or the suffix (otherwise) is swapped between the two children;
- :func:`crossover_rg` (per pair, probability 0.1): both rows cut at the same point, prefixes
  swapped;
- :func:`crossover_accel` (per child, probability 0.1): the child copies one parent ("dad") and
  takes from the other ("mom") every SJ mom maps on a randomly picked SA; dad's SJs on that SA
  that mom places elsewhere move to a random other SA;
- :func:`mutate` (per gene, probability 0.05): a new random SA or priority.

Swaps are real swaps. The public code writes ``dad[r][:p], mom[r][:p] = mom[r][:p], dad[r][:p]``
on numpy arrays: the right-hand side holds *views*, so after the first assignment the second
copies dad's already-overwritten segment back into mom, and "swap" silently becomes "copy mom's
segment into dad, leave mom unchanged". Here both children are built from the untouched
parents.

Each operator draws its random numbers with numpy (so a seed gives the same search as ever) and
builds the children in a compiled kernel (:mod:`mas_sim.sim.jit`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from mas_sim.sim.jit import njit

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
Genome = tuple[IntArray, FloatArray]


def random_population(rng: np.random.Generator, size: int, sjs: int, sas: int) -> Genome:
    """``size`` random individuals: uniform SAs in ``0..sas-1`` and priorities in [0, 1)."""
    return (rng.integers(0, sas, size=(size, sjs), dtype=np.int64),
            rng.random((size, sjs)))


def roulette_pairs(rng: np.random.Generator, weights: FloatArray, n: int,
                   ) -> tuple[IntArray, IntArray]:
    """``n`` pairs of distinct parents drawn without replacement with probability ∝ ``weights``.

    Gumbel top-2 sampling: the same distribution as ``rng.choice(k, 2, p=w, replace=False)``
    for every pair, in one vectorised draw. With a single parent both indices are 0.
    """
    k = weights.shape[0]
    if k == 1:
        zero = np.zeros(n, dtype=np.int64)
        return zero, zero
    log_w = np.log(np.maximum(weights, 1e-300))
    return _top2(log_w, rng.gumbel(size=(n, k)))


@njit
def _top2(log_w: FloatArray, gumbel: FloatArray) -> tuple[IntArray, IntArray]:
    """Per row of ``log_w + gumbel``: the largest key's index, then the second largest's."""
    n, k = gumbel.shape
    first = np.empty(n, dtype=np.int64)
    second = np.empty(n, dtype=np.int64)
    for p in range(n):
        a, b = 0, 1
        ka, kb = log_w[0] + gumbel[p, 0], log_w[1] + gumbel[p, 1]
        if kb > ka:
            a, b, ka, kb = 1, 0, kb, ka
        for j in range(2, k):
            kj = log_w[j] + gumbel[p, j]
            if kj > ka:
                a, b, ka, kb = j, a, kj, ka
            elif kj > kb:
                b, kb = j, kj
        first[p], second[p] = a, b
    return first, second


def crossover_gen(rng: np.random.Generator, dad: Genome, mom: Genome, p: float,
                  ) -> tuple[Genome, Genome]:
    """One-row, one-point crossover of each (dad, mom) pair with probability ``p``.

    For each pair: pick row (SA or priority, 1/2 each) and a cut point ``c`` in ``0..R-1``;
    swap genes ``[:c]`` if ``c < R // 2`` else genes ``[c:]``. Returns the two children.
    """
    n, r = dad[0].shape
    do = rng.random((n,)) < p
    row = rng.random((n,)) < 0.5  # True: the SA row, False: the priority row
    cut = rng.integers(0, r, size=(n,))
    # The cut's prefix (cut in the first half) or suffix is swapped, in the chosen row.
    lo = np.where(cut < r // 2, 0, cut)
    hi = np.where(cut < r // 2, cut, r)
    return _swap(dad, mom, lo, hi, do & row, do & ~row)


def crossover_rg(rng: np.random.Generator, dad: Genome, mom: Genome, p: float,
                 ) -> tuple[Genome, Genome, BoolArray]:
    """Both-rows crossover: with probability ``p`` per pair, swap genes ``[:c]`` of both rows.

    Returns the two children and the mask of pairs that were crossed (the caller replaces only
    those pairs, as the public code does).
    """
    n, r = dad[0].shape
    do = rng.random((n,)) < p
    cut = rng.integers(0, r, size=(n,))
    a, b = _swap(dad, mom, np.zeros(n, dtype=np.int64), cut, do, do)
    return a, b, do


def _swap(dad: Genome, mom: Genome, lo: IntArray, hi: IntArray, sa_rows: BoolArray,
          prio_rows: BoolArray) -> tuple[Genome, Genome]:
    """Children of each pair with genes ``lo:hi`` swapped in the SA row (where ``sa_rows``) and
    in the priority row (where ``prio_rows``)."""
    sa_a, sa_b = _swap_segments(dad[0], mom[0], lo, hi, sa_rows)
    pr_a, pr_b = _swap_segments(dad[1], mom[1], lo, hi, prio_rows)
    return (sa_a, pr_a), (sa_b, pr_b)


@njit
def _swap_segments(a: npt.NDArray, b: npt.NDArray, lo: IntArray, hi: IntArray,
                   rows: BoolArray) -> tuple[npt.NDArray, npt.NDArray]:
    """Copies of ``a`` and ``b`` with genes ``lo[i]:hi[i]`` of the ``rows`` pairs exchanged."""
    out_a, out_b = a.copy(), b.copy()
    for i in range(a.shape[0]):
        if rows[i]:
            for g in range(lo[i], hi[i]):
                out_a[i, g], out_b[i, g] = b[i, g], a[i, g]
    return out_a, out_b


def crossover_accel(rng: np.random.Generator, dad: Genome, mom: Genome, sas: int, p: float,
                    ) -> tuple[Genome, BoolArray]:
    """Accelerator crossover: the child inherits mom's whole job set on one random SA.

    With probability ``p`` per child: pick SA ``a``; genes where mom maps to ``a`` come from mom
    (both rows); genes where only dad maps to ``a`` get a random SA other than ``a``. Returns
    the children and the mask of children that were produced this way.
    """
    n, r = dad[0].shape
    do = rng.random((n,)) < p
    pick = rng.integers(0, sas, size=(n,))
    # A different SA, so the child's job set on ``pick`` is exactly mom's (the public code may
    # draw ``pick`` again).
    other = rng.integers(0, max(sas - 1, 1), size=(n, r))
    sa, prio = _accel(dad[0], dad[1], mom[0], mom[1], do, pick, other)
    return (sa, prio), do


@njit
def _accel(dad_sa: IntArray, dad_prio: FloatArray, mom_sa: IntArray, mom_prio: FloatArray,
           do: BoolArray, pick: IntArray, other: IntArray) -> tuple[IntArray, FloatArray]:
    sa, prio = dad_sa.copy(), dad_prio.copy()
    for i in range(sa.shape[0]):
        if not do[i]:
            continue
        for g in range(sa.shape[1]):
            if mom_sa[i, g] == pick[i]:  # mom's gene on the picked SA: from mom
                sa[i, g] = mom_sa[i, g]
                prio[i, g] = mom_prio[i, g]
            elif dad_sa[i, g] == pick[i]:  # dad's gene there that mom places elsewhere: moved
                sa[i, g] = other[i, g] + (1 if other[i, g] >= pick[i] else 0)
    return sa, prio


def mutate(rng: np.random.Generator, genome: Genome, sas: int, p: float) -> Genome:
    """Replace each gene with probability ``p``: a random SA, or a random priority in [0, 1)."""
    sa, prio = genome
    shape = sa.shape
    sa_hit = rng.random(shape) < p
    new_sa = rng.integers(0, sas, size=shape)
    prio_hit = rng.random(shape) < p
    new_prio = rng.random(shape)
    return _replace(sa, sa_hit, new_sa), _replace(prio, prio_hit, new_prio)


@njit
def _replace(values: npt.NDArray, hit: BoolArray, new: npt.NDArray) -> npt.NDArray:
    """``np.where(hit, new, values)``."""
    out = values.copy()
    for i in range(out.shape[0]):
        for g in range(out.shape[1]):
            if hit[i, g]:
                out[i, g] = new[i, g]
    return out
