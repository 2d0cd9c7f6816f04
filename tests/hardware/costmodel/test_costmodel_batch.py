"""Batch costs (:mod:`mas_sim.hardware.costmodel.batch`): hand-checked numbers, invariants over
random layers, sub-accelerators and batch sizes, and bad batch sizes."""

from __future__ import annotations

from dataclasses import replace

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mas_sim.core.errors import ConfigError
from mas_sim.hardware import SubAcceleratorSpec, SystemSpec
from mas_sim.hardware.costmodel import MAX_BATCH, BatchCosts, evaluate, layer_costs, profile
from mas_sim.hardware.costmodel.api import ZOO, _prepare
from mas_sim.hardware.costmodel.energy import (
    E_DRAM_PJ_PER_BYTE,
    E_MAC_PJ,
    E_NOC_PJ_PER_BYTE,
    NOP_PJ_PER_BIT,
    sram_pj_per_byte,
)
from mas_sim.hardware.costmodel.tiling import batch_tilings, batch_traffic, dram_traffic
from tests.hardware.costmodel.test_costmodel_hand import MIB, conv_attrs, one_layer
from tests.hardware.costmodel.test_costmodel_properties import convs, sas


def fc_attrs(c: int, m: int) -> dict[str, object]:
    """An FC layer without bias (zoo schema)."""
    return dict(op="fc", macs=c * m, weights=c * m, weight_bytes=c * m, input_shape=(c, 1, 1),
                output_shape=(m, 1, 1), bytes_in=c, bytes_out=m)


def costs(graph: str | nx.DiGraph, sa: SubAcceleratorSpec, batch: int) -> BatchCosts:
    result = layer_costs(graph, sa, batch=batch)
    assert isinstance(result, BatchCosts)
    return result


# -- hand-checked numbers ----------------------------------------------------------------------

def test_row_stationary_conv_batch_by_hand() -> None:
    # The one-image case of test_row_stationary_conv_by_hand (4x4 PEs, conv C=4, M=8, 8x8, 3x3):
    # 1,536 compute cycles. A batch of 4: compute 4 x 1,536 = 6,144 cycles > 4 x 18,432 / 16 MACs
    # and GLB delivery max((4 x 256 + 288) / 16, 4 x 512 / 16) = 128: latency 6,144 (compute
    # bound: the same per image). Everything fits the 1 MiB buffer: DRAM = 288 weights once +
    # 4 x (256 + 512) = 3,360 bytes. Array bytes: one image moves 1,344 of which 576 are filter
    # rows (288 per strip, 2 strips), shared by the batch: 4 x 768 + 576 = 3,648.
    sa = SubAcceleratorSpec("RS16", "row_stationary", 16, 1, MIB, 220)
    c = costs(one_layer(conv_attrs(4, 8, 8, 3, pad=1)), sa, 4)
    assert c.latency_cycles[0] == 6_144
    assert c.dram_bytes[0] == 3_360
    assert c.weight_dram_bytes[0] == 288
    assert c.utilization[0] == pytest.approx(0.75)
    e_rf, e_glb = sram_pj_per_byte(220), sram_pj_per_byte(MIB)
    expected = (4 * 18_432 * E_MAC_PJ + 4 * 4 * 18_432 * e_rf
                + 3_648 * (E_NOC_PJ_PER_BYTE + e_glb)
                + 3_360 * (E_DRAM_PJ_PER_BYTE + e_glb + 8 * NOP_PJ_PER_BIT))
    assert c.energy_pj[0] == pytest.approx(expected)


def test_row_stationary_fc_batch_by_hand() -> None:
    # 8x8 PEs, FC 1,024 -> 10 (10,240 weight bytes). One image: 8 channels x 8 filters per pass,
    # 128 x 2 = 256 compute cycles, but reading 1,024 + 10,240 bytes through the 16 B/cycle GLB
    # port takes 704: delivery bound. Batch of 2: compute 512, delivery (2,048 + 10,240) / 16 =
    # 768. Batch of 4: compute 1,024 > delivery 896. Per image 704 -> 384 -> 256 cycles.
    # DRAM (all fits): 10,240 + b x (1,024 + 10).
    sa = SubAcceleratorSpec("RS64", "row_stationary", 64, 1, MIB, 220)
    graph = one_layer(fc_attrs(1024, 10))
    assert layer_costs(graph, sa).latency_cycles[0] == 704
    assert costs(graph, sa, 2).latency_cycles[0] == 768
    assert costs(graph, sa, 4).latency_cycles[0] == 1_024
    for b in (2, 4, 32):
        c = costs(graph, sa, b)
        assert c.dram_bytes[0] == 10_240 + b * 1_034
        assert c.weight_dram_bytes[0] == 10_240


def test_weight_stationary_conv_batch_by_hand() -> None:
    # test_weight_stationary_conv_by_hand's layer (4 PEs x 4 lanes, conv C=6, M=6, 8x8, 3x3):
    # 2,304 cycles per image; a batch of 4 streams 4 images past the same weights: 9,216 cycles.
    # DRAM = 324 + 4 x (384 + 384) = 3,396; array bytes 4 x (1,476 - 324) + 324 = 4,932.
    sa = SubAcceleratorSpec("WS4", "weight_stationary", 4, 4, MIB, 1024)
    c = costs(one_layer(conv_attrs(6, 8, 6, 3, pad=1)), sa, 4)
    assert c.latency_cycles[0] == 9_216
    assert c.dram_bytes[0] == 3_396
    e_pe, e_glb = sram_pj_per_byte(1024), sram_pj_per_byte(MIB)
    expected = (4 * 20_736 * E_MAC_PJ + 4 * 20_736 * 2.5 * e_pe
                + 4_932 * (E_NOC_PJ_PER_BYTE + e_glb)
                + 3_396 * (E_DRAM_PJ_PER_BYTE + e_glb + 8 * NOP_PJ_PER_BIT))
    assert c.energy_pj[0] == pytest.approx(expected)


def test_weight_stationary_fc_batch_by_hand() -> None:
    # 16 PEs x 16 lanes, FC 1,024 -> 10: 1 output-channel fold x 64 input-channel folds = 64
    # compute cycles, GLB delivery 704. Batch of 4: max(256, (4,096 + 10,240) / 16 = 896) = 896;
    # of 8: max(512, (8,192 + 10,240) / 16 = 1,152): per image 704 -> 224 -> 144.
    sa = SubAcceleratorSpec("WS16", "weight_stationary", 16, 16, MIB, 24 * 1024)
    graph = one_layer(fc_attrs(1024, 10))
    assert layer_costs(graph, sa).latency_cycles[0] == 704
    assert costs(graph, sa, 4).latency_cycles[0] == 896
    assert costs(graph, sa, 8).latency_cycles[0] == 1_152
    assert costs(graph, sa, 8).bandwidth[0] == pytest.approx((10_240 + 8 * 1_034) / 1_152)


def test_fc_tiling_with_a_small_buffer_by_hand() -> None:
    # FC 4 -> 4 (16 weight bytes) on a 20-byte global buffer: input + weight + 2 B/psum tiles.
    # Everything at once needs 4 + 16 + 8 = 28 bytes, so one image takes half the filters at a
    # time (ta = 2, all 4 channels: 4 + 8 + 4 = 16 bytes): compulsory 4 + 16 + 4 = 24 bytes.
    # A batch: the images inside the filter loop fetch the weights once and each image's input
    # twice (once per filter half): 16 + b x (2 x 4 + 4); b = 2: 40, b = 4: 64. (Images outside
    # it: b x 24 = 48 and 96; every other tiling and order costs more, see the docstring.)
    sa = SubAcceleratorSpec("RS-tiny", "row_stationary", 16, 1, 20, 220)
    graph = one_layer(fc_attrs(4, 4))
    assert layer_costs(graph, sa).dram_bytes[0] == 24
    assert costs(graph, sa, 2).dram_bytes[0] == 40
    assert costs(graph, sa, 4).dram_bytes[0] == 64
    assert costs(graph, sa, 4).weight_dram_bytes[0] == 16


def test_zoo_fc_layers_read_their_weights_once_per_batch() -> None:
    system = SystemSpec.paper()
    for model in ("alexnet", "resnet50", "kws"):
        _, (table, _) = _prepare(model)
        fc = [i for i, op in enumerate(table.op) if op == "fc"]
        assert fc
        for sa in system.sa_classes:
            for b in (2, 8, MAX_BATCH):
                weights = costs(model, sa, b).weight_dram_bytes[fc]
                np.testing.assert_array_equal(weights, table.weight_bytes[fc])


def test_alexnet_fc_layers_gain_the_most() -> None:
    # The FC layers are bound by reading their weights at b = 1; per image they get much
    # cheaper with the batch, the convolutions (compute bound) hardly.
    sa = SystemSpec.paper().sub_accelerators[0]
    one, batch = layer_costs("alexnet", sa), costs("alexnet", sa, 16)
    _, (table, _) = _prepare("alexnet")
    fc = np.array([op == "fc" for op in table.op])
    gain = one.latency_cycles / (batch.latency_cycles / 16)
    assert gain[fc].min() > 5.0
    assert gain[~fc].max() < 1.5


# -- invariants --------------------------------------------------------------------------------

def test_batch_of_one_is_todays_table() -> None:
    system = SystemSpec.paper()
    for model in ZOO:
        assert profile(model, system, batch=1) is profile(model, system)
        for sa in system.sa_classes:
            assert layer_costs(model, sa, batch=1) is layer_costs(model, sa)


@settings(max_examples=120, deadline=None)
@given(convs(), sas())
def test_batch_traffic_formula_at_one_image_is_todays(graph: nx.DiGraph,
                                                      sa: SubAcceleratorSpec) -> None:
    _, (table, tc) = _prepare(graph)
    total, _ = batch_traffic(batch_tilings(table, tc, sa, several=False), 1)
    assert total.tobytes() == dram_traffic(tc, sa).tobytes()


FIELDS = ("latency_cycles", "dram_bytes", "energy_pj")


@settings(max_examples=150, deadline=None)
@given(convs(), sas(), st.integers(1, MAX_BATCH - 1), st.integers(1, MAX_BATCH - 1))
def test_totals_never_decrease_and_per_image_costs_never_increase(
        graph: nx.DiGraph, sa: SubAcceleratorSpec, b: int, extra: int) -> None:
    b2 = min(MAX_BATCH, b + extra)
    small, big = layer_costs(graph, sa, batch=b), layer_costs(graph, sa, batch=b2)
    for name in FIELDS:
        x, y = float(getattr(small, name)[0]), float(getattr(big, name)[0])
        assert y >= x, name
        assert y / b2 <= x / b * (1 + 1e-12), name
    assert 0 < big.utilization[0] <= 1 + 1e-12


@settings(max_examples=100, deadline=None)
@given(convs(), sas(), st.integers(2, MAX_BATCH))
def test_weights_come_once_per_batch_while_the_layer_fits(
        graph: nx.DiGraph, sa: SubAcceleratorSpec, b: int) -> None:
    # With one image's whole layer on chip the weights stay for the batch: every candidate's
    # factors are 1 and the traffic is the compulsory W + b (I + O), whatever b.
    attrs = graph.nodes["l0"]
    huge = replace(sa, global_buffer_bytes=1 << 30)
    c = costs(graph, huge, b)
    assert c.weight_dram_bytes[0] == attrs["weight_bytes"]
    assert c.dram_bytes[0] == attrs["weight_bytes"] + b * (attrs["bytes_in"]
                                                             + attrs["bytes_out"])


@settings(max_examples=100, deadline=None)
@given(convs(), sas(), st.integers(2, MAX_BATCH))
def test_batch_traffic_is_never_above_images_one_by_one(
        graph: nx.DiGraph, sa: SubAcceleratorSpec, b: int) -> None:
    # Running the images one after another (the image-major order) is always a candidate.
    one = float(layer_costs(graph, sa).dram_bytes[0])
    batch = costs(graph, sa, b)
    assert batch.dram_bytes[0] <= b * one * (1 + 1e-12)
    assert batch.weight_dram_bytes[0] <= batch.dram_bytes[0]


def test_zoo_invariants_on_the_paper_system() -> None:
    system = SystemSpec.paper()
    for model in ("squeezenet", "alexnet", "resnet50"):
        previous = {sa: layer_costs(model, sa) for sa in system.sa_classes}
        for b in range(2, MAX_BATCH + 1):
            for sa in system.sa_classes:
                c = costs(model, sa, b)
                p = previous[sa]
                for name in FIELDS:
                    x, y = getattr(p, name), getattr(c, name)
                    assert np.all(y >= x), (model, sa.name, b, name)
                    assert np.all(y / b <= x / (b - 1) * (1 + 1e-12)), (model, sa.name, b, name)
                previous[sa] = c


def test_zigzag_batch_costs_scale_the_shipped_tables() -> None:
    system = SystemSpec.paper()
    one = profile("kws", system, backend="zigzag")
    assert profile("kws", system, backend="zigzag", batch=1) is one
    previous = one
    for b in (2, 4, 8):
        batch = profile("kws", system, backend="zigzag", batch=b)
        assert np.all(batch.latency >= previous.latency)
        assert np.all(batch.latency / b <= one.latency * (1 + 1e-12))
        assert np.all(batch.energy / b <= one.energy * (1 + 1e-12))
        previous = batch


def test_evaluate_takes_a_batch() -> None:
    sa = SystemSpec.paper().sub_accelerators[3]
    one, four = evaluate("kws", sa), evaluate("kws", sa, batch=4)
    assert list(four["macs"]) == list(one["macs"])
    assert (four["latency_cycles"] >= one["latency_cycles"]).all()


@pytest.mark.parametrize("bad", [0, -1, MAX_BATCH + 1, 2.5, "4", True, None])
def test_bad_batch_sizes_are_refused(bad: object) -> None:
    sa = SystemSpec.paper().sub_accelerators[0]
    expected = rf"batch size = .*expected an integer in 1\.\.{MAX_BATCH}"
    with pytest.raises(ConfigError, match=expected):
        layer_costs("kws", sa, batch=bad)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="batch size"):
        profile("kws", SystemSpec.paper(), batch=bad)  # type: ignore[arg-type]
