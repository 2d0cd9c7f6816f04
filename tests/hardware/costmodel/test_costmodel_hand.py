"""Hand-checked numbers of the analytical cost model on tiny layers, and its API contracts."""

from __future__ import annotations

import math
from dataclasses import replace

import networkx as nx
import numpy as np
import pytest

from mas_sim.core.errors import ConfigError, ModelError
from mas_sim.hardware import (
    SubAcceleratorSpec,
    SystemSpec,
    eyeriss_small,
    simba_large,
    simba_small,
)
from mas_sim.hardware.costmodel import (
    COLUMNS,
    array_shape,
    clear_cache,
    evaluate,
    layer_costs,
    profile,
    system_tables,
)
from mas_sim.hardware.costmodel.energy import (
    E_DRAM_PJ_PER_BYTE,
    E_MAC_PJ,
    E_NOC_PJ_PER_BYTE,
    NOP_PJ_PER_BIT,
    sram_pj_per_byte,
)

MIB = 1024 * 1024


def conv_attrs(c: int, h: int, m: int, k: int, stride: int = 1, pad: int = 0,
               groups: int = 1) -> dict[str, object]:
    """Node attributes of a square conv (zoo schema), weights without bias."""
    e = (h + 2 * pad - k) // stride + 1
    weights = m * (c // groups) * k * k
    return dict(op="conv", macs=weights * e * e, params=weights, weights=weights,
                input_shape=(c, h, h), output_shape=(m, e, e), kernel=(k, k),
                stride=(stride, stride), padding=(pad, pad), groups=groups, in_channels=c,
                out_channels=m, bytes_in=c * h * h, bytes_out=m * e * e, weight_bytes=weights)


def one_layer(attrs: dict[str, object], name: str = "one") -> nx.DiGraph:
    graph = nx.DiGraph(name=name)
    graph.add_node("l0", **attrs)
    return graph


def small_net() -> nx.DiGraph:
    """conv -> {depthwise conv, conv} -> add -> concat(with conv) -> pool -> fc."""
    g = nx.DiGraph(name="small")
    g.add_node("c0", **conv_attrs(3, 16, 8, 3, pad=1))
    g.add_node("dw", **conv_attrs(8, 16, 8, 3, pad=1, groups=8))
    g.add_node("c1", **conv_attrs(8, 16, 8, 3, pad=1))
    g.add_node("add", op="add", macs=0, bytes_in=2 * 8 * 256, bytes_out=8 * 256,
               input_shape=(8, 16, 16), output_shape=(8, 16, 16))
    g.add_node("cat", op="concat", macs=0, bytes_in=16 * 256, bytes_out=16 * 256,
               input_shape=(16, 16, 16), output_shape=(16, 16, 16))
    g.add_node("pool", op="pool", pool_type="max", macs=0, bytes_in=16 * 256, bytes_out=16 * 64,
               input_shape=(16, 16, 16), output_shape=(16, 8, 8), kernel=(2, 2), stride=(2, 2))
    g.add_node("fc", op="fc", macs=1024 * 10, weights=10240, weight_bytes=10250,
               input_shape=(1024, 1, 1), output_shape=(10, 1, 1), bytes_in=1024, bytes_out=10)
    g.add_edges_from([("c0", "dw"), ("c0", "c1"), ("dw", "add"), ("c1", "add"), ("add", "cat"),
                      ("c0", "cat"), ("cat", "pool"), ("pool", "fc")])
    return g


def test_array_shape_rule() -> None:
    assert array_shape(168) == (12, 14)
    assert array_shape(256) == (16, 16)
    assert array_shape(512) == (16, 32)
    assert array_shape(17) == (1, 17)


def test_row_stationary_conv_by_hand() -> None:
    # 4x4 array (16 PEs, 1 MAC each). Conv C=4, M=8, 8x8 input, 3x3, pad 1 -> 8x8 output.
    # MACs = 8 x 4 x 9 x 64 = 18,432.
    # Vertically: R=3 rows fit once in 4 rows -> 1 channel per pass (c_sp=1), 4 channel folds.
    # Horizontally: E=8 > 4 columns -> 2 strips, no filter replication (m_sp=1), 8 filter folds.
    # Cycles = 2 strips x 4 x 8 x (S=3 x F=8) = 1,536; utilisation 18,432 / (1,536 x 16) = 0.75.
    # GLB delivery: (256 + 288) / 16 = 34 cycles < 1,536. A 1 MiB buffer holds the whole layer:
    # DRAM = compulsory = 256 + 288 + 512 = 1,056 bytes; bandwidth = 1,056 / 1,536.
    sa = SubAcceleratorSpec("RS16", "row_stationary", 16, 1, MIB, 220)
    row = evaluate(one_layer(conv_attrs(4, 8, 8, 3, pad=1)), sa).iloc[0]
    assert row["macs"] == 18_432
    assert row["latency_cycles"] == 1_536
    assert row["utilization"] == pytest.approx(0.75)
    assert row["dram_bytes"] == 1_056
    assert row["bandwidth_bytes_per_cycle"] == pytest.approx(1_056 / 1_536)
    # Energy: RF holds floor(110 / 3) = 36 filter rows -> all 8 filters x 4 channels per pass, so
    # inputs and psums cross the array once and filter rows once per strip (x2):
    # array bytes = 256 + 2 x 288 + 512 = 1,344.
    e_rf, e_glb = sram_pj_per_byte(220), sram_pj_per_byte(MIB)
    expected = (18_432 * E_MAC_PJ + 4 * 18_432 * e_rf + 1_344 * (E_NOC_PJ_PER_BYTE + e_glb)
                + 1_056 * (E_DRAM_PJ_PER_BYTE + e_glb + 8 * NOP_PJ_PER_BIT))
    assert row["energy_pj"] == pytest.approx(expected)


def test_weight_stationary_conv_by_hand() -> None:
    # 4 PEs x 4 lanes. Conv C=6, M=6, 8x8 input, 3x3, pad 1 -> 8x8; MACs = 6 x 6 x 9 x 64 = 20,736.
    # Output channels over 4 PEs: 2 folds; input channels over 4 lanes: 2 folds.
    # Cycles = 2 x 2 x 9 x 64 = 2,304; utilisation (6/8) x (6/8) = 0.5625.
    # DRAM = 384 + 324 + 384 = 1,092 bytes (everything fits the 1 MiB buffer).
    sa = SubAcceleratorSpec("WS4", "weight_stationary", 4, 4, MIB, 1024)
    row = evaluate(one_layer(conv_attrs(6, 8, 6, 3, pad=1)), sa).iloc[0]
    assert row["latency_cycles"] == 2_304
    assert row["utilization"] == pytest.approx(0.5625)
    assert row["dram_bytes"] == 1_092
    # Energy: inputs re-broadcast for each of the 2 output-channel folds:
    # array bytes = 2 x 384 + 324 + 384 = 1,476; PE-buffer accesses 2 + 2/4 per MAC.
    e_pe, e_glb = sram_pj_per_byte(1024), sram_pj_per_byte(MIB)
    expected = (20_736 * E_MAC_PJ + 20_736 * 2.5 * e_pe + 1_476 * (E_NOC_PJ_PER_BYTE + e_glb)
                + 1_092 * (E_DRAM_PJ_PER_BYTE + e_glb + 8 * NOP_PJ_PER_BIT))
    assert row["energy_pj"] == pytest.approx(expected)


def test_tiling_by_hand() -> None:
    # 1x1 conv, C = M = 16, 8x8 map: I = 1,024, W = 256, O = 1,024 bytes (psums 2 bytes on chip).
    # With a 1 KiB buffer: all 16 filters, all channels, 2 output rows per tile:
    # 256 + 256 + 512 = 1,024 bytes fit, every tensor fetched once -> 2,304 (compulsory).
    # With 512 B: the best tiling keeps 4 filters x 2 rows (128 + 64 + 128 = 320 B) with the row
    # loop outermost: inputs and outputs once, weights once per row tile (x4):
    # 1,024 + 4 x 256 + 1,024 = 3,072. (Filter loop outermost instead re-reads inputs.)
    layer = one_layer(conv_attrs(16, 8, 16, 1))
    big = SubAcceleratorSpec("RS-1K", "row_stationary", 16, 1, 1024, 220)
    assert evaluate(layer, big).iloc[0]["dram_bytes"] == 2_304
    assert evaluate(layer, replace(big, global_buffer_bytes=512)).iloc[0]["dram_bytes"] == 3_072


def test_timeloop_eyeriss_example() -> None:
    # Timeloop's Eyeriss-like example: 168 PEs as 12 x 14, C=3, M=32, 3x3, stride 2, 224 -> 112.
    sa = SubAcceleratorSpec("Eyeriss-168", "row_stationary", 168, 1, 108 * 1024, 520)
    attrs = conv_attrs(3, 224, 32, 3, stride=2, pad=1)
    assert attrs["macs"] == 10_838_016
    row = evaluate(one_layer(attrs), sa).iloc[0]
    assert row["latency_cycles"] == pytest.approx(86_016, rel=0.10)
    assert row["utilization"] == pytest.approx(0.75, abs=0.05)


def test_data_movement_layers() -> None:
    df = evaluate(small_net(), eyeriss_small()).set_index("layer")
    # add: reads 4,096 B at 16 B/cycle = 256 cycles; 2,048 adds on 256 PEs = 8 cycles.
    assert df.loc["add", "latency_cycles"] == 256
    assert df.loc["add", "dram_bytes"] == 4_096 + 2_048
    # pool: 4,096 B in / 16 = 256 cycles; concat the same.
    assert df.loc["pool", "latency_cycles"] == 256
    assert df.loc["cat", "latency_cycles"] == 256
    for layer in ("add", "cat", "pool"):
        assert df.loc[layer, "utilization"] == 0.0
        assert df.loc[layer, "macs"] == 0
    # fc: 10,250 weight bytes + 1,024 inputs through the GLB at 16 B/cycle -> 705 cycles.
    assert df.loc["fc", "latency_cycles"] == math.ceil((10_250 + 1_024) / 16)
    tiny = dict(op="add", macs=0, bytes_in=2, bytes_out=1)
    assert evaluate(one_layer(tiny), eyeriss_small()).iloc[0]["latency_cycles"] == 1


def test_depthwise_maps_poorly_on_both_dataflows() -> None:
    dense = one_layer(conv_attrs(32, 56, 32, 3, pad=1))
    depthwise = one_layer(conv_attrs(32, 56, 32, 3, pad=1, groups=32))
    for sa in (eyeriss_small(), simba_small()):
        u_dense = evaluate(dense, sa).iloc[0]["utilization"]
        u_dw = evaluate(depthwise, sa).iloc[0]["utilization"]
        assert u_dw < 0.3 * u_dense, sa.name


def test_frequency_converts_to_system_cycles() -> None:
    layer = one_layer(conv_attrs(4, 8, 8, 3, pad=1))
    sa = SubAcceleratorSpec("RS16", "row_stationary", 16, 1, MIB, 220)
    slow = replace(sa, frequency_hz=0.5e9)
    fast = evaluate(layer, sa).iloc[0]
    half = evaluate(layer, slow).iloc[0]
    assert half["latency_cycles"] == 2 * fast["latency_cycles"]
    assert half["utilization"] == fast["utilization"]  # in the SA's own cycles


def test_evaluate_columns_and_order() -> None:
    df = evaluate(small_net(), simba_small())
    assert tuple(df.columns) == COLUMNS
    assert list(df["layer"]) == ["c0", "dw", "c1", "add", "cat", "pool", "fc"]
    assert (df["latency_cycles"] >= 1).all()


def test_cache_returns_same_object_and_spec_change_rederives() -> None:
    clear_cache()
    graph, system = small_net(), SystemSpec.paper()
    first = profile(graph, system)
    assert profile(graph, system) is first
    assert profile(small_net(), system) is first  # equal content, same key
    assert profile(graph, system.with_bandwidth_gbps(8)) is first  # bandwidth is not a cost input
    sa = eyeriss_small()
    assert layer_costs(graph, sa) is layer_costs(graph, sa)
    bigger = replace(sa, pes=512)
    assert layer_costs(graph, bigger) is not layer_costs(graph, sa)
    assert (layer_costs(graph, bigger).latency_cycles[0]
            < layer_costs(graph, sa).latency_cycles[0])
    other = replace(system, sub_accelerators=(bigger, *system.sub_accelerators[1:]))
    assert profile(graph, other) is not first
    assert profile(graph, other).latency[0, 0] < first.latency[0, 0]


def test_profile_columns_follow_system_order() -> None:
    graph = small_net()
    system = SystemSpec((simba_small(), eyeriss_small(), simba_small(), simba_large()))
    prof = profile(graph, system)
    assert prof.num_sas == 4
    assert prof.layers == ("c0", "dw", "c1", "add", "cat", "pool", "fc")
    assert prof.predecessors[3] == (1, 2)
    for m, sa in enumerate(system.sub_accelerators):
        df = evaluate(graph, sa)
        np.testing.assert_array_equal(prof.latency[:, m], df["latency_cycles"])
        np.testing.assert_array_equal(prof.bandwidth[:, m], df["bandwidth_bytes_per_cycle"])
        np.testing.assert_array_equal(prof.energy[:, m], df["energy_pj"])
    assert not np.array_equal(prof.latency[:, 0], prof.latency[:, 1])


def test_nop_energy_comes_from_the_system() -> None:
    graph = small_net()
    cheap = SystemSpec((simba_small(),), nop_energy_pj_per_bit=0.5)
    dear = SystemSpec((simba_small(),), nop_energy_pj_per_bit=2.5)
    dram = evaluate(graph, simba_small())["dram_bytes"].to_numpy()
    delta = profile(graph, dear).energy[:, 0] - profile(graph, cheap).energy[:, 0]
    np.testing.assert_allclose(delta, dram * 8 * 2.0)


def test_zoo_tables() -> None:
    system = SystemSpec.paper()
    tables = system_tables(system, ["kws", "alexnet"])
    assert set(tables) == {"kws", "alexnet"}
    for name, prof in tables.items():
        assert prof.name == name
        assert prof.num_sas == system.num_sas
        peak = np.array([sa.peak_macs_per_cycle for sa in system.sub_accelerators])
        macs = evaluate(name, system.sub_accelerators[0])["macs"].to_numpy()
        assert np.all(prof.latency >= np.ceil(macs[:, None] / peak[None, :]))


# --- errors -------------------------------------------------------------------------------------

def test_unknown_backend() -> None:
    with pytest.raises(ConfigError, match="unknown cost-model backend 'timeloop'"):
        evaluate(small_net(), eyeriss_small(), backend="timeloop")
    with pytest.raises(ConfigError, match="backend"):
        profile(small_net(), SystemSpec.paper(), backend="nope")


def test_bad_inputs() -> None:
    with pytest.raises(ConfigError, match="SubAcceleratorSpec"):
        evaluate(small_net(), "eyeriss")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="SystemSpec"):
        profile(small_net(), eyeriss_small())  # type: ignore[arg-type]
    with pytest.raises(ModelError, match=r"networkx\.DiGraph"):
        evaluate(42, eyeriss_small())


def test_malformed_graphs() -> None:
    attrs = conv_attrs(4, 8, 8, 3)
    del attrs["kernel"]
    with pytest.raises(ModelError, match=r"'l0'.*kernel"):
        evaluate(one_layer(attrs), eyeriss_small())
    with pytest.raises(ModelError, match="op = 'lstm'"):
        evaluate(one_layer(dict(op="lstm", macs=1, bytes_in=1, bytes_out=1)), eyeriss_small())
    with pytest.raises(ModelError, match="groups = 3"):
        evaluate(one_layer(conv_attrs(4, 8, 8, 3) | {"groups": 3}), eyeriss_small())
    with pytest.raises(ModelError, match="input_shape"):
        evaluate(one_layer(conv_attrs(4, 8, 8, 3) | {"input_shape": (4, 8)}), eyeriss_small())
    with pytest.raises(ModelError, match="macs"):
        evaluate(one_layer(conv_attrs(4, 8, 8, 3) | {"macs": -1}), eyeriss_small())
    cyclic = nx.DiGraph(name="loop")
    cyclic.add_node("a", **conv_attrs(4, 8, 4, 1))
    cyclic.add_node("b", **conv_attrs(4, 8, 4, 1))
    cyclic.add_edges_from([("a", "b"), ("b", "a")])
    with pytest.raises(ModelError, match="cycle"):
        evaluate(cyclic, eyeriss_small())


def test_unknown_zoo_model() -> None:
    with pytest.raises(ModelError, match="nosuchnet"):
        evaluate("nosuchnet", eyeriss_small())
