"""Retrain shipped RELMAS checkpoints from their presets, one after the other.

A thin loop over ``mas-sim train relmas --preset NAME`` (the one training entry point; the
recipes are :mod:`policies.relmas.presets`). For each preset it writes into ``--out-dir`` the
resumable last state ``<name>.last.pt`` (with its ``.csv`` history and ``.png`` curve) and
copies the best validation weights, whose deployment cap the preset chose, to ``<name>.pt``,
the shipped file name the preset reproduces. Options after ``--`` go to every training (for
example ``-- --max-minutes 5``). Long: run it in the background and follow the log::

    PYTHONPATH=. nohup nice -n 10 .venv/bin/python scripts/train_relmas.py \\
        --presets heavy,light-linear --out-dir ckpt > train.log 2>&1 &

Compare a new file on validation seeds before copying it into ``policies/relmas/checkpoints``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mas_sim.cli import main as mas_sim
from mas_sim.core.files import atomic_write_bytes
from policies.relmas.callbacks import best_path
from policies.relmas.presets import PRESETS


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    shipped = [p.name for p in PRESETS.values() if p.checkpoint]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", default="light-linear,heavy,mixed-planned-finish",
                        help=f"comma-separated presets among {', '.join(shipped)}")
    parser.add_argument("--out-dir", required=True, type=Path)
    args = parser.parse_args(argv)
    names = [n for n in args.presets.split(",") if n]
    unknown = [n for n in names if n not in shipped]
    if unknown:
        parser.error(f"--presets: {unknown} are not presets of shipped checkpoints")
    for name in names:
        final = args.out_dir / str(PRESETS[name].checkpoint)
        last = final.with_suffix(".last.pt")
        code = mas_sim(["train", "relmas", "--preset", name, "--out", str(last), "--no-progress",
                        *extra])
        if code:
            return code
        atomic_write_bytes(final, best_path(last).read_bytes())
        print(f"{name}: {final}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
