"""Generate the shipped ZigZag cost tables, ``mas_sim/costmodel/data/zigzag_<model>.csv``.

    PYTHONPATH=. python scripts/zigzag_tables.py [MODEL ...] [--python PATH] [--timeout S]

Runs ZigZag (``zigzag-dse``) on every distinct conv/FC layer shape of each model, for each SA
class of the paper's system, and writes one table per model (rows are added per SA class, so an
interrupted run resumes where it stopped; ``--force`` recomputes classes already there). A class
whose run fails or times out is logged and not written (exit status 1). ZigZag runs under
``--python`` (default: ``$MAS_SIM_ZIGZAG_PYTHON``, else this interpreter), one layer at a time in
a subprocess; a layer takes seconds to a minute, the whole zoo hours: run it in the background,
at low priority (``nice -n 19``), not in CI.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import models
from mas_sim.hardware import SystemSpec
from mas_sim.hardware.costmodel import zigzag_backend as zb
from mas_sim.hardware.costmodel.layers import layer_table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", help="zoo models (default: all)")
    parser.add_argument("--python", default=None, help="interpreter with zigzag-dse installed")
    parser.add_argument("--timeout", type=float, default=zb.TIMEOUT_S,
                        help="seconds per ZigZag run")
    parser.add_argument("--force", action="store_true",
                        help="recompute SA classes already in a table (stale rows)")
    args = parser.parse_args()
    python = args.python or zb.zigzag_python()
    if python is None:
        print("zigzag-dse is not installed here: pass --python or set "
              f"{zb.PYTHON_ENV}", file=sys.stderr)
        return 2
    names = args.models or list(models.available())
    system = SystemSpec.paper()
    failed = 0
    for name in names:
        table = layer_table(models.get(name))
        have = {sa for sa, _ in zb.read_table(name)}
        for sa in system.sa_classes:
            if zb.sa_key(sa) in have and not args.force:
                print(f"{name} on {sa.name}: already in the table")
                continue
            start = time.perf_counter()
            try:
                rows = zb.run_model(table, sa, python, args.timeout,
                                    log=lambda msg: print(msg, flush=True))
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                # A class with a missing layer is not written: the backend needs every layer.
                failed += 1
                print(f"{name} on {sa.name}: FAILED, not written: {exc}", flush=True)
                continue
            path = zb.write_table(name, rows)
            print(f"{name} on {sa.name}: {len(rows)} layers in "
                  f"{time.perf_counter() - start:.0f} s -> {path}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
