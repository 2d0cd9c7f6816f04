"""Named recipes: each preset of a shipped checkpoint is the recipe recorded in that file."""

from __future__ import annotations

from typing import Any

import pytest

from mas_sim.core.errors import ConfigError
from policies.relmas.checkpoint import load_checkpoint
from policies.relmas.config import TrainConfig
from policies.relmas.policy import CHECKPOINT_DIR
from policies.relmas.presets import PRESETS, preset

#: Recorded keys that are not part of a recipe: where the file went, and the cap chosen after.
_NOT_RECIPE = {"out", "resume", "deploy_max_rq"}


def _recorded(d: dict[str, Any]) -> dict[str, Any]:
    """The recorded recipe."""
    return {k: v for k, v in d.items() if k not in _NOT_RECIPE}


@pytest.mark.parametrize("name", [n for n, p in PRESETS.items() if p.checkpoint])
def test_the_preset_reproduces_its_shipped_checkpoints_recipe(name: str) -> None:
    p = PRESETS[name]
    stored = dict(load_checkpoint(CHECKPOINT_DIR / str(p.checkpoint)).config)
    mine = p.config.to_dict()
    for key, value in _recorded(stored).items():
        if key == "imitation" and "episodes_per_round" in value:
            # relmas_mixed_medium_h256.pt predates states_per_round: compare the rest.
            value = {k: v for k, v in value.items() if k != "episodes_per_round"}
            mine_value = {k: v for k, v in mine[key].items() if k in value}
        elif isinstance(value, dict):
            mine_value = {k: v for k, v in mine[key].items() if k in value}
            # Sub-options newer than the file sit at their defaults (what it was trained with).
            default = TrainConfig().to_dict()[key]
            for sub in set(mine[key]) - set(value) - {"ready_weight"}:
                assert mine[key][sub] == default[sub], (key, sub)
        else:
            mine_value = mine[key]
        assert mine_value == value, (name, key)
    # Options newer than the file must sit at the value the file was trained with.
    for key in set(mine) - set(stored):
        assert mine[key] == TrainConfig().to_dict()[key] or key == "choose_deploy_cap", key
    if "imitation" in stored and "ready_weight" not in stored["imitation"]:
        assert mine["imitation"]["ready_weight"] == 1.0  # equal weights before the option


def test_the_stored_configs_load_as_train_configs() -> None:
    for p in PRESETS.values():
        assert TrainConfig.from_dict(p.config.to_dict()) == p.config
        if p.checkpoint:
            TrainConfig.from_dict(load_checkpoint(CHECKPOINT_DIR / p.checkpoint).config)


def test_paper_is_ddpg_alone_and_an_unknown_preset_is_named() -> None:
    assert preset("paper").config.imitation is None
    with pytest.raises(ConfigError, match=r"unknown preset 'fast' \(known: .*heavy"):
        preset("fast")
