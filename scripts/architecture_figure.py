"""Draw ``docs/figures/architecture.png``: mas-sim's layers and its data flow, side by side.

Left, the layers bottom to top, read from the import-linter contract in ``pyproject.toml`` (the
picture follows the contract CI enforces). Right, the data flow of one run, from the models to
the result tables. Run from the repository root::

    PYTHONPATH=. python scripts/architecture_figure.py [docs/figures/architecture.png]

Matplotlib only (Agg canvas, no pyplot state); the file is written atomically.
"""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from mas_sim.core.files import atomic_path

ROOT = Path(__file__).resolve().parent.parent

#: One line per layer: what it holds (keys are the contract's module names).
LAYER_NOTES = {
    "mas_sim.core": "errors, units, atomic files",
    "models": "the DNN zoo (networkx DAGs), torch.fx / ONNX import",
    "mas_sim.hardware": "SystemSpec, TOML, cost model, ModelProfile",
    "mas_sim.sim": "the SimPy kernel: engine, SAs, DRAM arbiter, view",
    "mas_sim.workload": "workload sets, Pareto arrivals, Scenario",
    "policies": "FCFS-H ... MAGMA, RELMAS (+ Gymnasium env)",
    "mas_sim.output": "table contract, Gantt, Chrome trace",
    "mas_sim.runs": "simulate / Result, monitors, metrics, sweeps, bound",
    "mas_sim.studies": "paper reproductions",
    "mas_sim.cli": "the mas-sim command",
}

#: The data flow of one run: (label, detail) boxes top to bottom.
FLOW = (
    ("models", "layer DAG: shapes, MACs, params"),
    ("hardware.costmodel", "latency, DRAM bandwidth, energy per (layer, SA)"),
    ("ModelProfile", "cost tables [L, M] of one model on the system"),
    ("workload", "requests: arrival, deadline = arrival + QoS x C_SP"),
    ("sim.engine", "ticks on k x Ts, SAs, DRAM arbiter"),
    ("monitors (runs)", "observer hooks: trace, jobs, usage"),
    ("metrics / output", "Result: SLA, ANTT, STP, energy; Gantt, traces"),
)


def contract_layers(pyproject: Path) -> list[str]:
    """The layers of the import-linter contract, top layer first."""
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    for contract in data["tool"]["importlinter"]["contracts"]:
        if contract.get("type") == "layers":
            return [str(name) for name in contract["layers"]]
    raise ValueError(f"{pyproject}: no 'layers' import-linter contract")


def _box(fig: Figure, x: float, y: float, w: float, h: float, title: str, note: str,
         colour: str) -> None:
    fig.patches.append(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.004",
                                      transform=fig.transFigure, facecolor=colour,
                                      edgecolor="#333333", linewidth=0.8))
    fig.text(x + 0.01, y + h * 0.62, title, fontsize=9.5, fontweight="bold", va="center",
             family="monospace")
    fig.text(x + 0.01, y + h * 0.26, note, fontsize=8, va="center", color="#333333")


def _arrow(fig: Figure, start: tuple[float, float], end: tuple[float, float], *,
           both: bool = False, colour: str = "#333333") -> None:
    fig.patches.append(FancyArrowPatch(start, end, transform=fig.transFigure,
                                       arrowstyle="<|-|>" if both else "-|>",
                                       mutation_scale=11, color=colour, linewidth=1.1))


def draw(layers: list[str]) -> Figure:
    """The figure: layers (left, bottom to top) and data flow (right, top to bottom)."""
    fig = Figure(figsize=(12.0, 7.2), dpi=110)
    FigureCanvasAgg(fig)
    fig.text(0.03, 0.955, "Layers (imports point down only; import-linter in CI)",
             fontsize=11, fontweight="bold")
    fig.text(0.55, 0.955, "Data flow of one run", fontsize=11, fontweight="bold")
    bottom_up = list(reversed(layers))
    n = len(bottom_up)
    top, foot, gap = 0.92, 0.05, 0.012
    h = (top - foot - gap * (n - 1)) / n
    kernel = {"mas_sim.sim"}
    for k, name in enumerate(bottom_up):
        y = foot + k * (h + gap)
        colour = "#f6d7a7" if name in kernel else ("#d7e8f6" if name == "policies"
                                                   else "#eeeeee")
        _box(fig, 0.03, y, 0.40, h, name, LAYER_NOTES.get(name, ""), colour)
    _arrow(fig, (0.455, top - 0.01), (0.455, foot + 0.01))
    fig.text(0.465, (top + foot) / 2, "may import", rotation=90, va="center", fontsize=8.5)
    m = len(FLOW)
    fh = (top - foot - gap * 2 * (m - 1)) / m
    x, w = 0.55, 0.26
    for k, (label, note) in enumerate(FLOW):
        y = top - (k + 1) * fh - k * 2 * gap
        colour = "#f6d7a7" if label == "sim.engine" else "#eeeeee"
        _box(fig, x, y, w, fh, label, note, colour)
        if k:
            _arrow(fig, (x + w / 2, y + fh + 2 * gap - 0.002), (x + w / 2, y + fh + 0.002))
    engine_y = top - 5 * fh - 4 * 2 * gap
    px = 0.87
    _box(fig, px, engine_y, 0.11, fh, "policies", "Policy.schedule", "#d7e8f6")
    mid = (x + w + px) / 2
    _arrow(fig, (x + w + 0.003, engine_y + fh / 2), (px - 0.003, engine_y + fh / 2), both=True)
    fig.text(mid, engine_y + fh / 2 + 0.012, "each tick:\nSchedulerView", fontsize=7,
             ha="center", va="bottom")
    fig.text(mid, engine_y + fh / 2 - 0.012, "Schedule", fontsize=7, ha="center", va="top")
    return fig


def main() -> None:
    """Draw the figure into the given path."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default=str(ROOT / "docs/figures/architecture.png"))
    args = parser.parse_args()
    fig = draw(contract_layers(ROOT / "pyproject.toml"))
    with atomic_path(args.out) as tmp:
        fig.savefig(tmp, format="png")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
