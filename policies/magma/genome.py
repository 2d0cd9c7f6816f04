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
segment into dad, leave mom unchanged". Here both children are built with ``np.where`` from the
untouched parents.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
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
    keys = np.log(np.maximum(weights, 1e-300))[None, :] + rng.gumbel(size=(n, k))
    top2 = np.argpartition(-keys, 1, axis=1)[:, :2]
    first = np.where(keys[np.arange(n), top2[:, 0]] >= keys[np.arange(n), top2[:, 1]],
                     top2[:, 0], top2[:, 1])
    second = np.where(first == top2[:, 0], top2[:, 1], top2[:, 0])
    return first.astype(np.int64), second.astype(np.int64)


def _swap_rows(a: npt.NDArray, b: npt.NDArray, mask: npt.NDArray[np.bool_],
               ) -> tuple[npt.NDArray, npt.NDArray]:
    """Real swap of the masked genes between ``a`` and ``b`` (new arrays)."""
    return np.where(mask, b, a), np.where(mask, a, b)


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
    col = np.arange(r)[None, :]
    segment = np.where((cut < r // 2)[:, None], col < cut[:, None], col >= cut[:, None])
    segment &= do[:, None]
    sa_a, sa_b = _swap_rows(dad[0], mom[0], segment & row[:, None])
    pr_a, pr_b = _swap_rows(dad[1], mom[1], segment & ~row[:, None])
    return (sa_a, pr_a), (sa_b, pr_b)


def crossover_rg(rng: np.random.Generator, dad: Genome, mom: Genome, p: float,
                 ) -> tuple[Genome, Genome, npt.NDArray[np.bool_]]:
    """Both-rows crossover: with probability ``p`` per pair, swap genes ``[:c]`` of both rows.

    Returns the two children and the mask of pairs that were crossed (the caller replaces only
    those pairs, as the public code does).
    """
    n, r = dad[0].shape
    do = rng.random((n,)) < p
    cut = rng.integers(0, r, size=(n,))
    segment = (np.arange(r)[None, :] < cut[:, None]) & do[:, None]
    sa_a, sa_b = _swap_rows(dad[0], mom[0], segment)
    pr_a, pr_b = _swap_rows(dad[1], mom[1], segment)
    return (sa_a, pr_a), (sa_b, pr_b), do


def crossover_accel(rng: np.random.Generator, dad: Genome, mom: Genome, sas: int, p: float,
                    ) -> tuple[Genome, npt.NDArray[np.bool_]]:
    """Accelerator crossover: the child inherits mom's whole job set on one random SA.

    With probability ``p`` per child: pick SA ``a``; genes where mom maps to ``a`` come from mom
    (both rows); genes where only dad maps to ``a`` get a random SA other than ``a``. Returns
    the children and the mask of children that were produced this way.
    """
    n, r = dad[0].shape
    do = rng.random((n,)) < p
    pick = rng.integers(0, sas, size=(n,))[:, None]
    from_mom = (mom[0] == pick) & do[:, None]
    moved = (dad[0] == pick) & ~from_mom & do[:, None]
    sa = np.where(from_mom, mom[0], dad[0])
    # A different SA, so the child's job set on ``pick`` is exactly mom's (the public code may
    # draw ``pick`` again).
    other = rng.integers(0, max(sas - 1, 1), size=(n, r))
    sa = np.where(moved, other + (other >= pick), sa)
    prio = np.where(from_mom, mom[1], dad[1])
    return (sa, prio), do


def mutate(rng: np.random.Generator, genome: Genome, sas: int, p: float) -> Genome:
    """Replace each gene with probability ``p``: a random SA, or a random priority in [0, 1)."""
    sa, prio = genome
    shape = sa.shape
    new_sa = np.where(rng.random(shape) < p, rng.integers(0, sas, size=shape), sa)
    new_prio = np.where(rng.random(shape) < p, rng.random(shape), prio)
    return new_sa, new_prio
