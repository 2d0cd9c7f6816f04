"""Checkpoints: round trip, the shipped-checkpoint lookup, and every refusal."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

import policies
from mas_sim.core.errors import CheckpointError, ConfigError
from mas_sim.hardware import SystemSpec
from policies.relmas import policy as policy_module
from policies.relmas.checkpoint import load_checkpoint, save_checkpoint, set_deploy_max_rq
from policies.relmas.encoding import Normalisation
from policies.relmas.networks import Actor, Critic
from policies.relmas.policy import Relmas, shipped_checkpoint
from policies.relmas.rollout import Episode
from tests.policies.relmas.relmas_scenarios import (
    PERIOD,
    random_workload,
    tiny_profiles,
    tiny_system,
)

NORM = Normalisation.for_profiles(tiny_profiles(), time_unit=PERIOD, dram_bandwidth=16.0)


def _save(path: Path, hidden: int = 16, num_sas: int = 2, seed: int = 0) -> tuple[Actor, Path]:
    torch.manual_seed(seed)
    f, g = 4 + 2 * num_sas, 1 + num_sas
    actor = Actor(f, g, hidden)
    save_checkpoint(path, actor=actor, critic=Critic(f, g, hidden), normalisation=NORM,
                    config={"hidden": hidden, "note": "test"})
    return actor, path


def test_round_trip_gives_identical_decisions(tmp_path: Path) -> None:
    actor, path = _save(tmp_path / "a.pt")
    assert [p.name for p in tmp_path.iterdir()] == ["a.pt"]  # no temporary file left behind
    loaded = Relmas(checkpoint=str(path))
    fresh = Relmas.from_actor(actor, NORM)
    system = tiny_system()
    loaded.reset(system, 0)
    ep = Episode(system, random_workload(5, 12), PERIOD)
    ticks = 0
    while not ep.done:
        view = ep.view
        assert view is not None
        a, b = loaded.schedule(view), fresh.schedule(view)
        np.testing.assert_array_equal(a.priority, b.priority)
        np.testing.assert_array_equal(a.sa, b.sa)
        ep.step(a)
        ticks += 1
    assert ticks > 3
    ckpt = load_checkpoint(path)
    assert (ckpt.hidden, ckpt.num_sas, ckpt.features, ckpt.actions) == (16, 2, 8, 3)
    assert ckpt.normalisation == NORM and ckpt.config["note"] == "test"
    assert loaded.max_rq is None  # no cap recorded in this checkpoint's config


def test_policy_uses_the_checkpoints_deployment_cap_unless_told_otherwise(
        tmp_path: Path) -> None:
    torch.manual_seed(0)
    path = tmp_path / "capped.pt"
    save_checkpoint(path, actor=Actor(8, 3, 16), critic=Critic(8, 3, 16), normalisation=NORM,
                    config={"ddpg": {"max_rq": 4}})
    assert Relmas(checkpoint=path).max_rq is None  # none recorded: the whole RQ, as the paper
    assert Relmas(checkpoint=path, max_rq="trained").max_rq == 4
    before = load_checkpoint(path)
    set_deploy_max_rq(path, 4)
    after = load_checkpoint(path)
    assert after.deploy_max_rq == 4 and Relmas(checkpoint=path).max_rq == 4
    assert after.config["ddpg"] == {"max_rq": 4}  # the rest of the checkpoint is kept
    for key, tensor in before.actor.items():
        assert torch.equal(tensor, after.actor[key])
    set_deploy_max_rq(path, None)
    assert Relmas(checkpoint=path).max_rq is None
    with pytest.raises(CheckpointError, match="deploy_max_rq = 0"):
        set_deploy_max_rq(path, 0)
    assert Relmas(checkpoint=path, max_rq=9).max_rq == 9
    with pytest.raises(ConfigError, match="max_rq = 'all'"):
        Relmas(checkpoint=path, max_rq="all")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="max_rq = 0"):
        Relmas(checkpoint=path, max_rq=0)


def test_registry_and_shipped_checkpoint_lookup(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(policy_module, "CHECKPOINT_DIR", tmp_path)
    with pytest.raises(CheckpointError, match=r"relmas_light_medium\.pt"):
        Relmas(workload="light", qos="medium")
    _save(tmp_path / "relmas_light_medium.pt")
    assert Relmas(workload="light").hidden == 16
    assert shipped_checkpoint("heavy", "high") == tmp_path / "relmas_heavy_high.pt"
    # Where no specialist exists: the QoS generalist of the workload, then the generalist.
    _save(tmp_path / "relmas_any_any.pt")
    assert shipped_checkpoint("heavy", "high") == tmp_path / "relmas_any_any.pt"
    _save(tmp_path / "relmas_heavy_any.pt")
    assert shipped_checkpoint("heavy", "high") == tmp_path / "relmas_heavy_any.pt"
    assert shipped_checkpoint("light", "medium") == tmp_path / "relmas_light_medium.pt"
    # A hidden size prefers its own file, else the default (which Relmas checks for the size).
    assert shipped_checkpoint("mixed", "medium", 128) == tmp_path / "relmas_any_any.pt"
    assert shipped_checkpoint("light", "medium", 16) == tmp_path / "relmas_light_medium.pt"
    _save(tmp_path / "relmas_light_medium_h16.pt")
    assert shipped_checkpoint("light", "medium", 16) == tmp_path / "relmas_light_medium_h16.pt"
    assert shipped_checkpoint("light", "medium") == tmp_path / "relmas_light_medium.pt"
    with pytest.raises(CheckpointError, match="hidden"):
        Relmas(workload="light", hidden=32)
    with pytest.raises(ConfigError, match="unknown workload 'huge'"):
        shipped_checkpoint("huge")
    with pytest.raises(ConfigError, match="unknown QoS level"):
        shipped_checkpoint("light", "extreme")
    if "relmas" in policies.available():  # once the lead registers it
        assert policies.make("relmas", checkpoint=str(tmp_path / "relmas_light_medium.pt"))


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="does not exist"):
        Relmas(checkpoint=str(tmp_path / "nope.pt"))


def test_garbage_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "garbage.pt"
    path.write_bytes(b"\x00\x01 not a torch file at all" * 10)
    with pytest.raises(CheckpointError, match="not a mas-sim RELMAS checkpoint"):
        load_checkpoint(path)


class _Evil:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (print, ("arbitrary code",))


def test_arbitrary_pickle_is_refused_without_running_it(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps({"format": "mas-sim-relmas", "x": _Evil()}))
    with pytest.raises(CheckpointError, match="not a mas-sim RELMAS checkpoint"):
        load_checkpoint(path)
    assert "arbitrary code" not in capsys.readouterr().out


def test_torch_file_that_is_not_a_checkpoint_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(3)}, path)
    with pytest.raises(CheckpointError, match="expected a dict with format 'mas-sim-relmas'"):
        load_checkpoint(path)
    torch.save([1, 2, 3], path)
    with pytest.raises(CheckpointError, match="not a mas-sim RELMAS checkpoint"):
        load_checkpoint(path)


def _edit(path: Path, **changes: object) -> Path:
    raw = torch.load(path, weights_only=True)
    raw.update(changes)
    torch.save(raw, path)
    return path


def test_wrong_number_of_sas_is_refused(tmp_path: Path) -> None:
    _, path = _save(tmp_path / "m2.pt")
    with pytest.raises(CheckpointError, match=r"trained for 2 SAs.*the system has 6"):
        load_checkpoint(path, num_sas=6)
    policy = Relmas(checkpoint=str(path))
    with pytest.raises(CheckpointError, match="trained for 2 SAs, the system has 6"):
        policy.reset(SystemSpec.paper())


def test_wrong_feature_count_is_refused(tmp_path: Path) -> None:
    _, path = _save(tmp_path / "f.pt")
    _edit(path, features=9)
    with pytest.raises(CheckpointError, match="9 features for 2 SAs, expected F = 4 \\+ 2M = 8"):
        load_checkpoint(path)


def test_weights_of_another_shape_are_refused(tmp_path: Path) -> None:
    _, path = _save(tmp_path / "h.pt", hidden=16)
    _edit(path, hidden=32)
    with pytest.raises(CheckpointError, match="weights do not match h = 32"):
        load_checkpoint(path)
    _, path = _save(tmp_path / "m.pt", num_sas=3)
    _edit(path, num_sas=2, features=8)
    with pytest.raises(CheckpointError, match="weights do not match"):
        load_checkpoint(path)


def test_hidden_mismatch_and_version_are_refused(tmp_path: Path) -> None:
    _, path = _save(tmp_path / "v.pt", hidden=16)
    with pytest.raises(CheckpointError, match="hidden size 16, expected 256"):
        Relmas(checkpoint=str(path), hidden=256)
    _edit(path, version=2)
    with pytest.raises(CheckpointError, match="version 2"):
        load_checkpoint(path)
    _edit(path, version=1, num_sas="six")
    with pytest.raises(CheckpointError, match="lacks a valid"):
        load_checkpoint(path)
