"""The ZigZag backend without ZigZag: shipped tables, the missing-extra error, generated inputs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from mas_sim.costmodel import clear_cache, evaluate
from mas_sim.costmodel import zigzag_backend as zb
from mas_sim.costmodel.layers import layer_table
from mas_sim.errors import MissingExtraError, ModelError
from mas_sim.hardware import SubAcceleratorSpec, eyeriss_small, simba_small


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
