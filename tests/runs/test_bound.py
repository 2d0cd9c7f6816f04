"""Offline CP-SAT bound against brute force on tiny instances."""

from __future__ import annotations

import itertools
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mas_sim.core.errors import ConfigError, MissingExtraError, ModelError
from mas_sim.hardware import SystemSpec, eyeriss_small, simba_small
from mas_sim.hardware.profile import ModelProfile
from mas_sim.runs.bound import BoundRequest, offline_bound

pytest.importorskip("ortools")

SYSTEM = SystemSpec((eyeriss_small(), simba_small()))


def _profiles(one: list[float], two: list[list[float]]) -> dict[str, ModelProfile]:
    zeros1, zeros2 = [[0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]]
    return {
        "one": ModelProfile.build("one", ["a"], [], [one], zeros1),
        "two": ModelProfile.build("two", ["a", "b"], [("a", "b")], two, zeros2),
    }


def brute_force(reqs: list[BoundRequest], profiles: dict[str, ModelProfile]) -> int:
    """Best met count over every SA assignment and every global layer order (semi-active)."""
    layers = [(j, layer) for j, r in enumerate(reqs)
              for layer in range(profiles[r.model].num_layers)]
    best = 0
    for sas in itertools.product(range(2), repeat=len(layers)):
        for order in itertools.permutations(range(len(layers))):
            free = [0.0, 0.0]
            end: dict[tuple[int, int], float] = {}
            ok = True
            for k in order:
                j, layer = layers[k]
                prof = profiles[reqs[j].model]
                if any((j, u) not in end for u in prof.predecessors[layer]):
                    ok = False
                    break
                start = max([reqs[j].arrival, free[sas[k]]]
                            + [end[(j, u)] for u in prof.predecessors[layer]])
                end[(j, layer)] = free[sas[k]] = start + float(prof.latency[layer, sas[k]])
            if ok:
                met = sum(max(end[(j, la)] for la in range(profiles[r.model].num_layers))
                          <= r.deadline for j, r in enumerate(reqs))
                best = max(best, met)
    return best


def greedy_edf(reqs: list[BoundRequest], profiles: dict[str, ModelProfile]) -> int:
    free = [0.0, 0.0]
    met = 0
    for r in sorted(reqs, key=lambda r: (r.deadline, r.arrival)):
        t = r.arrival
        for layer in range(profiles[r.model].num_layers):
            lat = profiles[r.model].latency[layer]
            m = min(range(2), key=lambda m: max(free[m], t) + lat[m])
            t = free[m] = max(free[m], t) + float(lat[m])
        met += t <= r.deadline
    return met


def test_hand_made_instance() -> None:
    # Three one-layer requests taking 2 on SA0 and 3 on SA1, all at time 0, deadlines 2, 2, 3:
    # only SA0 can finish one by 2, and SA1 finishes one by 3 -> at most 2 met.
    profiles = _profiles([2.0, 3.0], [[1.0, 1.0], [1.0, 1.0]])
    reqs = [BoundRequest(0, "one", 0, 2), BoundRequest(1, "one", 0, 2),
            BoundRequest(2, "one", 0, 3)]
    result = offline_bound(reqs, profiles, SYSTEM)
    assert (result.met, result.requests, result.optimal) == (2, 3, True)
    assert result.sla_satisfaction == pytest.approx(2 / 3)
    assert brute_force(reqs, profiles) == 2


@settings(max_examples=12, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_equals_brute_force_and_beats_greedy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    profiles = _profiles(rng.integers(1, 8, 2).astype(float).tolist(),
                         rng.integers(1, 6, (2, 2)).astype(float).tolist())
    reqs = []
    n_layers = 0
    for j in range(int(rng.integers(2, 5))):
        model = "two" if rng.random() < 0.4 and n_layers <= 3 else "one"
        n_layers += 2 if model == "two" else 1
        if n_layers > 5:
            break
        arrival = int(rng.integers(0, 6))
        reqs.append(BoundRequest(j, model, arrival, arrival + int(rng.integers(1, 12))))
    result = offline_bound(reqs, profiles, SYSTEM)
    assert result.optimal
    assert result.met == brute_force(reqs, profiles)
    assert result.met >= greedy_edf(reqs, profiles)


def test_fractional_cycles_stay_an_upper_bound() -> None:
    # Real schedule meeting both: SA0 runs 0.5 -> 3.0 and 3.0 -> 5.5 (SA1 is far too slow).
    # Rounding durations up (3 cycles) would lose the second request; flooring must not.
    profiles = _profiles([2.5, 100.0], [[1.0, 1.0], [1.0, 1.0]])
    reqs = [BoundRequest(0, "one", 0.5, 3.0), BoundRequest(1, "one", 0.5, 5.5)]
    assert offline_bound(reqs, profiles, SYSTEM).met == 2
    assert offline_bound(reqs, profiles, SYSTEM, resolution_cycles=2.0).met == 2


def test_errors() -> None:
    profiles = _profiles([1.0, 1.0], [[1.0, 1.0], [1.0, 1.0]])
    many = [BoundRequest(j, "one", 0, 10) for j in range(5)]
    with pytest.raises(ConfigError, match="5 requests, more than max_requests = 4"):
        offline_bound(many, profiles, SYSTEM, max_requests=4)
    with pytest.raises(ModelError, match="unknown model 'nope'"):
        offline_bound([(0, "nope", 0, 1)], profiles, SYSTEM)
    with pytest.raises(ConfigError, match="arrival 5"):
        offline_bound([(0, "one", 5, 1)], profiles, SYSTEM)
    with pytest.raises(ConfigError, match="has costs for 2 SAs"):
        offline_bound([(0, "one", 0, 1)], profiles, SystemSpec.paper())
    assert offline_bound([], profiles, SYSTEM).sla_satisfaction == 1.0


def test_missing_ortools_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ortools.sat.python", None)
    with pytest.raises(MissingExtraError, match=r"mas-sim\[exact\]"):
        offline_bound([], {}, SYSTEM)
