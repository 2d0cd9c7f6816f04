"""The full-size RELMAS reproduction, MAGMA at 100 x 100, run in parts (RESULTS.md section 3c).

MAGMA's points are most of the work (hours each on heavy), so they run last and cheapest first:

1. every policy but MAGMA: ``reproduce_relmas`` with those policies (Fig. 3, 4 and 5);
2. MAGMA's points into the same run files: Fig. 3 light, Fig. 4 (light), Fig. 3 mixed, then
   Fig. 3 heavy one seed at a time (its three QoS levels together);
3. after each part, the figures redrawn from whatever is done (``draw_only``; ``summary.json``
   notes what is missing).

Interrupt it at any time and start it again: done points are skipped. ``mas-sim reproduce relmas
--out DIR`` on the same folder runs whatever is still missing and draws the same figures.

    nice -n 10 python scripts/relmas_full_in_parts.py --out results/relmas_full --workers 2

``--magma-only`` skips part 1; ``--parts "fig3 light,fig3 mixed"`` runs only those MAGMA parts
(labels as printed), in the order given.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from mas_sim.core.errors import ConfigError
from mas_sim.runs.experiment import Point
from mas_sim.runs.sweep import run_sweep
from mas_sim.studies.relmas import FULL, POLICIES, fig3_points, fig4_points, reproduce_relmas


def magma_parts() -> list[tuple[str, str, list[Point]]]:
    """(label, run-file name, points) of MAGMA's points, in the order they run."""
    magma = replace(FULL, policies=("magma",))
    fig3 = fig3_points(magma, set())
    heavy = sorted((p for p in fig3 if p.workload == "heavy"), key=lambda p: (p.seed, p.qos))
    parts = [("fig3 light", "fig3", [p for p in fig3 if p.workload == "light"]),
             ("fig4", "fig4", fig4_points(magma, set())),
             ("fig3 mixed", "fig3", [p for p in fig3 if p.workload == "mixed"])]
    parts += [(f"fig3 heavy seed {s}", "fig3", [p for p in heavy if p.seed == s])
              for s in FULL.seeds]
    return parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="results/relmas_full")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--magma-only", action="store_true", help="skip part 1")
    parser.add_argument("--parts", default=None, help="comma-separated MAGMA part labels")
    args = parser.parse_args()
    out = Path(args.out)
    parts = {label: (label, name, points) for label, name, points in magma_parts()}
    chosen = list(parts) if args.parts is None else args.parts.split(",")
    unknown = [c for c in chosen if c not in parts]
    if unknown:
        parser.error(f"unknown part(s) {unknown}; expected some of {list(parts)}")
    if not args.magma_only:
        others = replace(FULL, policies=tuple(p for p in POLICIES if p != "magma"))
        print("part: every policy but MAGMA", flush=True)
        reproduce_relmas(out, others, workers=args.workers, progress=False)
    for label, name, points in (parts[c] for c in chosen):
        print(f"part: MAGMA {label} ({len(points)} points)", flush=True)
        run_sweep(points, out / f"{name}_runs.csv", workers=args.workers, resume=True,
                  progress=False)
        try:
            reproduce_relmas(out, FULL, progress=False, draw_only=True)
        except ConfigError as err:  # a figure's run file is still missing (part 1 not run)
            print(f"not drawn: {err}", flush=True)


if __name__ == "__main__":
    main()
