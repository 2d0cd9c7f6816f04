"""Invariants of the analytical cost model over random layers and sub-accelerators."""

from __future__ import annotations

import math
from dataclasses import replace

import networkx as nx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mas_sim.hardware import SubAcceleratorSpec
from mas_sim.hardware.costmodel import array_shape, layer_costs


def conv_graph(c: int, h: int, m: int, k: int, stride: int, groups: int) -> nx.DiGraph:
    pad = k // 2
    e = (h + 2 * pad - k) // stride + 1
    weights = m * (c // groups) * k * k
    graph = nx.DiGraph(name="rand")
    graph.add_node("l0", op="conv", macs=weights * e * e, weights=weights, params=weights,
                   input_shape=(c, h, h), output_shape=(m, e, e), kernel=(k, k),
                   stride=(stride, stride), padding=(pad, pad), groups=groups,
                   bytes_in=c * h * h, bytes_out=m * e * e, weight_bytes=weights)
    return graph


@st.composite
def convs(draw: st.DrawFn) -> nx.DiGraph:
    kind = draw(st.sampled_from(["dense", "depthwise", "grouped", "fc"]))
    h = draw(st.integers(1, 40))
    k = draw(st.sampled_from([1, 3, 5, 7, 11]).filter(lambda k: k <= h + 2 * (k // 2)))
    stride = draw(st.sampled_from([1, 2, 4]))
    if kind == "fc":
        return conv_graph(draw(st.integers(1, 2048)), 1, draw(st.integers(1, 1024)), 1, 1, 1)
    if kind == "depthwise":
        c = draw(st.integers(1, 128))
        return conv_graph(c, h, c, k, stride, c)
    g = 1 if kind == "dense" else draw(st.sampled_from([2, 4, 8]))
    c = g * draw(st.integers(1, 64))
    m = g * draw(st.integers(1, 64))
    return conv_graph(c, h, m, k, stride, g)


@st.composite
def sas(draw: st.DrawFn) -> SubAcceleratorSpec:
    return SubAcceleratorSpec(
        "rand", draw(st.sampled_from(["row_stationary", "weight_stationary"])),
        draw(st.integers(1, 600)), draw(st.sampled_from([1, 2, 4, 8, 16, 32])),
        draw(st.integers(64, 256 * 1024)), draw(st.integers(16, 32 * 1024)))


def one(graph: nx.DiGraph, sa: SubAcceleratorSpec) -> tuple[float, float, float]:
    costs = layer_costs(graph, sa)
    return (float(costs.latency_cycles[0]), float(costs.dram_bytes[0]),
            float(costs.utilization[0]))


@settings(max_examples=150, deadline=None)
@given(convs(), sas())
def test_latency_never_below_peak_and_traffic_never_below_compulsory(
        graph: nx.DiGraph, sa: SubAcceleratorSpec) -> None:
    attrs = graph.nodes["l0"]
    latency, dram, utilization = one(graph, sa)
    assert latency >= max(1, math.ceil(attrs["macs"] / sa.peak_macs_per_cycle))
    assert 0 < utilization <= 1 + 1e-12
    assert dram >= attrs["bytes_in"] + attrs["bytes_out"] + attrs["weight_bytes"]


@settings(max_examples=100, deadline=None)
@given(convs(), sas(), st.integers(1, 600))
def test_more_weight_stationary_pes_never_slower(graph: nx.DiGraph, sa: SubAcceleratorSpec,
                                                  extra: int) -> None:
    ws = replace(sa, dataflow="weight_stationary")
    assert one(graph, replace(ws, pes=ws.pes + extra))[0] <= one(graph, ws)[0]


@settings(max_examples=100, deadline=None)
@given(convs(), sas(), st.integers(1, 3))
def test_more_row_stationary_pes_never_slower(graph: nx.DiGraph, sa: SubAcceleratorSpec,
                                              doublings: int) -> None:
    # The array of 2P PEs contains the array of P PEs (module docstring), so doubling never hurts.
    rs = replace(sa, dataflow="row_stationary")
    bigger = replace(rs, pes=rs.pes * 2 ** doublings)
    (r0, c0), (r1, c1) = array_shape(rs.pes), array_shape(bigger.pes)
    assert r1 >= r0 and c1 >= c0
    assert one(graph, bigger)[0] <= one(graph, rs)[0]


@settings(max_examples=150, deadline=None)
@given(convs(), sas(), st.integers(1, 1 << 20), st.integers(0, 1 << 16))
def test_bigger_buffers_never_more_dram_traffic(graph: nx.DiGraph, sa: SubAcceleratorSpec,
                                                extra_glb: int, extra_pe: int) -> None:
    bigger = replace(sa, global_buffer_bytes=sa.global_buffer_bytes + extra_glb,
                     pe_buffer_bytes=sa.pe_buffer_bytes + extra_pe)
    assert one(graph, bigger)[1] <= one(graph, sa)[1]


@settings(max_examples=60, deadline=None)
@given(convs(), sas())
def test_huge_buffer_gives_compulsory_traffic(graph: nx.DiGraph, sa: SubAcceleratorSpec) -> None:
    attrs = graph.nodes["l0"]
    huge = replace(sa, global_buffer_bytes=1 << 30)
    _, dram, _ = one(graph, huge)
    assert dram == attrs["bytes_in"] + attrs["bytes_out"] + attrs["weight_bytes"]


@settings(max_examples=60, deadline=None)
@given(convs(), sas())
def test_costs_are_finite_and_consistent(graph: nx.DiGraph, sa: SubAcceleratorSpec) -> None:
    costs = layer_costs(graph, sa)
    for arr in (costs.latency_cycles, costs.dram_bytes, costs.bandwidth, costs.energy_pj):
        assert np.all(np.isfinite(arr)) and np.all(arr >= 0)
    np.testing.assert_allclose(costs.bandwidth, costs.dram_bytes / costs.latency_cycles)
    assert costs.energy_pj[0] > 0
