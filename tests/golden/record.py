"""Record the golden outputs that refactors and speed work must reproduce.

Run from the repository root: ``python tests/golden/record.py``. It writes, beside itself:

- ``traces.npz``: for every deterministic policy x workload (light, heavy, mixed) x seed (1, 2),
  60 requests, QoS-Medium, the sub-job trace (job, layer, SA, start, finish) and the job table
  (status, finish) of the run, and its summary (minus wall times) in ``summaries.json``;
- ``views.npz``: ready queues recorded at ticks of mixed and light runs under EDF-H;
- ``decisions.npz``: on those views, MAGMA's schedule (fixed seed, 8 generations x 16),
  MAGMA's fitness on a fixed random population, the forecast of EDF-H's schedule, and the
  shipped RELMAS checkpoints' decisions.

The tests in ``tests/golden/test_golden.py`` run the same things with today's code and compare.
Re-record only when a change of behaviour is intended, and say why in the commit.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import golden_cases as gc  # noqa: E402


def main() -> None:
    traces: dict[str, np.ndarray] = {}
    summaries: dict[str, dict] = {}
    for policy, workload, seed in gc.trace_cases():
        key = gc.case_key(policy, workload, seed)
        arrays, summary = gc.run_trace(policy, workload, seed)
        for name, arr in arrays.items():
            traces[f"{key}/{name}"] = arr
        summaries[key] = summary
        print(key, len(arrays["start"]), file=sys.stderr)
    np.savez_compressed(HERE / "traces.npz", **traces)
    (HERE / "summaries.json").write_text(json.dumps(summaries, indent=1, sort_keys=True) + "\n")
    views = gc.record_views()
    np.savez_compressed(HERE / "views.npz", **gc.views_to_arrays(views))
    decisions = gc.decisions(gc.views_from_arrays(dict(np.load(HERE / "views.npz"))))
    np.savez_compressed(HERE / "decisions.npz", **decisions)


if __name__ == "__main__":
    main()
