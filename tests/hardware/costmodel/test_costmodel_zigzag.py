"""The ZigZag backend: shipped tables, the missing-extra error, generated ZigZag inputs, turning a
ZigZag result into a row, and (only where zigzag-dse is installed) one real ZigZag run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mas_sim.core.errors import MissingExtraError, ModelError
from mas_sim.hardware import SubAcceleratorSpec, eyeriss_large, eyeriss_small, simba_small
from mas_sim.hardware.costmodel import clear_cache, evaluate
from mas_sim.hardware.costmodel import zigzag_backend as zb
from mas_sim.hardware.costmodel.energy import E_DRAM_PJ_PER_BYTE
from mas_sim.hardware.costmodel.layers import layer_table


def net() -> nx.DiGraph:
    g = nx.DiGraph(name="zznet")
    w = 8 * 3 * 9
    g.add_node("conv", op="conv", macs=w * 256, weights=w, params=w, input_shape=(3, 16, 16),
               output_shape=(8, 16, 16), kernel=(3, 3), stride=(1, 1), padding=(1, 1), groups=1,
               bytes_in=768, bytes_out=2048, weight_bytes=w)
    g.add_node("pool", op="pool", pool_type="max", macs=0, input_shape=(8, 16, 16),
               output_shape=(8, 8, 8), kernel=(2, 2), stride=(2, 2), bytes_in=2048,
               bytes_out=512)
    g.add_node("fc", op="fc", macs=5120, weights=5120, params=5130, input_shape=(512, 1, 1),
               output_shape=(10, 1, 1), bytes_in=512, bytes_out=10, weight_bytes=5130)
    g.add_edges_from([("conv", "pool"), ("pool", "fc")])
    return g


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setattr(zb, "DATA_DIR", tmp_path)
    monkeypatch.setattr(zb, "zigzag_python", lambda: None)
    clear_cache()
    yield tmp_path
    clear_cache()


def test_missing_table_without_zigzag_names_the_extra(data_dir: Path) -> None:
    with pytest.raises(MissingExtraError, match=r"mas-sim\[zigzag\]") as info:
        evaluate(net(), simba_small(), backend="zigzag")
    assert "zznet" in str(info.value)
    assert info.value.extra == "zigzag"


def test_shipped_table_is_used(data_dir: Path) -> None:
    sa = simba_small()
    key = zb.sa_key(sa)
    assert key == "ws:16x16:g32768:p24576"
    zb.write_table("zznet", [(key, "conv", 1234, 5000, 1e6), (key, "fc", 321, 6000, 2e6)])
    assert zb.has_table("zznet")
    zz = evaluate(net(), sa, backend="zigzag").set_index("layer")
    ana = evaluate(net(), sa).set_index("layer")
    assert zz.loc["conv", "latency_cycles"] == 1234
    assert zz.loc["fc", "dram_bytes"] == 6000
    assert zz.loc["conv", "energy_pj"] == pytest.approx(1e6 + 5000 * 8 * 1.3)  # + NoP
    assert zz.loc["conv", "utilization"] == pytest.approx((8 * 3 * 9 * 256) / (1234 * 256))
    # pool is not a ZigZag layer: analytical costs
    assert zz.loc["pool"].to_dict() == ana.loc["pool"].to_dict()
    # a half-clock SA of the same class reads the same rows, in system cycles
    slow = SubAcceleratorSpec("slow", sa.dataflow, sa.pes, sa.macs_per_pe,
                              sa.global_buffer_bytes, sa.pe_buffer_bytes, frequency_hz=0.5e9)
    assert evaluate(net(), slow, backend="zigzag").iloc[0]["latency_cycles"] == 2468
    # another SA class is not in the table
    with pytest.raises(MissingExtraError):
        evaluate(net(), eyeriss_small(), backend="zigzag")


def test_table_lacking_a_layer(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sa = simba_small()
    monkeypatch.setattr(zb, "zigzag_python", lambda: "python-with-zigzag")
    monkeypatch.setattr(zb, "run_model", lambda t, sa, python: [(zb.sa_key(sa), "conv", 1, 1, 1)])
    with pytest.raises(ModelError, match="no layer 'fc'"):
        evaluate(net(), sa, backend="zigzag")


def test_row_stationary_spatial_mapping_is_explicit() -> None:
    # Timeloop's Eyeriss-like layer on 168 PEs: 3 filter rows x 3 channels on the 12 rows,
    # 14 output rows on the 14 columns (filter replication 1 is dropped).
    g = nx.DiGraph(name="tl")
    g.add_node("c", op="conv", macs=10_838_016, input_shape=(3, 224, 224),
               output_shape=(32, 112, 112), kernel=(3, 3), stride=(2, 2), groups=1,
               bytes_in=150_528, bytes_out=401_408, weight_bytes=864)
    t = layer_table(g)
    sa = SubAcceleratorSpec("E168", "row_stationary", 168, 1, 108 * 1024, 520)
    spatial = zb.mapping_spec(t, 0, sa)[0]["spatial_mapping"]
    assert spatial == {"D1": ["OY, 14"], "D2": ["FY, 3", "C, 3"]}
    hw = zb.hardware_spec(sa)
    assert hw["operational_array"]["sizes"] == [14, 12, 1]
    assert hw["memories"]["glb"]["size"] == 108 * 1024 * 8
    work = zb.workload_spec(t, 0, sa)[0]
    assert work["loop_sizes"] == [1, 32, 3, 112, 112, 3, 3]
    assert zb.workload_spec(t, 0, simba_small())[0]["loop_sizes"][1:3] == [32, 3]
    # ZigZag needs unrolls that divide: 276 channels over 16 PEs / 16 lanes are padded to 288
    pw = nx.DiGraph(name="pw")
    pw.add_node("p", op="conv", macs=276 * 276 * 65, input_shape=(276, 13, 5),
                output_shape=(276, 13, 5), kernel=(1, 1), stride=(1, 1), groups=1,
                bytes_in=17_940, bytes_out=17_940, weight_bytes=276 * 276)
    assert zb.workload_spec(layer_table(pw), 0, simba_small())[0]["loop_sizes"] == [
        1, 288, 288, 13, 5, 1, 1]
    assert zb.tensor_bytes(layer_table(pw), 0) == {"I": 17_940, "W": 276 * 276, "O": 17_940}
    assert work["dimension_relations"] == ["ix=2*ox+1*fx", "iy=2*oy+1*fy"]
    ws = zb.mapping_spec(t, 0, simba_small())[0]["spatial_mapping"]
    assert ws == {"D1": ["K, 16"], "D2": ["C, 3"]}


def test_table_round_trip(tmp_path: Path) -> None:
    zb.write_table("m", [("k", "a", 10, 20, 30.5)], tmp_path)
    zb.write_table("m", [("k", "b", 1, 2, 3)], tmp_path)
    rows = zb.read_table("m", tmp_path)
    assert rows == {("k", "a"): (10.0, 20.0, 30.5), ("k", "b"): (1.0, 2.0, 3.0)}
    assert not list(tmp_path.glob("*.tmp"))
    np.testing.assert_equal(zb.read_table("absent", tmp_path), {})


def test_rows_of_another_generator_version_are_stale(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # A table from before the version column: its rows are version 1.
    (tmp_path / "zigzag_m.csv").write_text(
        "sa,layer,latency_sa_cycles,dram_bytes,energy_pj\nk,a,10,20,30.5\n")
    assert zb.read_table("m", tmp_path) == {("k", "a"): (10.0, 20.0, 30.5)}
    monkeypatch.setattr(zb, "GENERATOR_VERSION", 2)
    assert zb.read_table("m", tmp_path) == {}  # stale: left out, so it is recomputed
    zb.write_table("m", [("k", "b", 1, 2, 3)], tmp_path)
    assert zb.read_table("m", tmp_path) == {("k", "b"): (1.0, 2.0, 3.0)}
    lines = (tmp_path / "zigzag_m.csv").read_text().splitlines()
    assert lines == ["sa,layer,latency_sa_cycles,dram_bytes,energy_pj,version",
                     "k,a,10,20,30.5,1", "k,b,1,2,3,2"]  # the stale row is kept, marked


def test_hardware_keeps_weights_out_of_the_global_buffer() -> None:
    # Simba-Small: weights go DRAM -> PE weight buffers through a 128-bit port; the 16 PEs' input
    # and accumulator buffers (3 KiB each) shrink by 32 KiB / (16 x 6 KiB) = 1/3 to fit the GLB.
    hw = zb.hardware_spec(simba_small())
    mem = hw["memories"]
    assert list(mem) == ["pe_in", "pe_w", "pe_acc", "glb", "dram"]
    assert mem["glb"]["operands"] == ["I1", "O"]
    assert mem["glb"]["size"] == 32 * 1024 * 8
    assert mem["pe_in"]["size"] == 1024 * 8
    assert mem["pe_acc"]["size"] == 1024 * 8
    assert mem["pe_w"]["size"] == 18 * 1024 * 8
    assert mem["pe_w"]["served_dimensions"] == ["D2", "D3"]  # one buffer per PE, for its lanes
    weight_ports = [p for p in mem["dram"]["ports"] if p["allocation"] == ["I2, tl"]]
    assert [p["bandwidth_max"] for p in weight_ports] == [128]
    assert hw["operational_array"]["sizes"] == [16, 16, 1]
    # Eyeriss-Small: the GLB holds all operands; 256 x 220 B fit 64 KiB, no shrinking
    rs = zb.hardware_spec(eyeriss_small())["memories"]
    assert rs["glb"]["operands"] == ["I1", "I2", "O"]
    assert rs["pe_in"]["size"] == int(0.15 * 220 * 8)
    assert rs["pe_acc"]["size"] == int(0.20 * 220 * 8)
    assert rs["pe_w"]["served_dimensions"] == ["D3"]
    assert all(len(p["allocation"]) <= 4 for p in rs["dram"]["ports"])  # one shared port pair
    assert len(rs["dram"]["ports"]) == 2
    # Eyeriss-Large: 512 x 220 B shrink to 64 KiB: every PE buffer by 65536 / 112640
    large = zb.hardware_spec(eyeriss_large())["memories"]
    assert large["pe_w"]["size"] == int(65536 / 112640 * 0.65 * 220 * 8)
    assert sum(large[m]["size"] for m in ("pe_in", "pe_w", "pe_acc")) * 512 <= 65536 * 8


def test_strides_come_from_the_layer_in_the_relations() -> None:
    # kws conv_1: 49x10 -> 25x10, 10x4 kernel, stride 2 vertically only
    g = nx.DiGraph(name="k")
    g.add_node("c", op="conv", macs=276 * 40 * 250, input_shape=(1, 49, 10),
               output_shape=(276, 25, 10), kernel=(10, 4), stride=(2, 1), groups=1,
               bytes_in=490, bytes_out=69_000, weight_bytes=11_040)
    work = zb.workload_spec(layer_table(g), 0, eyeriss_small())[0]
    assert work["dimension_relations"] == ["ix=1*ox+1*fx", "iy=2*oy+1*fy"]
    # A horizontal-only stride (not guessable from the widths with this padding): 9 -> 5.
    g.nodes["c"].update(input_shape=(1, 8, 9), output_shape=(276, 8, 5), kernel=(1, 1),
                        stride=(1, 2))
    work = zb.workload_spec(layer_table(g), 0, eyeriss_small())[0]
    assert work["dimension_relations"] == ["ix=2*ox+1*fx", "iy=1*oy+1*fy"]


def _result(traffic: dict[str, float], tensor: dict[str, float]) -> dict[str, object]:
    return {"latency_cycles": 100.0, "onchip_energy_pj": 1000.0,
            "dram": {op: {"traffic_bits": traffic[op], "tensor_bits": tensor[op]}
                     for op in traffic}}


def test_table_row_compulsory_traffic_and_padding() -> None:
    # I: ZigZag moved nothing (all on chip): raised to the tensor once -> 100 bytes.
    # W: moved 3 times its padded tensor -> 3 x the real 1000 bytes.
    # O: 16-bit partial sums out and back (twice the 8-bit tensor) -> 2 x 90 bytes.
    res = _result({"I": 0.0, "W": 3 * 1152 * 8, "O": 1600.0},
                  {"I": 800.0, "W": 1152 * 8, "O": 800.0})
    lat, dram, energy = zb.table_row(res, {"I": 100.0, "W": 1000.0, "O": 90.0})
    assert (lat, dram) == (100.0, 3280.0)
    assert energy == pytest.approx(1000.0 + 3280.0 * E_DRAM_PJ_PER_BYTE)


@given(st.lists(st.floats(0, 1e7), min_size=3, max_size=3),
       st.lists(st.floats(8, 1e6), min_size=3, max_size=3),
       st.lists(st.floats(1, 1e6), min_size=3, max_size=3))
def test_table_row_never_below_compulsory(traffic: list[float], tensor: list[float],
                                          real: list[float]) -> None:
    ops = ("I", "W", "O")
    res = _result(dict(zip(ops, traffic, strict=True)), dict(zip(ops, tensor, strict=True)))
    _, dram, energy = zb.table_row(res, dict(zip(ops, real, strict=True)))
    assert dram >= sum(real) * (1 - 1e-12)
    assert energy == pytest.approx(1000.0 + dram * E_DRAM_PJ_PER_BYTE)
    more = _result({op: 2 * t + 8 for op, t in zip(ops, traffic, strict=True)},
                   dict(zip(ops, tensor, strict=True)))
    assert zb.table_row(more, dict(zip(ops, real, strict=True)))[1] >= dram


def _zigzag_skip_reason() -> str | None:
    python = zb.zigzag_python()
    if python is None:
        return (f"zigzag-dse is not importable here and {zb.PYTHON_ENV} is not set "
                "(pip install 'mas-sim[zigzag]')")
    return None


@pytest.mark.skipif(_zigzag_skip_reason() is not None, reason=str(_zigzag_skip_reason()))
def test_zigzag_smoke_one_layer() -> None:
    # The FC layer of the tiny net on Simba-Small: 10 outputs on 10 PEs, 512 inputs over 16 lanes
    # (32 cycles of compute at least); its 5 KiB of weights fit the PE buffers, so DRAM traffic
    # is exactly the compulsory input + weights + output (ZigZag alone reported 0 here).
    python = zb.zigzag_python()
    assert python is not None
    t = layer_table(net())
    i = t.layers.index("fc")
    lat, dram, energy = zb.run_layer(t, i, simba_small(), python, timeout_s=300)
    assert dram == 512 + 5130 + 10
    assert lat >= 32
    assert energy > 5120 * 0.5 + dram * E_DRAM_PJ_PER_BYTE


@pytest.mark.parametrize("name", ["squeezenet", "yolo_lite", "kws", "alexnet", "inception_v3",
                                  "resnet50", "yolov2"])
def test_every_zoo_model_ships_zigzag_costs_on_every_paper_sa(
        name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Without zigzag-dse (CI) the shipped tables alone must cost every layer, so that
    # ``--costs zigzag`` runs every workload.
    import models
    from mas_sim.hardware import SystemSpec

    monkeypatch.setattr(zb, "zigzag_python", lambda: None)
    clear_cache()
    graph = models.get(name)
    for sa in SystemSpec.paper().sa_classes:
        zz = evaluate(graph, sa, backend="zigzag")
        assert len(zz) == graph.number_of_nodes()
        assert (zz["latency_cycles"] > 0).all(), (name, sa.name)
        # ZigZag's numbers, not the analytical model's under another name.
        assert (zz["latency_cycles"] != evaluate(graph, sa)["latency_cycles"]).any()
    clear_cache()
