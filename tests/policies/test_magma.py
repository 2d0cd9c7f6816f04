"""MAGMA: the fitness against a plain simulator, GA operators, search quality."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mas_sim.core.errors import PolicyError
from mas_sim.sim.view import Schedule, SchedulerView, validate_schedule
from policies.magma import Magma
from policies.magma.fitness import FitnessProblem, evaluate, simulate
from policies.magma.genome import crossover_accel, crossover_gen, crossover_rg, mutate
from tests.policies.policy_views import make_view, random_view


def reference_finish(view: SchedulerView, sa: list[int], prio: list[float]) -> list[float]:
    """Event-by-event simulation of one schedule, written plainly (the model of fitness.py)."""
    r, m = view.latency.shape
    now, bw_total = view.now, view.dram_bandwidth
    release = [max(x, now) for x in view.release.tolist()]
    pending = [len(p) for p in view.predecessors]
    started = [False] * r
    finish = [math.inf] * r
    demand0 = float(view.running_bandwidth.sum())
    r0 = min(1.0, bw_total / demand0) if demand0 > 0 else 1.0
    run: list[list[float] | None] = [
        [-2, b * r0, d] if b > 0 else None
        for b, d in zip(view.sa_busy_for.tolist(), view.running_bandwidth.tolist(), strict=True)]
    t = now
    while True:
        for j in range(m):
            if run[j] is None:
                cands = [i for i in range(r) if sa[i] == j and not started[i] and pending[i] == 0
                         and release[i] <= t]
                if cands:
                    i = max(cands, key=lambda i: (prio[i], -i))
                    started[i] = True
                    run[j] = [i, float(view.latency[i, j]), float(view.bandwidth[i, j])]
        total = sum(x[2] for x in run if x is not None)
        rate = min(1.0, bw_total / total) if total > 0 else 1.0
        ahead = [x for i, x in enumerate(release) if x > t and not started[i]]
        dt = min([x[1] / rate for x in run if x is not None] + [x - t for x in ahead],
                 default=math.inf)
        if dt == math.inf:
            return finish
        t += dt
        for j in range(m):
            x = run[j]
            if x is None:
                continue
            ends = x[1] / rate <= dt * (1 + 1e-12) + 1e-9
            x[1] -= dt * rate
            if ends:
                run[j] = None
                i = int(x[0])
                if i >= 0:
                    finish[i] = t
                    for v in view.successors[i]:
                        pending[v] -= 1


def reference_hits(view: SchedulerView, finish: list[float]) -> int:
    per_job: dict[int, float] = {}
    for j, f in zip(view.job_id.tolist(), finish, strict=True):
        per_job[j] = max(per_job.get(j, -math.inf), f)
    deadline = dict(zip(view.job_id.tolist(), view.deadline.tolist(), strict=True))
    return sum(f <= deadline[j] for j, f in per_job.items())


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([2.0, 8.0, 64.0]))
@example(268435456, 2.0)  # a release equal to a busy SA's finish (linked by default)
def test_simulation_matches_plain_simulator(seed: int, bandwidth: float) -> None:
    rng = np.random.default_rng(seed)
    view = random_view(rng, jobs=int(rng.integers(1, 6)), max_layers=4, sas=3,
                       now=1000.0, dram_bandwidth=bandwidth)
    pop = 5
    sa = rng.integers(0, 3, size=(pop, view.size))
    prio = rng.random((pop, view.size))
    prio[0] = 0.5  # all ties: lower RQ index first
    # The plain simulator takes every release as a fixed time; so must the fitness here (a random
    # release can equal a busy SA's projected finish and be linked to it; the forecast test
    # checks linking).
    problem = FitnessProblem.from_view(view, link_releases=False)
    got = simulate(problem, sa, prio)
    for p in range(pop):
        want = reference_finish(view, sa[p].tolist(), prio[p].tolist())
        np.testing.assert_allclose(got[p], want, rtol=1e-9)
    _, hits, makespan = evaluate(problem, sa, prio)
    for p in range(pop):
        want = reference_finish(view, sa[p].tolist(), prio[p].tolist())
        assert hits[p] == reference_hits(view, want)
        assert makespan[p] == pytest.approx(max(want))


def test_contention_slows_both_sjs_exactly() -> None:
    # Two SJs on two SAs, each 100 cycles at 8 B/cycle; B = 8: both run at rate 1/2 -> 200.
    view = make_view([[100.0, 100.0], [100.0, 100.0]], bandwidth=[[8.0, 8.0], [8.0, 8.0]],
                     dram_bandwidth=8.0)
    finish = simulate(FitnessProblem.from_view(view), np.array([[0, 1]]), np.zeros((1, 2)))
    assert finish.tolist() == [[200.0, 200.0]]


def test_busy_sa_and_release_delay_starts() -> None:
    # SA0 busy for 50 cycles (no contention); SJ1's predecessor outside the RQ ends at 30.
    view = make_view([[10.0], [10.0]], sa_busy_for=[50.0], release=[0.0, 30.0])
    finish = simulate(FitnessProblem.from_view(view), np.array([[0, 0]]),
                      np.array([[0.0, 1.0]]))
    # At 50 both may start: SJ1 has the higher priority -> 60, then SJ0 -> 70.
    assert finish.tolist() == [[70.0, 60.0]]


@pytest.mark.parametrize("link", [True, False])
def test_forecast_agrees_with_vectorised_fitness(link: bool) -> None:
    forecast_mod = pytest.importorskip("mas_sim.sim.forecast")
    for seed in range(30):
        rng = np.random.default_rng(seed)
        view = random_view(rng, jobs=4, max_layers=4, sas=3, now=500.0,
                           dram_bandwidth=float(rng.choice([4.0, 16.0])), link_releases=True)
        sa = rng.integers(0, 3, size=(1, view.size))
        prio = rng.random((1, view.size))
        want = forecast_mod.forecast(view, Schedule(prio[0], sa[0]), link_releases=link)
        got = simulate(FitnessProblem.from_view(view, link_releases=link), sa, prio)[0]
        np.testing.assert_allclose(got, want, rtol=1e-9)


def test_linked_release_follows_the_running_sj_under_contention() -> None:
    # SA0 runs an SJ (4 B/cycle) projected to end in 100 cycles; SJ0 (10 cycles, on SA2) waits
    # for it. SJ1 (100 cycles, 8 B/cycle) starts on SA1 at once: demand 12 > B = 8, both run at
    # 2/3 and end at 150. Linked, SJ0 starts at 150 and ends at 160; as a fixed release it
    # starts at 100 and, slowed to 2/3 like every running SJ, ends at 115.
    view = make_view([[10.0] * 3, [100.0] * 3], bandwidth=[[0.0] * 3, [8.0] * 3],
                     release=[100.0, 0.0], sa_busy_for=[100.0, 0.0, 0.0],
                     running_bandwidth=[4.0, 0.0, 0.0], dram_bandwidth=8.0)
    sa, prio = np.array([[2, 1]]), np.zeros((1, 2))
    linked = simulate(FitnessProblem.from_view(view), sa, prio)
    fixed = simulate(FitnessProblem.from_view(view, link_releases=False), sa, prio)
    assert linked.tolist() == [[160.0, 150.0]]
    assert fixed.tolist() == [[115.0, 150.0]]


def _tricky_view() -> SchedulerView:
    # EDF + earliest finish puts all three on the fast SA0 and misses J2; the optimum sends J0
    # to the slow SA1 (finishes at 3 <= 3) and meets all three.
    return make_view([[2.0, 3.0], [2.0, 10.0], [2.0, 10.0]], deadline=[3.0, 4.0, 4.0])


def brute_force_hits(view: SchedulerView) -> int:
    r, m = view.latency.shape
    best = 0
    for sas in itertools.product(range(m), repeat=r):
        for order in itertools.permutations(range(r)):
            prio = [0.0] * r
            for rank, i in enumerate(order):
                prio[i] = float(r - rank)
            best = max(best, reference_hits(view, reference_finish(view, list(sas), prio)))
    return best


@pytest.mark.parametrize("seed_heuristic", [True, False])
def test_magma_finds_the_brute_force_optimum(seed_heuristic: bool) -> None:
    view = _tricky_view()
    assert brute_force_hits(view) == 3
    policy = Magma(generations=30, population=20, seed_heuristic=seed_heuristic)
    policy.reset(None, seed=3)  # type: ignore[arg-type]
    schedule = validate_schedule(policy.schedule(view), view, "magma")
    finish = reference_finish(view, schedule.sa.tolist(), schedule.priority.tolist())
    assert reference_hits(view, finish) == 3
    assert policy.last_hits == 3


def test_magma_is_never_worse_than_its_edf_seed() -> None:
    # EDF + earliest finish meets 2 of 3 here; with no evolution the answer is the best of the
    # initial population, which holds that individual.
    view = _tricky_view()
    for seed in range(5):
        policy = Magma(generations=0, population=2)
        policy.reset(None, seed=seed)  # type: ignore[arg-type]
        schedule = policy.schedule(view)
        finish = reference_finish(view, schedule.sa.tolist(), schedule.priority.tolist())
        assert reference_hits(view, finish) >= 2


def test_magma_is_deterministic_for_a_seed() -> None:
    view = random_view(np.random.default_rng(7), jobs=6, max_layers=4, sas=4)
    runs = []
    for _ in range(2):
        policy = Magma(generations=5, population=12)
        policy.reset(None, seed=11)  # type: ignore[arg-type]
        s1, s2 = policy.schedule(view), policy.schedule(view)
        runs.append((s1.sa.tolist(), s1.priority.tolist(), s2.sa.tolist(), s2.priority.tolist()))
    assert runs[0] == runs[1]


def _parents(r: int = 8) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    dad = (np.zeros((50, r), dtype=np.int64), np.zeros((50, r)))
    mom = (np.ones((50, r), dtype=np.int64), np.ones((50, r)))
    return dad, mom


def test_crossover_gen_really_swaps() -> None:
    dad, mom = _parents()
    a, b = crossover_gen(np.random.default_rng(0), dad, mom, p=1.0)
    for row in (0, 1):
        # A real swap: every gene the first child took from mom, the second took from dad.
        np.testing.assert_array_equal(a[row] + b[row], 1)
    mixed = [(a[0][i].min() != a[0][i].max()) or (a[1][i].min() != a[1][i].max())
             for i in range(50)]
    assert sum(mixed) > 25  # most pairs cut inside the genome (a cut at 0 swaps nothing)
    for i in range(50):  # only one row is crossed per pair
        assert a[0][i].min() == a[0][i].max() or a[1][i].min() == a[1][i].max()


def test_crossover_rg_swaps_both_rows_at_one_cut() -> None:
    dad, mom = _parents()
    a, b, crossed = crossover_rg(np.random.default_rng(1), dad, mom, p=1.0)
    assert crossed.all()
    np.testing.assert_array_equal(a[0], a[1])  # both rows cut together
    np.testing.assert_array_equal(a[0] + b[0], 1)
    assert (a[0][:, 0] == 1).sum() > 25  # prefix from mom whenever the cut is past gene 0


def test_crossover_rg_probability_zero_changes_nothing() -> None:
    dad, mom = _parents()
    a, b, crossed = crossover_rg(np.random.default_rng(1), dad, mom, p=0.0)
    assert not crossed.any()
    np.testing.assert_array_equal(a[0], dad[0])
    np.testing.assert_array_equal(b[1], mom[1])


def test_crossover_accel_inherits_moms_whole_sa() -> None:
    rng = np.random.default_rng(2)
    dad = (rng.integers(0, 3, size=(40, 10)), rng.random((40, 10)))
    mom = (rng.integers(0, 3, size=(40, 10)), rng.random((40, 10)) + 1.0)
    child, made = crossover_accel(np.random.default_rng(3), dad, mom, sas=3, p=1.0)
    assert made.all()
    for i in range(40):
        picked = [a for a in range(3) if np.array_equal(child[0][i] == a, mom[0][i] == a)
                  and np.all(child[1][i][mom[0][i] == a] == mom[1][i][mom[0][i] == a])]
        assert picked, "the child must hold exactly mom's job set on some SA"
        others = mom[0][i] != picked[0]
        np.testing.assert_array_equal(child[1][i][others], dad[1][i][others])


def test_mutation_rate() -> None:
    genome = (np.zeros((100, 100), dtype=np.int64), np.full((100, 100), 2.0))
    sa, prio = mutate(np.random.default_rng(4), genome, sas=4, p=0.05)
    changed = (prio != 2.0).mean()
    assert 0.04 < changed < 0.06
    assert set(np.unique(sa)) <= {0, 1, 2, 3}
    assert (prio[prio != 2.0] < 1.0).all()


@pytest.mark.parametrize(("options", "word"), [
    ({"population": 1}, "population"), ({"generations": -1}, "generations"),
    ({"p_mutation": 1.5}, "p_mutation"), ({"time_budget_s": 0.0}, "time_budget_s"),
])
def test_bad_options_are_rejected(options: dict[str, float], word: str) -> None:
    with pytest.raises(PolicyError, match=word):
        Magma(**options)  # type: ignore[arg-type]


def test_time_budget_stops_the_search() -> None:
    view = random_view(np.random.default_rng(5), jobs=10, max_layers=5, sas=6)
    policy = Magma(generations=10_000, population=10, time_budget_s=0.05)
    policy.reset(None, seed=0)  # type: ignore[arg-type]
    validate_schedule(policy.schedule(view), view, "magma")
    assert 0 < policy.last_generations < 10_000
