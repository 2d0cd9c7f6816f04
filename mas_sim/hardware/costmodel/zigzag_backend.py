"""Optional backend: per-layer costs from ZigZag (``zigzag-dse``, KU Leuven), shipped as tables.

``evaluate(..., backend="zigzag")`` reads ``mas_sim/costmodel/data/zigzag_<model>.csv`` (made by
``scripts/zigzag_tables.py``). A row is one (SA class, layer): ``sa`` (see :func:`sa_key`),
``layer``, ``latency_sa_cycles``, ``dram_bytes``, ``energy_pj``. A model or SA class without
shipped rows is computed by running ZigZag, if it is installed (``pip install 'mas-sim[zigzag]'``,
or any interpreter named by the environment variable ``MAS_SIM_ZIGZAG_PYTHON``); otherwise
:class:`MissingExtraError` is raised.

How ZigZag is run
-----------------
- Hardware (:func:`hardware_spec`): the SA's array as ZigZag's operational array; per-PE input,
  weight and accumulator buffers; one global buffer (GLB) with 128-bit read and write ports (as
  the analytical model); DRAM. ZigZag's memory hierarchy is inclusive, so the PE buffers are
  shrunk until all PEs' copies of what the GLB holds fit in it, and on Simba weights bypass the
  GLB (DRAM -> PE weight buffers through a GLB-wide port): with weights in its 32 KiB GLB, LOMA
  found no mapping for kws ``conv_ds_1.pw_conv`` on Simba-Small. Inputs and outputs use a DRAM
  port wide enough never to stall (costs are stall-free; the engine adds DRAM contention).
  Energies per access follow :mod:`mas_sim.hardware.costmodel.energy`.
- Mapping (:func:`mapping_spec`): row stationary has no ZigZag template, so its spatial mapping is
  given explicitly, the one of :mod:`.row_stationary` (filter rows x channels on the array rows,
  output rows x filters on its columns); weight stationary unrolls output channels (groups for a
  grouped conv) over PEs and input channels over the MAC lanes. Unrolled loops are padded to a
  multiple of their unroll (ZigZag needs unrolls that divide). ZigZag's LOMA searches the
  temporal mapping, minimising energy.
- DRAM traffic (:func:`table_row`): ZigZag's element counts at the DRAM level, per operand at
  least the tensor once (compulsory traffic: inputs and weights come from DRAM, outputs go back,
  even for a layer that fits on chip), scaled from the padded tensors to the real ones; energy is
  ZigZag's on-chip energy plus :data:`energy.E_DRAM_PJ_PER_BYTE` per DRAM byte. (ZigZag's own
  DRAM word accesses are counted in words of the DRAM port, rounded down: with a port this wide
  a small layer such as kws ``fc1`` showed 0 bytes.)
- Layers are de-duplicated by shape; each distinct shape runs once per SA class in a subprocess
  with a timeout (:data:`TIMEOUT_S`). Pool, add, concat and reorg layers (which ZigZag's
  convolution model does not cover) keep their analytical costs; the NoP energy of the DRAM
  traffic is added to ZigZag's energy.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import math
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from mas_sim.core.errors import MissingExtraError, ModelError
from mas_sim.core.units import CLOCK_HZ
from mas_sim.hardware.costmodel import energy as en
from mas_sim.hardware.costmodel.analytical import LayerCosts, analyze
from mas_sim.hardware.costmodel.layers import LayerTable
from mas_sim.hardware.costmodel.row_stationary import array_shape
from mas_sim.hardware.costmodel.tiling import candidates
from mas_sim.hardware.spec import SubAcceleratorSpec

DATA_DIR = Path(__file__).with_name("data")
#: Seconds one ZigZag run (one layer shape on one SA class) may take.
TIMEOUT_S = 600.0
#: Columns of a shipped table.
TABLE_COLUMNS = ("sa", "layer", "latency_sa_cycles", "dram_bytes", "energy_pj", "version")
#: Version of the hardware, mapping and workload files this module writes for ZigZag. Bump it
#: when they change: table rows of another version are then stale (ignored, and recomputed by
#: ``scripts/zigzag_tables.py``).
GENERATOR_VERSION = 1
#: Environment variable naming a Python interpreter that has zigzag-dse installed.
PYTHON_ENV = "MAS_SIM_ZIGZAG_PYTHON"

#: Share of a row-stationary PE's buffer per operand (Eyeriss v1: ifmap 12, filter 224, psum 24
#: words of 16 bits; rounded so inputs and psums keep a few rows).
RS_PE_SPLIT = {"I1": 0.15, "I2": 0.65, "O": 0.20}
#: Share of a weight-stationary PE's buffer per operand (Simba: mostly weight buffer).
WS_PE_SPLIT = {"I1": 0.125, "I2": 0.75, "O": 0.125}
GLB_PORT_BITS = 128
DRAM_PORT_BITS = 1 << 16
#: DRAM capacity given to ZigZag (any size holding every layer).
DRAM_BYTES = 1e9


def sa_key(sa: SubAcceleratorSpec) -> str:
    """The SA class fields ZigZag sees (not its name or clock): ``rs:256x1:g65536:p220``."""
    flow = "rs" if sa.dataflow == "row_stationary" else "ws"
    return f"{flow}:{sa.pes}x{sa.macs_per_pe}:g{sa.global_buffer_bytes}:p{sa.pe_buffer_bytes}"


def table_path(model: str, directory: Path | None = None) -> Path:
    """Where the table of ``model`` lives (default directory: :data:`DATA_DIR`)."""
    return (DATA_DIR if directory is None else directory) / f"zigzag_{model}.csv"


def has_table(model: str) -> bool:
    """True if a ZigZag table is shipped for ``model``."""
    return table_path(model).is_file()


def _read_rows(model: str, directory: Path | None
               ) -> dict[tuple[str, str], tuple[float, float, float, int]]:
    path = table_path(model, directory)
    rows: dict[tuple[str, str], tuple[float, float, float, int]] = {}
    if not path.is_file():
        return rows
    with path.open(newline="", encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            # Tables from before the version column were written by generator version 1.
            rows[(rec["sa"], rec["layer"])] = (
                float(rec["latency_sa_cycles"]), float(rec["dram_bytes"]),
                float(rec["energy_pj"]), int(rec.get("version") or 1))
    return rows


def read_table(model: str, directory: Path | None = None,
               ) -> dict[tuple[str, str], tuple[float, float, float]]:
    """The current rows of ``model``'s table: (sa key, layer) -> (SA cycles, DRAM bytes,
    energy pJ). Rows of another :data:`GENERATOR_VERSION` are stale and left out (so the table
    script recomputes them and the backend never uses them)."""
    return {key: (lat, dram, energy)
            for key, (lat, dram, energy, version) in _read_rows(model, directory).items()
            if version == GENERATOR_VERSION}


def write_table(model: str, rows: Iterable[tuple[str, str, float, float, float]],
                directory: Path | None = None) -> Path:
    """Add ``(sa, layer, SA cycles, DRAM bytes, energy pJ)`` rows of the current generator
    version to ``model``'s table, atomically (a row with an existing key replaces it; stale
    rows of other keys stay, marked with their version)."""
    path = table_path(model, directory)
    merged = _read_rows(model, directory)
    for sa, layer, lat, dram, energy in rows:
        merged[(sa, layer)] = (lat, dram, energy, GENERATOR_VERSION)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(TABLE_COLUMNS)
        for (sa, layer), (lat, dram, energy, version) in sorted(merged.items()):
            writer.writerow([sa, layer, f"{lat:.0f}", f"{dram:.0f}", f"{energy:.6g}", version])
    os.chmod(tmp, 0o644)  # mkstemp makes the file private; a shipped table is package data
    os.replace(tmp, path)
    return path


def clear_memo() -> None:
    """Forget the tables read or computed in this process."""
    _memo.clear()


# --- running ZigZag ---------------------------------------------------------------------------

def zigzag_python() -> str | None:
    """An interpreter with zigzag-dse, or None: ``$MAS_SIM_ZIGZAG_PYTHON``, else this one."""
    configured = os.environ.get(PYTHON_ENV)
    if configured:
        return configured
    if importlib.util.find_spec("zigzag") is not None:
        return sys.executable
    return None


def _memory(size_bytes: float, operands: list[str], read_bits: int, write_bits: int,
            pj_per_byte: float, served: list[str],
            port_bits: dict[str, int] | None = None) -> dict[str, Any]:
    """One ZigZag memory level: a read and a write port per operand group. ``port_bits`` gives
    an operand its own pair of ports of that width (the others share ``read_bits`` /
    ``write_bits``)."""
    own = port_bits or {}
    groups: list[tuple[list[str], int, int]] = [([op], own[op], own[op]) for op in operands
                                                if op in own]
    shared = [op for op in operands if op not in own]
    if shared:
        groups.append((shared, read_bits, write_bits))
    ports: list[dict[str, Any]] = []
    for k, (ops, r_bits, w_bits) in enumerate(groups, start=1):
        reads = [f"{op}, tl" for op in ops] + [f"{op}, th" for op in ops if op == "O"]
        writes = [f"{op}, fh" for op in ops] + [f"{op}, fl" for op in ops if op == "O"]
        ports.append({"name": f"r_port_{k}", "type": "read", "bandwidth_min": 8,
                      "bandwidth_max": r_bits, "allocation": reads})
        ports.append({"name": f"w_port_{k}", "type": "write", "bandwidth_min": 8,
                      "bandwidth_max": w_bits, "allocation": writes})
    # ZigZag charges r_cost / w_cost per access of the widest port.
    return {"size": max(8, int(size_bytes * 8)), "r_cost": pj_per_byte * read_bits / 8,
            "w_cost": pj_per_byte * write_bits / 8, "area": 0.0, "latency": 1,
            "operands": operands, "ports": ports, "served_dimensions": served}


def hardware_spec(sa: SubAcceleratorSpec) -> dict[str, Any]:
    """ZigZag accelerator description of ``sa`` (a dict; written as YAML-compatible JSON).

    Levels, lowest first: per-PE input, weight and accumulator buffers (one instance per PE,
    shared by its MAC lanes), the global buffer (GLB), DRAM. ZigZag's hierarchy is inclusive (a
    level holds everything the levels below it hold) and LOMA fills the lowest level first, so
    the GLB must be able to hold all PE buffers' contents of the operands it stores, else LOMA
    finds no mapping (kws ``conv_ds_1.pw_conv`` on Simba-Small: 16 x 18 KiB of weight buffers
    filled, then a 32 KiB GLB to hold them):

    - weight stationary (Simba): weights bypass the GLB (DRAM -> PE weight buffers, where Simba
      keeps them; the analytical model too may tile weights in the PE buffers), through a port
      as wide as a GLB port (:data:`GLB_PORT_BITS`: the analytical model routes every byte
      through the GLB's ports). The GLB holds inputs and outputs, and the PE input and
      accumulator buffers shrink until all PEs' copies fit it (16 x (3 + 3) KiB against 32 KiB;
      depthwise layers, whose PEs hold distinct inputs, failed otherwise);
    - row stationary (Eyeriss): the GLB holds all three operands, as the analytical model's
      tiling does (with weights bypassing it, 220-byte PE buffers made LOMA spill partial sums
      to DRAM: 26 times the output on yolo_lite ``conv4``); the PE buffers shrink until all of
      them fit the GLB (Eyeriss-Large: 512 x 220 B against 64 KiB).

    Inputs and outputs use a DRAM port too wide to stall (costs are stall-free; the engine adds
    DRAM contention).
    """
    rs = sa.dataflow == "row_stationary"
    if rs:
        rows, cols = array_shape(sa.pes)
        sizes, split = [cols, rows, sa.macs_per_pe], RS_PE_SPLIT
        pe_served: list[str] = ["D3"]
        in_glb = ["I1", "I2", "O"]
    else:
        sizes, split = [sa.pes, sa.macs_per_pe, 1], WS_PE_SPLIT
        pe_served = ["D2", "D3"]
        in_glb = ["I1", "O"]
    held = sum(split[op] for op in in_glb) * sa.pe_buffer_bytes * sa.pes
    scale = {op: min(1.0, sa.global_buffer_bytes / held) if op in in_glb else 1.0
             for op in split}
    pe_bytes = {op: scale[op] * split[op] * sa.pe_buffer_bytes for op in split}
    e_pe = en.sram_pj_per_byte(sa.pe_buffer_bytes)
    e_glb = en.sram_pj_per_byte(sa.global_buffer_bytes)
    lanes_bits = 8 * (1 if rs else sa.macs_per_pe)
    memories = {
        "pe_in": _memory(pe_bytes["I1"], ["I1"], lanes_bits, 64, e_pe, pe_served),
        "pe_w": _memory(pe_bytes["I2"], ["I2"], lanes_bits, 64, e_pe, pe_served),
        "pe_acc": _memory(pe_bytes["O"], ["O"], 16, 16, e_pe, pe_served),
        "glb": _memory(sa.global_buffer_bytes, in_glb, GLB_PORT_BITS, GLB_PORT_BITS,
                       e_glb + en.E_NOC_PJ_PER_BYTE, ["D1", "D2", "D3"]),
        "dram": _memory(DRAM_BYTES, ["I1", "I2", "O"], DRAM_PORT_BITS, DRAM_PORT_BITS,
                        en.E_DRAM_PJ_PER_BYTE, ["D1", "D2", "D3"],
                        port_bits={} if rs else {"I2": GLB_PORT_BITS}),
    }
    return {"name": sa_key(sa).replace(":", "_"), "memories": memories,
            "operational_array": {"unit_energy": en.E_MAC_PJ, "unit_area": 1.0,
                                  "dimensions": ["D1", "D2", "D3"], "sizes": sizes}}


def _shape(t: LayerTable, i: int) -> tuple[int, ...]:
    return tuple(int(x[i]) for x in (t.groups, t.C, t.M, t.H, t.W, t.E, t.F, t.R, t.S,
                                     t.stride, t.stride_w))


def spatial_unrolls(t: LayerTable, i: int,
                    sa: SubAcceleratorSpec) -> dict[str, list[tuple[str, int]]]:
    """The spatial unrolling of MAC layer ``i`` on ``sa``, per array dimension: our dataflows'
    mapping (row stationary as :mod:`.row_stationary`; weight stationary: output channels or
    groups over PEs, input channels over lanes). Unrolls of 1 are dropped."""
    g, c, m, _, _, e, _, r, _, _, _ = _shape(t, i)
    cg, mg = c // g, m // g
    fc = t.op[i] == "fc"
    spatial: dict[str, list[tuple[str, int]]] = {}
    if sa.dataflow == "row_stationary":
        rows, cols = array_shape(sa.pes)
        r_eff, e_eff = min(r, rows), min(e, cols)
        c_sp, m_sp = min(cg, rows // r_eff), min(mg, cols // e_eff)
        spatial["D1"] = [("K", m_sp)] if fc else [("OY", e_eff), ("K", m_sp)]
        spatial["D2"] = [("C", c_sp)] if fc else [("FY", r_eff), ("C", c_sp)]
    else:
        spatial["D1"] = [("K", min(mg, sa.pes))] if g == 1 else [("G", min(g, sa.pes))]
        spatial["D2"] = [("C", min(cg, sa.macs_per_pe))]
    return {dim: [u for u in units if u[1] > 1] or units[:1] for dim, units in spatial.items()}


def workload_spec(t: LayerTable, i: int, sa: SubAcceleratorSpec) -> list[dict[str, Any]]:
    """ZigZag workload (one layer) of MAC layer ``i``. ZigZag's mapper needs every spatial unroll
    to divide its loop, so unrolled loops are padded up to a multiple of the unroll: the idle PEs
    and lanes that the hardware would have (latency as ours; MACs and energy include the
    padding)."""
    g, c, m, _, _, e, f, r, s, st, st_w = _shape(t, i)
    sizes = {"G": g, "K": m // g, "C": c // g, "OY": e, "OX": f, "FY": r, "FX": s}
    for units in spatial_unrolls(t, i, sa).values():
        for dim, unroll in units:
            sizes[dim] = -(-sizes[dim] // unroll) * unroll
    precision = {"I": 8, "W": 8, "O": 16, "O_final": 8}
    head = {"id": 0, "name": t.layers[i], "operand_precision": precision}
    if t.op[i] == "fc":
        return [head | {"operator_type": "Gemm", "equation": "O[b][k]+=W[k][c]*I[b][c]",
                        "loop_dims": ["B", "K", "C"], "loop_sizes": [1, sizes["K"], sizes["C"]]}]
    relations = [f"ix={st_w}*ox+1*fx", f"iy={st}*oy+1*fy"]
    if g == 1:
        dims = ["K", "C", "OY", "OX", "FY", "FX"]
        equation = "O[b][k][oy][ox]+=W[k][c][fy][fx]*I[b][c][iy][ix]"
    else:
        dims = ["G", "K", "C", "OY", "OX", "FY", "FX"]
        equation = "O[b][g][k][oy][ox]+=W[g][k][c][fy][fx]*I[b][g][c][iy][ix]"
    return [head | {"operator_type": "Conv", "equation": equation,
                    "dimension_relations": relations, "loop_dims": ["B", *dims],
                    "loop_sizes": [1, *(sizes[d] for d in dims)]}]


def mapping_spec(t: LayerTable, i: int, sa: SubAcceleratorSpec) -> list[dict[str, Any]]:
    """ZigZag mapping of MAC layer ``i`` on ``sa``: the spatial unrolling of our dataflow, given
    explicitly (ZigZag has no row-stationary template)."""
    spatial = {dim: [f"{d}, {n}" for d, n in units]
               for dim, units in spatial_unrolls(t, i, sa).items()}
    return [{"name": "default", "spatial_mapping": spatial,
             "memory_operand_links": {"O": "O", "W": "I2", "I": "I1"}}]


def tensor_bytes(t: LayerTable, i: int) -> dict[str, float]:
    """The bytes of layer ``i``'s operands as the zoo counts them, by ZigZag layer operand:
    ``I`` input, ``W`` weights, ``O`` output (8-bit data)."""
    return {"I": float(t.input_bytes[i]), "W": float(t.weight_bytes[i]),
            "O": float(t.output_bytes[i])}


def table_row(result: dict[str, Any], real_bytes: dict[str, float],
              ) -> tuple[float, float, float]:
    """One table row from a :mod:`.zigzag_runner` result: (SA cycles, DRAM bytes, energy pJ).

    DRAM traffic, per operand: ZigZag's traffic at DRAM, at least the operand's tensor once
    (the compulsory traffic: every input and weight comes from DRAM and every output goes back,
    even when a layer fits on chip; a run that moves less, as an all-on-chip mapping may, is
    raised to it), scaled from ZigZag's padded tensor to the real one (``real_bytes``, see
    :func:`tensor_bytes`). Energy: ZigZag's on-chip energy plus :data:`energy.E_DRAM_PJ_PER_BYTE`
    per DRAM byte (the NoP's share is added by :func:`layer_costs`).
    """
    dram = 0.0
    for op, moved in result["dram"].items():
        tensor_bits = float(moved["tensor_bits"])
        traffic_bits = max(float(moved["traffic_bits"]), tensor_bits)
        dram += traffic_bits / tensor_bits * real_bytes[op] if tensor_bits > 0 else 0.0
    energy = float(result["onchip_energy_pj"]) + dram * en.E_DRAM_PJ_PER_BYTE
    return float(result["latency_cycles"]), dram, energy


def run_layer(t: LayerTable, i: int, sa: SubAcceleratorSpec, python: str,
              timeout_s: float = TIMEOUT_S) -> tuple[float, float, float]:
    """Run ZigZag on MAC layer ``i`` of ``t``: (SA cycles, DRAM bytes, energy pJ), see
    :func:`table_row`. Raises ``RuntimeError`` if ZigZag fails and
    ``subprocess.TimeoutExpired`` after ``timeout_s`` seconds."""
    with tempfile.TemporaryDirectory(prefix="mas-sim-zigzag-") as tmp:
        paths = {}
        for stem, spec in (("workload", workload_spec(t, i, sa)), ("hardware", hardware_spec(sa)),
                           ("mapping", mapping_spec(t, i, sa))):
            paths[stem] = Path(tmp) / f"{stem}.yaml"
            paths[stem].write_text(json.dumps(spec, indent=1), encoding="utf-8")
        out = Path(tmp) / "out.json"
        # Run the runner as a file: importing the mas_sim package would need its dependencies.
        runner = Path(__file__).with_name("zigzag_runner.py")
        proc = subprocess.run(
            [python, str(runner), str(paths["workload"]), str(paths["hardware"]),
             str(paths["mapping"]), str(out)],
            capture_output=True, text=True, timeout=timeout_s, cwd=tmp, check=False)
        if proc.returncode != 0 or not out.is_file():
            raise RuntimeError(f"ZigZag failed on layer {t.layers[i]!r} ({sa.name}): "
                               f"{proc.stderr.strip()[-2000:]}")
        result = json.loads(out.read_text(encoding="utf-8"))
    return table_row(result, tensor_bytes(t, i))


def run_model(t: LayerTable, sa: SubAcceleratorSpec, python: str,
              timeout_s: float = TIMEOUT_S,
              log: Any = None) -> list[tuple[str, str, float, float, float]]:
    """Run ZigZag on every MAC layer of ``t`` (each distinct shape once): table rows."""
    done: dict[tuple[Any, ...], tuple[float, float, float]] = {}
    rows = []
    key = sa_key(sa)
    for i in np.flatnonzero(t.is_mac):
        shape = (t.op[i], *_shape(t, int(i)))
        if shape not in done:
            done[shape] = run_layer(t, int(i), sa, python, timeout_s)
            if log is not None:
                log(f"{t.name} {sa.name} {t.layers[i]}: {done[shape]}")
        rows.append((key, t.layers[i], *done[shape]))
    return rows


# --- the backend ------------------------------------------------------------------------------

_memo: dict[tuple[str, str], dict[tuple[str, str], tuple[float, float, float]]] = {}


def layer_costs(t: LayerTable, sa: SubAcceleratorSpec, nop_pj_per_bit: float) -> LayerCosts:
    """ZigZag costs of every layer of ``t`` on ``sa`` (analytical for data-movement layers)."""
    key = sa_key(sa)
    rows = _memo.get((t.name, key))
    if rows is None:
        rows = {k: v for k, v in read_table(t.name).items() if k[0] == key}
        mac_layers = [t.layers[i] for i in np.flatnonzero(t.is_mac)]
        if any((key, layer) not in rows for layer in mac_layers):
            python = zigzag_python()
            if python is None:
                raise MissingExtraError(
                    f"ZigZag costs of model {t.name!r} on {sa.name!r} (not shipped)",
                    "zigzag", "zigzag-dse")
            rows = {(s, layer): (lat, dram, e) for s, layer, lat, dram, e in
                    run_model(t, sa, python)}
        _memo[(t.name, key)] = rows
    base = analyze(t, candidates(t), sa, nop_pj_per_bit)
    latency = base.latency_cycles.copy()
    dram = base.dram_bytes.copy()
    energy = base.energy_pj.copy()
    to_system = CLOCK_HZ / sa.frequency_hz
    for i in np.flatnonzero(t.is_mac):
        found = rows.get((key, t.layers[i]))
        if found is None:
            raise ModelError(f"ZigZag table of {t.name!r} has no layer {t.layers[i]!r}")
        sa_cycles, dram_bytes, energy_pj = found
        latency[i] = max(1.0, math.ceil(sa_cycles * to_system))
        dram[i] = dram_bytes
        energy[i] = energy_pj + dram_bytes * 8.0 * nop_pj_per_bit
    macs_sa_cycles = latency / to_system * sa.peak_macs_per_cycle
    utilization = np.where(t.is_mac, t.macs / macs_sa_cycles, 0.0)
    return LayerCosts(latency_cycles=latency, dram_bytes=dram, bandwidth=dram / latency,
                      energy_pj=energy, utilization=utilization)
