"""Write notebooks 02-06 (Gantt explorer, RELMAS reproduction, what-if hardware, batching, tenants
and traces) with nbformat; 01 (the quickstart) is written by hand.

Every chart shows inline (matplotlib's inline backend, Bokeh's charts as self-contained
iframes).

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
EDF-H and MoCA-like. The interactive chart (Bokeh, extra `viz`: `pip install 'mas-sim[viz]'`)
stacks the schedulers on one time axis; each has one lane per sub-accelerator and one bar per
sub-job (a layer of a request), a `deadlines` lane (a triangle per request at its deadline: grey
met, red missed, black dropped; a red line runs on to a missed request's finish), and a DRAM
lane: the stall-free bandwidth the running sub-jobs ask for against the shared bandwidth B
(dashed), shaded where it exceeds B. There every running sub-job slows down to B / demand of its
speed: that is the *stall* in the hover text.
Times are microseconds on the axes, cycles (1 GHz) in the tables. Raise `REQUESTS` for a busier
picture (the charts stay responsive at thousands of requests).
"""),
    ("code", """
import pandas as pd

import models
from mas_sim import SystemSpec, simulate
from mas_sim.output.interactive import have_bokeh, interactive_comparison
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
    ("md", """
The four schedules. **Hover** a bar for its request, tenant, model, layer, start and finish, its
stall-free latency and the stall it suffered, its bandwidth, and the request's deadline and
status. **Drag** to pan and use **Ctrl + wheel** (or pinch, or the box tool) to zoom: time
only, every scheduler at once. **Click** a bar or a deadline triangle to select that request
under every scheduler (the rest dims; its deadline becomes a dashed line); click empty space to
clear. The buttons
on top colour the bars by model or by tenant.
"""),
    ("code", """
if have_bokeh():
    charts = interactive_comparison({p: (r.subjobs, r.jobs) for p, r in results.items()},
                                    sa_labels=system.sa_labels,
                                    dram_bandwidth=system.dram_bandwidth)
else:  # without the extra: the static chart of each run (result.gantt falls back the same way)
    charts = [r.gantt(title=p) for p, r in results.items()]
charts
"""),
    ("md", """
## What to look for: a missed request, traced back to the sub-job that delayed it

A request misses its deadline because some of its sub-jobs started late (they **waited**: the
layers they depend on had finished, but the scheduler kept them off every SA, or put them on a
busy one) or ran slowly (they **stalled** on DRAM bandwidth). The cell below takes FCFS-H's
first missed request (or, if none, its first dropped one) and, for each of its sub-jobs, the
time it became ready (its predecessors in the model's layer graph had finished), how long it
waited, and its stall. The sub-job with the largest delay is the one to look at; the sub-jobs
that ran on its SA while it waited are what the scheduler preferred.
"""),
    ("code", """
def trace_back(result, job_id):
    \"\"\"The sub-jobs of request ``job_id``, with when each became ready, how long it waited
    and how long it stalled (us), the largest delay first.\"\"\"
    sj = result.subjobs
    job = result.jobs.set_index("job_id").loc[job_id]
    mine = sj[sj["job_id"] == job_id].set_index("layer")
    graph = models.get(job["model"])
    ready = {layer: max([mine.at[p, "finish"] for p in graph.predecessors(layer)
                         if p in mine.index], default=job["arrival"])
             for layer in mine.index}
    out = pd.DataFrame({
        "sa": [system.sa_labels[s] for s in mine["sa"]],
        "ready_us": [ready[layer] / 1e3 for layer in mine.index],
        "start_us": mine["start"] / 1e3,
        "waited_us": (mine["start"] - pd.Series(ready)) / 1e3,
        "stall_us": (mine["finish"] - mine["start"] - mine["latency_cycles"]) / 1e3,
    }, index=mine.index)
    out["delay_us"] = out["waited_us"] + out["stall_us"]
    return out.sort_values("delay_us", ascending=False)


fcfs = results["fcfs-h"]
late = fcfs.jobs[fcfs.jobs["status"] != "met"].sort_values(["status", "deadline"],
                                                             ascending=[False, True])
late = late[late["job_id"].isin(fcfs.subjobs["job_id"])]  # a request that ran at least a layer
if len(late):
    job = late.iloc[0]
    delays = trace_back(fcfs, int(job["job_id"]))
    worst = delays.iloc[0]
    print(f"request {job['job_id']} ({job['model']}, tenant {job['tenant']}) {job['status']}: "
          f"deadline {job['deadline'] / 1e3:,.1f} us; its layer {delays.index[0]!r} became "
          f"ready at {worst['ready_us']:,.1f} us, waited {worst['waited_us']:,.1f} us and "
          f"stalled {worst['stall_us']:,.1f} us on {worst['sa']}")
    sj = fcfs.subjobs
    lane = system.sa_labels.index(worst["sa"])
    ahead = sj[(sj["sa"] == lane) & (sj["finish"] > worst["ready_us"] * 1e3)
               & (sj["start"] < worst["start_us"] * 1e3)]
    display(delays.head(5).round(1))
    display(ahead[["job_id", "model", "layer", "tenant", "start", "finish"]])
"""),
    ("md", """
In the chart above: click a bar of that request in FCFS-H's chart; its bars light up in all four
schedules. On the lane printed above, the gap before its delayed layer is filled by the bars
listed in the last table (hover them: other requests, often of later deadlines, that FCFS-H
served first). Compare with EDF-H, which orders by deadline, in the chart right below it, and
look at the DRAM lane at the same time: a demand far above B means the stall column is large.

The static chart (the picture `result.save_gantt(path)` writes, also the fallback without the
extra) over a window around that request, in cycles:
"""),
    ("code", """
if len(late):
    window = (float(job["arrival"]), float(max(job["deadline"], job["finish"])))
    fcfs.gantt(window=window, title=f"fcfs-h: request {job['job_id']} from arrival to "
                                    f"{job['status']}")
"""),
    ("md", "The requests that were not met, per policy (times in cycles):"),
    ("code", """
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

import matplotlib.pyplot as plt
import pandas as pd

import policies
from mas_sim.runs.experiment import Point, policy_unavailable
from mas_sim.runs.sweep import expand, parse_grid, read_results, run_sweep
from mas_sim.studies.stats import geomean, summarise

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

import matplotlib.pyplot as plt
import pandas as pd

from mas_sim import SystemSpec, simulate
from mas_sim.hardware import eyeriss_small, simba_large, simba_small
from mas_sim.hardware.costmodel import evaluate, profile
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


TENANTS = [
    ("md", """
# Tenants and traces: per-tenant hit-rate targets on synthetic and replayed arrivals

Eight tenants share the system, each promised a **hit rate** (the fraction of its requests that
must meet their deadline): two at 0.95, three at 0.8, three at 0.6. The same scenario (mixed
workload, QoS-Medium, load 0.4) runs on Pareto arrivals (the default), Poisson arrivals
(MLPerf's server scenario) and the **replayed Azure LLM inference trace 2023** (its timestamps,
time-scaled to the same load; CC BY 4.0, attribution in `mas_sim/workload/data/README.md`).
`tenant-edf` moves each tenant's deadlines by its hit-rate deficit (closed loop), the other
schedulers ignore tenants.

The notebook runs small (CI executes it): raise `REQUESTS` to 200 and use several `SEEDS` for
the figures of RESULTS.md ("Tenants and traces").
"""),
    ("code", """
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from mas_sim import SystemSpec, simulate
from mas_sim.workload.scenario import Scenario, build_workload

REQUESTS = 60
SEEDS = [100]
TARGETS = "0.95x2,0.8x3,0.6x3"
ARRIVALS = ["pareto", "azure-code-2023"]
POLICIES = ["fcfs-h", "edf-h", "edf-ac-h", "tenant-edf"]
system = SystemSpec.paper()
"""),
    ("md", """
How bursty are the arrivals? Inter-arrival gaps of 2,000 requests of each process, normalised
by their mean: Poisson has a coefficient of variation (CV) of 1, Pareto (shape 2) more, the
trace far more (long silences, then hundreds of requests within a second).
"""),
    ("code", """
fig, ax = plt.subplots(figsize=(8, 3.2))
for arrivals in ["poisson", "pareto", "azure-code-2023"]:
    wl = build_workload(system, Scenario(arrivals=arrivals, requests=2000, seed=1))
    gaps = np.diff([r.arrival for r in wl.requests])
    gaps = gaps / gaps.mean()
    ax.hist(np.log10(gaps + 1e-3), bins=60, histtype="step",
            label=f"{arrivals} (CV {gaps.std():.1f})")
ax.set_xlabel("log10(gap / mean gap)")
ax.set_ylabel("gaps")
ax.legend()
fig.tight_layout()
"""),
    ("md", "Run every scheduler on every arrival process, same tenants, same seeds:"),
    ("code", """
rows, hits = [], []
for arrivals in ARRIVALS:
    for seed in SEEDS:
        scenario = Scenario(arrivals=arrivals, requests=REQUESTS, seed=seed,
                            tenant_targets=TARGETS)
        workload = build_workload(system, scenario)
        for policy in POLICIES:
            r = simulate(system, workload, policy, seed=seed, trace=False)
            rows.append({"arrivals": arrivals, "seed": seed, "policy": policy,
                         "SLA": r.sla_satisfaction, "tenants met": r.tenants_met,
                         "worst hit/target": r.tenant_worst_ratio, "Jain": r.tenant_jain})
            for tenant, rate in r.tenant_hit_rate.items():
                hits.append({"arrivals": arrivals, "seed": seed, "policy": policy,
                             "tenant": int(tenant), "hit rate": rate,
                             "target": r.tenant_target[tenant]})
runs = pd.DataFrame(rows)
per_tenant = pd.DataFrame(hits)
runs.groupby(["arrivals", "policy"], sort=False).mean(numeric_only=True).drop(columns="seed")
"""),
    ("md", """
Per-tenant hit rate against its target (the black marks), for each scheduler, on Pareto and on
the replayed trace. A tenant meets its promise when its bar reaches its mark.
"""),
    ("code", """
fig, axes = plt.subplots(len(ARRIVALS), 1, figsize=(11, 3.4 * len(ARRIVALS)), sharey=True)
width = 0.8 / len(POLICIES)
for ax, arrivals in zip(np.atleast_1d(axes), ARRIVALS, strict=True):
    data = per_tenant[per_tenant["arrivals"] == arrivals]
    mean = data.groupby(["policy", "tenant"])["hit rate"].mean()
    target = data.groupby("tenant")["target"].first()
    for k, policy in enumerate(POLICIES):
        ax.bar(target.index + (k - (len(POLICIES) - 1) / 2) * width, mean[policy], width,
               label=policy)
    ax.scatter(target.index, target, marker="_", s=900, color="black", zorder=3,
               label="target")
    ax.set_xticks(target.index)
    ax.set_xticklabels([f"t{t}" for t in target.index])
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("hit rate")
    ax.set_title(f"{arrivals}: hit rate per tenant ({len(SEEDS)} seed(s), {REQUESTS} requests)")
axes_list = np.atleast_1d(axes)
axes_list[0].legend(ncol=len(POLICIES) + 1, fontsize="small", loc="lower left")
fig.tight_layout()
"""),
    ("md", """
The same runs summarised: how many of the 8 tenants met their target, the worst tenant's hit rate
over its target, and the overall SLA (fraction of all requests that met their deadline).
"""),
    ("code", """
summary = runs.groupby(["arrivals", "policy"], sort=False)[
    ["SLA", "tenants met", "worst hit/target", "Jain"]].mean()
summary.unstack("arrivals").round(3)
"""),
]


BATCHING = [
    ("md", """
# Batching: the throughput-latency trade-off

Adaptive batching puts per-model batch queues in front of the ready queue: a batching policy
decides when to close a batch and its size, and EDF-H schedules the batches' layers
(docs/modelling.md section 9). `mas-sim reproduce bcedge --quick` runs the full study and writes
`results/bcedge/`; this notebook reads `results/bcedge/runs.csv` if it is there, otherwise it
runs a **reduced** study itself (mixed workload, few requests, two loads, two seeds) so that it
always executes. Scale it up with `requests`, `loads` and `test_seeds` below.
"""),
    ("code", """
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from mas_sim.hardware import SystemSpec
from mas_sim.hardware.costmodel import layer_costs
from mas_sim.studies.bcedge import QUICK, reproduce_bcedge, smaller

OUT = Path("../results/bcedge")
if not (OUT / "summary.csv").exists():
    OUT = Path("results/bcedge")  # notebook run from the repository root
if (OUT / "summary.csv").exists():
    summary = pd.read_csv(OUT / "summary.csv")
    source = f"{OUT}/summary.csv"
else:
    config = smaller(QUICK, requests=12, loads=(0.5, 2.0), test_seeds=(200, 201),
                     validation_seeds=(300,), workloads=("mixed",))
    scratch = Path(tempfile.mkdtemp(prefix="batching_notebook_"))
    reproduce_bcedge(scratch, config, workers=1, progress=False)
    summary = pd.read_csv(scratch / "summary.csv")
    source = f"a reduced study run here ({config.requests} requests, loads {config.loads})"
print("data:", source)
"""),
    ("md", """
Why batching helps here at all: the cost of a batch per image. Compute-bound convolutions cost
the same per image; FC layers, bound at b = 1 by reading their weights, read them once per batch.
"""),
    ("code", """
sa = SystemSpec.paper().sub_accelerators[0]
sizes = [1, 2, 4, 8, 16, 32]
per_image = pd.DataFrame({b: {model: layer_costs(model, sa, batch=b).latency_cycles.sum() / b
                              for model in ("alexnet", "resnet50", "kws")} for b in sizes})
(per_image.div(per_image[1], axis=0)).round(3)  # per-image latency relative to b = 1
"""),
    ("md", "Throughput against p99 latency on mixed, one line per batching policy (loads rising)."),
    ("code", """
mixed = summary[summary["workload"] == "mixed"]
fig, ax = plt.subplots(figsize=(6, 4))
for policy in sorted(set(mixed["batching"])):
    thr = mixed[(mixed["batching"] == policy) & (mixed["metric"] == "throughput_per_s")]
    p99 = mixed[(mixed["batching"] == policy) & (mixed["metric"] == "latency_p99_s")]
    ax.plot(p99.sort_values("load")["mean"] * 1e3, thr.sort_values("load")["mean"], marker="o",
            label=policy)
ax.set_xlabel("p99 latency (ms)")
ax.set_ylabel("throughput (inferences/s)")
ax.legend(fontsize=7)
"""),
    ("md", "Utility (docs/modelling.md section 9.4) per load and policy: mean over seeds."),
    ("code", """
utility = mixed[mixed["metric"] == "utility"]
utility.pivot_table(index="load", columns="batching", values="mean").round(1)
"""),
]


NOTEBOOKS: dict[str, list[tuple[str, str]]] = {
    "02_gantt_explorer": GANTT,
    "03_reproduce_relmas": REPRODUCE,
    "04_what_if_hardware": WHAT_IF,
    "05_batching": BATCHING,
    "06_tenants_and_traces": TENANTS,
}
"""File stem -> cells. To add a notebook: a list of cells above and one entry here; charts show
inline (no ``matplotlib.use``), and CI executes every notebook with nbmake."""


def main() -> None:
    """Write every notebook of :data:`NOTEBOOKS` beside this script."""
    for name, cells in NOTEBOOKS.items():
        nbformat.write(notebook(cells), HERE / f"{name}.ipynb")


if __name__ == "__main__":
    main()
