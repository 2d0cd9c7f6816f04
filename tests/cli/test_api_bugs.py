"""Bugs of issue 21 item 6 met through the API: the cost-model cache follows a re-registered
model, a Schedule built from lists runs, a PyTorch ONNX export with unsupported operators
says how to export it, and the results do not depend on PYTHONHASHSEED."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

import models
from mas_sim.core.errors import ModelError
from mas_sim.hardware import SystemSpec, costmodel
from mas_sim.runs.simulate import simulate
from mas_sim.sim.view import Schedule, SchedulerView
from mas_sim.workload.scenario import build_workload


def _scaled(name: str, factor: int) -> nx.DiGraph:
    graph = models.get("kws")
    for node in graph.nodes:
        graph.nodes[node]["macs"] = int(graph.nodes[node]["macs"]) * factor
    graph.graph["name"] = name
    return graph


def test_re_registering_a_model_recomputes_its_costs(paper_system: SystemSpec) -> None:
    name = "kws_resized_for_cache_test"
    try:
        models.register(name, _scaled(name, 1))
        before = costmodel.profile(name, paper_system).latency.sum()
        models.register(name, _scaled(name, 4), overwrite=True)
        after = costmodel.profile(name, paper_system).latency.sum()
        assert after > before  # four times the MACs: the old graph's costs are not reused
        models.unregister(name)
        models.register(name, _scaled(name, 1))
        assert costmodel.profile(name, paper_system).latency.sum() == before
    finally:
        if name in models.available():
            models.unregister(name)


class ListPolicy:
    """FCFS with its answer as Python lists."""

    name = "list-fcfs"

    def reset(self, system: SystemSpec, seed: int | None = None) -> None:
        self.m = system.num_sas

    def schedule(self, view: SchedulerView) -> Schedule:
        return Schedule(priority=[-float(a) for a in view.arrival.tolist()],  # type: ignore[arg-type]
                        sa=[i % self.m for i in range(view.size)])  # type: ignore[arg-type]


def test_a_schedule_built_from_lists_runs_like_one_of_arrays(paper_system: SystemSpec) -> None:
    wl = build_workload(paper_system, workload="light", requests=6, seed=1)
    result = simulate(paper_system, wl, ListPolicy(), seed=1)
    assert result.summary["met"] + result.summary["missed"] + result.summary["dropped"] == 6


def test_a_pytorch_onnx_export_with_unsupported_operators_hints_dynamo_false(
        tmp_path: Path) -> None:
    onnx = pytest.importorskip("onnx")
    helper = onnx.helper
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["c"], name="/conv/Conv"),
         helper.make_node("ReduceMean", ["c"], ["y"], name="node_mean", keepdims=1)],
        "g", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 3, 4, 4])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 1, 1, 1])],
        initializer=[onnx.numpy_helper.from_array(np.zeros((4, 3, 1, 1), np.float32), "w")])
    model = helper.make_model(graph, producer_name="pytorch",
                              opset_imports=[helper.make_opsetid("", 18)])
    path = tmp_path / "dynamo.onnx"
    onnx.save(model, str(path))
    with pytest.raises(ModelError, match=r"ReduceMean.*export with torch\.onnx\.export\(\.\.\., "
                                         r"dynamo=False"):
        models.from_onnx(path)


@pytest.mark.parametrize("command", [
    ["run", "--workload", "light", "--requests", "5", "--seed", "2", "--json", "{out}"],
    ["compare", "--policies", "fcfs-h,magma", "--policy-option", "magma.generations=2",
     "--policy-option", "magma.population=4", "--workload", "light", "--requests", "4",
     "--out", "{dir}"],
    ["sweep", "--grid", "policy=edf-h,llf-h;seed=1,2", "--workload", "light", "--requests", "4",
     "--workers", "1", "--out", "{out}"],
])
def test_outputs_do_not_depend_on_the_hash_seed(tmp_path: Path, command: list[str]) -> None:
    """Same seed, same bytes: across PYTHONHASHSEED values and across runs."""
    outputs = []
    for i, hash_seed in enumerate(("0", "1", "1")):
        where = tmp_path / str(i)
        where.mkdir()
        out = where / ("out.csv" if command[0] == "sweep" else "out.json")
        args = [a.format(out=out, dir=where) for a in command]
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run([sys.executable, "-m", "mas_sim", *args, "--no-progress"],
                              capture_output=True, text=True, env=env, check=False)
        assert done.returncode == 0, done.stderr
        files = sorted(p for p in where.iterdir() if p.suffix in (".csv", ".json"))
        outputs.append([_without_wall_times(p) for p in files])
    assert outputs[0] == outputs[1] == outputs[2]


def _without_wall_times(path: Path) -> str:
    import json

    import pandas as pd

    from mas_sim.runs.experiment import WALL_COLUMNS

    if path.suffix == ".csv":
        frame = pd.read_csv(path)
        return frame.drop(columns=[c for c in WALL_COLUMNS if c in frame.columns]).to_csv()
    payload = json.loads(path.read_text())
    runs = payload.get("runs", [payload])
    for run in runs:
        for column in WALL_COLUMNS:
            run.pop(column, None)
    return json.dumps(payload, sort_keys=True)
