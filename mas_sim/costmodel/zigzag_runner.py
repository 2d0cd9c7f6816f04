"""Run ZigZag on one layer; executed in a subprocess by :mod:`mas_sim.costmodel.zigzag_backend`.

    python zigzag_runner.py WORKLOAD.yaml HARDWARE.yaml MAPPING.yaml OUT.json

Imports only ZigZag and the standard library, so it runs under any interpreter that has
``zigzag-dse`` (and ``six``, which ZigZag imports without declaring). Writes one JSON object:
``latency_cycles`` (ZigZag's ``latency_total2``: compute plus on/off-loading, SA cycles),
``energy_pj`` and ``dram_bytes`` (reads + writes at the top memory level).
"""

from __future__ import annotations

import json
import logging
import sys
import tempfile


def _dram_bytes(cme: object) -> float:
    """Bytes moved at the top memory level (DRAM), summed over operands and directions."""
    from zigzag.hardware.architecture.memory_port import DataDirection

    accelerator = cme.accelerator  # type: ignore[attr-defined]
    links = cme.memory_operand_links  # type: ignore[attr-defined]
    total = 0.0
    for layer_op, per_level in cme.memory_word_access.items():  # type: ignore[attr-defined]
        mem_op = links.layer_to_mem_op(layer_op)
        top = len(per_level) - 1
        level = accelerator.get_memory_level(mem_op, top)
        for direction in (DataDirection.RD_OUT_TO_LOW, DataDirection.WR_IN_BY_LOW):
            bits = level.get_max_bandwidth(mem_op, direction) or 0
            total += float(per_level[top].get(direction)) * float(bits) / 8.0
    return total


def main(argv: list[str]) -> int:
    workload, hardware, mapping, out = argv
    logging.disable(logging.CRITICAL)
    from zigzag.api import get_hardware_performance_zigzag

    with tempfile.TemporaryDirectory() as dump:
        result = get_hardware_performance_zigzag(
            workload, hardware, mapping, opt="energy", dump_folder=dump,
            loma_show_progress_bar=False)
    energy, latency, cmes = result[0], result[1], result[-1]
    layer_cme = cmes[0][1][0][0] if cmes and isinstance(cmes[0][1], list) and cmes[0][1] else None
    cme = layer_cme if layer_cme is not None else cmes[0][0]
    with open(out, "w", encoding="utf-8") as fh:
        json.dump({"latency_cycles": float(latency), "energy_pj": float(energy),
                   "dram_bytes": _dram_bytes(cme),
                   "spatial_mapping": str(getattr(cme, "spatial_mapping_int", ""))}, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
