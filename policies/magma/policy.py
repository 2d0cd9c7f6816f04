"""MAGMA (Kao & Krishna, HPCA 2022) as an online policy: a genetic search at every tick.

At each tick the ready queue is encoded as a genome (an SA and a priority per SJ, see
:mod:`policies.magma.genome`) and evolved for ``generations`` generations of ``population``
individuals; the fitness (:mod:`policies.magma.fitness`) counts the requests predicted to meet
their deadline under DRAM contention, ties broken by the makespan. The initial population is
random except one individual: the EDF order with earliest-finish SAs, so the search never returns
anything the forecast rates worse than EDF-H.

Randomness: one ``numpy.random.Generator`` seeded by :meth:`Magma.reset`; the same view sequence
and seed give the same schedules, unless ``time_budget_s`` cuts the search (wall clock).
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

import numpy as np

from mas_sim.core.errors import PolicyError
from mas_sim.sim.view import Schedule, SchedulerView
from policies.earliest_finish import earliest_finish_sas
from policies.magma.fitness import FitnessProblem, evaluate
from policies.magma.genome import (
    Genome,
    crossover_accel,
    crossover_gen,
    crossover_rg,
    mutate,
    random_population,
    roulette_pairs,
)

if TYPE_CHECKING:
    from mas_sim.hardware import SystemSpec


class Magma:
    """Genetic-algorithm scheduler; options as in the MAGMA paper's defaults."""

    name = "magma"

    def __init__(self, generations: int = 100, population: int = 100, *,
                 elite_ratio: float = 0.05, parent_ratio: float = 0.1,
                 p_crossover_gen: float = 0.9, p_crossover_rg: float = 0.1,
                 p_crossover_accel: float = 0.1, p_mutation: float = 0.05,
                 time_budget_s: float | None = None, seed_heuristic: bool = True) -> None:
        """``generations`` x ``population`` individuals per tick; ``elite_ratio`` of them kept
        unchanged, parents drawn from the top ``parent_ratio`` by roulette on fitness; operator
        probabilities as in the paper. ``time_budget_s``: stop a tick's search after this wall
        time (seconds; breaks bit-exact reproducibility). ``seed_heuristic``: put the EDF /
        earliest-finish schedule into the initial population."""
        if not isinstance(generations, int) or generations < 0:
            raise PolicyError(f"magma: generations = {generations!r}, expected an integer >= 0")
        if not isinstance(population, int) or population < 2:
            raise PolicyError(f"magma: population = {population!r}, expected an integer >= 2")
        for label, value in (("elite_ratio", elite_ratio), ("parent_ratio", parent_ratio),
                             ("p_crossover_gen", p_crossover_gen),
                             ("p_crossover_rg", p_crossover_rg),
                             ("p_crossover_accel", p_crossover_accel),
                             ("p_mutation", p_mutation)):
            if not 0.0 <= value <= 1.0:
                raise PolicyError(f"magma: {label} = {value!r}, expected a number in [0, 1]")
        if time_budget_s is not None and not time_budget_s > 0:
            raise PolicyError(f"magma: time_budget_s = {time_budget_s!r}, expected > 0 or None")
        self.generations = generations
        self.population = population
        self.elite_ratio = elite_ratio
        self.parent_ratio = parent_ratio
        self.p_crossover_gen = p_crossover_gen
        self.p_crossover_rg = p_crossover_rg
        self.p_crossover_accel = p_crossover_accel
        self.p_mutation = p_mutation
        self.time_budget_s = time_budget_s
        self.seed_heuristic = seed_heuristic
        self._rng = np.random.default_rng(None)
        self.last_generations = 0
        """Generations run at the last tick (fewer than ``generations`` under a time budget)."""
        self.last_hits = 0
        """Predicted deadline hits of the returned schedule at the last tick."""

    def reset(self, system: SystemSpec, seed: int | None = None) -> None:
        """Re-seed the policy's random generator."""
        self._rng = np.random.default_rng(seed)

    def schedule(self, view: SchedulerView) -> Schedule:
        """Evolve schedules for this tick's RQ and return the fittest."""
        start = time.perf_counter()
        rng = self._rng
        problem = FitnessProblem.from_view(view)
        r, m = problem.size, problem.num_sas
        n_pop = self.population
        n_elite = max(1, int(n_pop * self.elite_ratio))
        n_parent = min(n_pop, max(2, int(n_pop * self.parent_ratio)))
        pop = random_population(rng, n_pop, r, m)
        if self.seed_heuristic:
            order = np.lexsort((view.layer_index, view.job_id, view.arrival, view.deadline))
            pop[0][0] = earliest_finish_sas(view, order.tolist())
            pop[1][0, order] = 1.0 - (np.arange(r) + 0.5) / r
        fitness, hits, _ = evaluate(problem, *pop)
        generation = 0
        while generation < self.generations:
            if self.time_budget_s is not None and time.perf_counter() - start >= self.time_budget_s:
                break
            rank = np.argsort(-fitness, kind="stable")
            elite = _take(pop, rank[:n_elite])
            parents = _take(pop, rank[:n_parent])
            parent_fit = fitness[rank[:n_parent]]
            children = self._offspring(parents, parent_fit - parent_fit.min() + 1.0,
                                       n_pop - n_elite, m)
            child_fit, child_hits, _ = evaluate(problem, *children)
            pop = (np.concatenate([elite[0], children[0]]),
                   np.concatenate([elite[1], children[1]]))
            fitness = np.concatenate([fitness[rank[:n_elite]], child_fit])
            hits = np.concatenate([hits[rank[:n_elite]], child_hits])
            generation += 1
        best = int(np.argmax(fitness))
        self.last_generations = generation
        self.last_hits = int(hits[best])
        return Schedule(priority=pop[1][best].copy(), sa=pop[0][best].copy())

    def _offspring(self, parents: Genome, weights: np.ndarray, n_child: int, m: int) -> Genome:
        """``n_child`` children of ``parents`` through the three crossovers and mutation."""
        rng = self._rng
        n_pairs = math.ceil(n_child / 2)
        dad, mom = roulette_pairs(rng, weights, n_pairs)
        a, b = crossover_gen(rng, _take(parents, dad), _take(parents, mom), self.p_crossover_gen)
        dad, mom = roulette_pairs(rng, weights, n_pairs)
        ra, rb, crossed = crossover_rg(rng, _take(parents, dad), _take(parents, mom),
                                       self.p_crossover_rg)
        keep = crossed[:, None]
        children = (np.concatenate([np.where(keep, ra[0], a[0]), np.where(keep, rb[0], b[0])]),
                    np.concatenate([np.where(keep, ra[1], a[1]), np.where(keep, rb[1], b[1])]))
        children = (children[0][:n_child], children[1][:n_child])
        dad, mom = roulette_pairs(rng, weights, n_child)
        acc, made = crossover_accel(rng, _take(parents, dad), _take(parents, mom), m,
                                    self.p_crossover_accel)
        children = (np.where(made[:, None], acc[0], children[0]),
                    np.where(made[:, None], acc[1], children[1]))
        return mutate(rng, children, m, self.p_mutation)


def _take(genome: Genome, index: np.ndarray) -> Genome:
    """The individuals of ``genome`` at ``index`` (copies)."""
    return genome[0][index], genome[1][index]
