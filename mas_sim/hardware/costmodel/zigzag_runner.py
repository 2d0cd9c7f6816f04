"""Run ZigZag on one layer; executed in a subprocess by
:mod:`mas_sim.hardware.costmodel.zigzag_backend`.

    python zigzag_runner.py WORKLOAD.yaml HARDWARE.yaml MAPPING.yaml OUT.json

Imports only ZigZag and the standard library, so it runs under any interpreter that has
``zigzag-dse`` (and ``six``, which ZigZag imports without declaring). It reports ZigZag's raw
figures; the backend turns them into a table row (compulsory DRAM traffic, padding, DRAM energy).
Writes one JSON object:

- ``latency_cycles``: ZigZag's ``latency_total2`` (compute, stalls, on/off-loading), SA cycles;
- ``onchip_energy_pj``: ZigZag's energy without its top memory level (MACs and on-chip memories);
- ``dram``: per layer operand (``I``, ``W``, ``O``), ``traffic_bits``, the bits ZigZag moves
  between DRAM and the level below (reads down plus writes up, counted per data element at the
  precision moved, so partial-sum spills count 16 bits), and ``tensor_bits``, the operand's
  size in ZigZag's (padded) workload at its final precision.

Element counts are used, not ZigZag's word accesses: the DRAM port is made very wide so that it
never stalls, and ZigZag rounds word accesses of such a port down to whole words.
"""

from __future__ import annotations

import json
import logging
import sys
import tempfile
from typing import Any


def _dram(cme: Any) -> dict[str, dict[str, float]]:
    """Bits each operand moves at its top memory level (DRAM), and its tensor's size in bits."""
    from zigzag.mapping.data_movement import DataDirection, DataMoveAttr

    layer = cme.layer
    final_bits = layer.operand_precision.final_output_precision
    out: dict[str, dict[str, float]] = {}
    for layer_op, per_level in cme.mapping.unit_mem_data_movement.items():
        top = per_level[-1]
        counts = top.get_attribute(DataMoveAttr.DATA_ELEM_MOVE_COUNT)
        precision = top.get_attribute(DataMoveAttr.DATA_PRECISION)
        traffic = sum(float(counts.get(d)) * float(precision.get(d))
                      for d in (DataDirection.RD_OUT_TO_LOW, DataDirection.WR_IN_BY_LOW))
        name = str(layer_op)
        bits = final_bits if name == "O" else layer.operand_precision[layer_op]
        out[name] = {"traffic_bits": traffic,
                     "tensor_bits": float(layer.operand_size_elem[layer_op]) * float(bits)}
    return out


def _top_energy(cme: Any) -> float:
    """ZigZag's energy at each operand's top memory level (DRAM), pJ."""
    return float(sum(levels[-1] for levels in cme.mem_energy_breakdown.values()))


def main(argv: list[str]) -> int:
    workload, hardware, mapping, out = argv
    logging.disable(logging.CRITICAL)
    from zigzag.api import get_hardware_performance_zigzag

    with tempfile.TemporaryDirectory() as dump:
        result = get_hardware_performance_zigzag(
            workload, hardware, mapping, opt="energy", dump_folder=dump,
            loma_show_progress_bar=False)
    cmes = result[-1]
    # One layer: [(summed CME, [(layer CME, extra), ...])]; the layer's own CME holds the mapping.
    cme = cmes[0][1][0][0]
    with open(out, "w", encoding="utf-8") as fh:
        json.dump({"latency_cycles": float(cme.latency_total2),
                   "onchip_energy_pj": float(cme.energy_total) - _top_energy(cme),
                   "dram": _dram(cme),
                   "temporal_mapping": str(cme.temporal_mapping),
                   "spatial_mapping": str(cme.spatial_mapping_int)}, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
