"""Write notebooks 02-04 (Gantt explorer, RELMAS reproduction, what-if hardware) with nbformat.

Run from the repository root: ``python notebooks/build_notebooks.py``. The notebooks are kept
small enough for CI (nbmake executes each in well under a minute on 2 cores); their first cells
say how to scale them up.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent


def notebook(cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    """A notebook from (kind, source) pairs, kind "md" or "code"."""
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                 "name": "python3"}
    nb.cells = [new_markdown_cell(src.strip()) if kind == "md" else new_code_cell(src.strip())
                for kind, src in cells]
    return nb


GANTT = [
    ("md", """
# Gantt explorer: one scenario, several schedulers

The same light-workload scenario (QoS-High, so deadlines are tight) runs under FCFS-H, PREMA-H,
EDF-H and MoCA-like. The Gantt charts, side by side, show one row per sub-accelerator; bars are
coloured by model, bars of requests that **missed** their deadline get a red edge and those of
**dropped** requests a red hatch, and the `misses` row marks each miss. Times are microseconds on
the axes, cycles (1 GHz) in the tables. Raise `REQUESTS` for a busier picture.
"""),
    ("code", """
import matplotlib

matplotlib.use("Agg")  # headless in CI; remove in a live notebook
import matplotlib.pyplot as plt

from mas_sim import SystemSpec, simulate
from mas_sim.workload.scenario import Scenario, build_workload

REQUESTS = 24
POLICIES = ["fcfs-h", "prema-h", "edf-h", "moca"]
system = SystemSpec.paper()
scenario = Scenario(workload="light", qos="high", requests=REQUESTS, seed=3)
workload = build_workload(system, scenario)
results = {p: simulate(system, workload, p, period=scenario.period, seed=scenario.seed)
           for p in POLICIES}
{p: f"{r.sla_satisfaction:.0%} met ({r.missed} missed, {r.dropped} dropped)"
 for p, r in results.items()}
"""),
    ("md", "The whole run under each policy:"),
    ("code", """
fig, axes = plt.subplots(len(POLICIES), 1, figsize=(14, 3.2 * len(POLICIES)), sharex=True)
for ax, (name, result) in zip(axes, results.items(), strict=True):
    result.gantt(ax=ax, title=f"{name}: SLA {result.sla_satisfaction:.0%}")
fig.tight_layout()
"""),
    ("md", """
Zoom into a window around the first deadline miss of FCFS-H (`window=(start, end)` in cycles):
the other policies are shown over the same window, so one can see which requests each one
delayed instead.
"""),
    ("code", """
jobs = results["fcfs-h"].jobs
late = jobs[jobs["status"] != "met"].sort_values("deadline")
centre = float(late["deadline"].iloc[0]) if len(late) else float(jobs["deadline"].median())
window = (max(0.0, centre - 400_000), centre + 200_000)  # cycles: 400 us before, 200 us after
fig, axes = plt.subplots(len(POLICIES), 1, figsize=(14, 3.2 * len(POLICIES)), sharex=True)
for ax, (name, result) in zip(axes, results.items(), strict=True):
    result.gantt(ax=ax, window=window, title=f"{name}, window {window[0] / 1e3:.0f}-"
                                             f"{window[1] / 1e3:.0f} us")
fig.tight_layout()
"""),
    ("md", "The requests that were not met, per policy (times in cycles):"),
    ("code", """
import pandas as pd

misses = pd.concat({name: r.jobs[r.jobs["status"] != "met"][
    ["job_id", "model", "arrival", "deadline", "finish", "status"]]
    for name, r in results.items()}, names=["policy", "row"])
misses.reset_index(level="row", drop=True)
"""),
]

REPRODUCE = [
    ("md", """
# Reproducing RELMAS (DAC 2024)

`mas-sim reproduce relmas --quick` runs the paper's Fig. 3-5 grid with the sweep machinery and
writes the tables and figures to `results/relmas/` (RESULTS.md discusses them). This notebook
reads `results/relmas/fig3_runs.csv` if it is there; otherwise it runs a **tiny** grid itself
(light workload, a few requests, two seeds) with `mas_sim.runs.sweep`, so that it always executes.
"""),
    ("code", """
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

import policies
from mas_sim.runs.experiment import Point, policy_unavailable
from mas_sim.studies.stats import geomean, summarise
from mas_sim.runs.sweep import expand, parse_grid, read_results, run_sweep

RESULTS = Path("../results/relmas/fig3_runs.csv")
if not RESULTS.exists():
    RESULTS = Path("results/relmas/fig3_runs.csv")  # notebook run from the repository root
names = ["fcfs-h", "prema-h", "herald", "edf-h", "moca"]
why = policy_unavailable("relmas", workload="light", qos="medium")
if why is None:
    names.append("relmas")
else:
    print("RELMAS left out:", why)
if RESULTS.exists():
    runs = read_results(RESULTS)
    source = f"{RESULTS} ({len(runs)} runs)"
else:
    grid = parse_grid(f"policy={','.join(names)};qos=medium;seed=1,2")  # QoS checked above
    points = expand(grid, Point(workload="light", requests=8))
    runs = run_sweep(points, None, workers=1, progress=False).table
    source = f"a tiny grid run here ({len(runs)} runs)"
print("data:", source)
"""),
    ("md", "SLA satisfaction per scenario and policy: mean and 95 % CI over seeds."),
    ("code", """
stats = summarise(runs, ["workload", "qos", "policy"], "sla_satisfaction")
table = stats.pivot_table(index=["workload", "qos"], columns="policy", values="mean")
(100 * table).round(1)  # percent
"""),
    ("code", """
scenarios = stats[["workload", "qos"]].drop_duplicates().apply(tuple, axis=1).tolist()
present = [p for p in policies.available() if p in set(stats["policy"])]
fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(scenarios)), 4))
width = 0.8 / len(present)
for i, p in enumerate(present):
    sub = stats[stats["policy"] == p].set_index(["workload", "qos"]).reindex(scenarios)
    x = [j + (i - (len(present) - 1) / 2) * width for j in range(len(scenarios))]
    ax.bar(x, sub["mean"], width, yerr=sub["ci95"].fillna(0), capsize=2, label=p)
ax.set_xticks(range(len(scenarios)), [f"{w}\\n{q}" for w, q in scenarios])
ax.set_ylabel("SLA satisfaction")
ax.set_ylim(0, 1.05)
ax.legend(ncol=4, fontsize=8)
"""),
    ("md", """
The paper's headline compares geometric means over scenarios: here the best policy's gain over
each of the others.
"""),
    ("code", """
geo = {p: geomean(stats.loc[stats["policy"] == p, "mean"]) for p in present}
best = max(geo, key=geo.get)
pd.DataFrame({"geomean SLA": geo,
              f"gain of {best} (%)": {p: 100 * (geo[best] / g - 1) for p, g in geo.items()}})
"""),
]

WHAT_IF = [
    ("md", """
# What-if hardware

Change the system and watch the cost tables, SLA satisfaction and energy move. Everything is
derived again from the specs: `SubAcceleratorSpec` (PEs, MACs per PE, buffers) and `SystemSpec`
(the SAs and the shared DRAM bandwidth, bytes/cycle = GB/s at 1 GHz) are frozen dataclasses, so
`dataclasses.replace` makes variants. Costs come from `mas_sim.hardware.costmodel.evaluate`
(one SA class) and `profile` (a whole system).
"""),
    ("code", """
import dataclasses

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from mas_sim import SystemSpec, simulate
from mas_sim.hardware.costmodel import evaluate, profile
from mas_sim.hardware import eyeriss_small, simba_large, simba_small
from mas_sim.workload.scenario import Scenario, build_workload

paper = SystemSpec.paper()
[(sa.name, sa.dataflow, sa.pes, sa.macs_per_pe, sa.global_buffer_bytes)
 for sa in paper.sub_accelerators]
"""),
    ("md", "A cost table: SqueezeNet's layers on Eyeriss-Small (cycles, bytes, pJ)."),
    ("code", """
evaluate("squeezenet", eyeriss_small()).head(8)
"""),
    ("md", """
Variants of one SA: twice the PEs, a quarter of the global buffer. More PEs cut compute cycles
until DRAM traffic dominates; a smaller buffer means more re-fetches (bytes) and energy.
"""),
    ("code", """
base = simba_small()
variants = {
    "simba_small": base,
    "2x PEs": dataclasses.replace(base, name="simba_2xpe", pes=base.pes * 2),
    "1/4 buffer": dataclasses.replace(base, name="simba_qbuf",
                                      global_buffer_bytes=base.global_buffer_bytes // 4),
}
rows = []
for label, sa in variants.items():
    t = evaluate("resnet50", sa)
    rows.append({"variant": label, "latency ms": t["latency_cycles"].sum() / 1e6,
                 "DRAM MB": t["dram_bytes"].sum() / 1e6,
                 "energy uJ": t["energy_pj"].sum() / 1e6})
pd.DataFrame(rows)
"""),
    ("md", """
Whole systems: the paper's, one with two Simba-Large instead of the two Eyeriss-Small, and the
paper's at a quarter of the DRAM bandwidth. Same workload seed, same policy (EDF-H).
"""),
    ("code", """
sas = paper.sub_accelerators
systems = {
    "paper (16 GB/s)": paper,
    "2x Simba-L for 2x Eyeriss-S": SystemSpec((simba_large(), simba_large(), *sas[2:]),
                                              name="simba_heavy"),
    "paper at 4 GB/s": paper.with_bandwidth_gbps(4),
}
scenario = Scenario(workload="light", qos="medium", requests=30, seed=2)
rows = []
for label, system in systems.items():
    r = simulate(system, build_workload(system, scenario), "edf-h", period=scenario.period,
                 trace=False)
    rows.append({"system": label, "SLA": r.sla_satisfaction, "energy mJ": r.energy_j * 1e3,
                 "SA util": r.mean_sa_utilization, "DRAM util": r.dram_utilization,
                 "ANTT": r.antt})
whatif = pd.DataFrame(rows).set_index("system")
whatif
"""),
    ("code", """
fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.5))
whatif["SLA"].plot.barh(ax=a1, title="SLA satisfaction")
whatif["energy mJ"].plot.barh(ax=a2, title="energy (mJ)")
fig.tight_layout()
"""),
    ("md", "How a model's per-SA latencies change across the systems (the scheduler's input):"),
    ("code", """
pd.DataFrame({label: profile("kws", s).latency.sum(axis=0) / 1e3 for label, s in systems.items()},
             index=[f"SA {i}" for i in range(paper.num_sas)]).round(1)
"""),
]


def main() -> None:
    """Write the three notebooks beside this script."""
    for name, cells in (("02_gantt_explorer", GANTT), ("03_reproduce_relmas", REPRODUCE),
                        ("04_what_if_hardware", WHAT_IF)):
        nbformat.write(notebook(cells), HERE / f"{name}.ipynb")


if __name__ == "__main__":
    main()
