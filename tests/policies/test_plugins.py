"""Users' models and policies: entry points of installed packages, and ``--plugin`` modules."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import models
import policies
from mas_sim import SystemSpec, simulate
from mas_sim.core.errors import ConfigError, ModelError, PolicyError
from mas_sim.core.plugins import load_plugin
from mas_sim.workload.scenario import Scenario, build_workload

PLUGIN = textwrap.dedent('''
    import models
    from models.builder import GraphBuilder
    from policies.fcfs import FcfsH


    def tiny():
        b = GraphBuilder("tiny", (3, 32, 32))
        x = b.conv("c1", b.input, 16, 3, stride=1, padding=1)
        b.fc("fc", x, 10)
        return b.graph


    class Backwards(FcfsH):
        name = "backwards"


    def broken():
        raise RuntimeError("no weights here")
''')


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fake installed package declaring one model and one policy entry point (and a broken
    model)."""
    (tmp_path / "fake_plugin.py").write_text(PLUGIN)
    info = tmp_path / "fake_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[mas_sim.models]\ntiny = fake_plugin:tiny\nbroken = fake_plugin:broken\n\n"
        "[mas_sim.policies]\nbackwards = fake_plugin:Backwards\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    models.registry.plugin_models.cache_clear()
    policies.plugin_policies.cache_clear()
    yield tmp_path
    models.registry.plugin_models.cache_clear()
    policies.plugin_policies.cache_clear()
    models.registry._built.pop("tiny", None)
    sys.modules.pop("fake_plugin", None)


def test_entry_points_make_models_and_policies_available(installed: Path,
                                                         paper_system: SystemSpec) -> None:
    assert "tiny" in models.available() and "backwards" in policies.available()
    assert models.get("tiny").number_of_nodes() == 2
    with pytest.warns(UserWarning, match="model 'tiny': isolated latency"):
        wl = build_workload(paper_system, Scenario(requests=4, models="tiny:1,kws:1",
                                                   period=20_000.0))
    result = simulate(paper_system, wl, "backwards", period=20_000.0)
    assert result.policy == "backwards" and set(result.jobs["model"]) <= {"tiny", "kws"}


def test_a_broken_entry_point_is_a_user_error(installed: Path) -> None:
    with pytest.raises(ModelError, match=r"model 'broken' .* failed to load: RuntimeError: "
                                         r"no weights here"):
        models.get("broken")


def test_plugin_module_by_file(tmp_path: Path) -> None:
    path = tmp_path / "my_policies.py"
    path.write_text("import policies\nfrom policies.fcfs import FcfsH\n"
                    "policies.register('fcfs-copy', FcfsH, overwrite=True)\n")
    load_plugin(str(path))
    assert "fcfs-copy" in policies.available()
    policies._USER.pop("fcfs-copy")


@pytest.mark.parametrize(("spec", "message"), [
    ("no_such_module_xyz", "--plugin 'no_such_module_xyz': no module named 'no_such_module_xyz'"),
    ("missing.py", "--plugin 'missing.py': no such file"),
])
def test_bad_plugins(spec: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_plugin(spec)
    assert str(info.value).startswith(message)


def test_a_plugin_that_raises(tmp_path: Path) -> None:
    path = tmp_path / "bad.py"
    path.write_text("raise ValueError('oops')\n")
    with pytest.raises(ConfigError, match=r"--plugin '.*bad\.py' failed to import: ValueError: "
                                          "oops"):
        load_plugin(str(path))
    with pytest.raises(PolicyError, match="unknown policy 'nope'"):
        policies.make("nope")
