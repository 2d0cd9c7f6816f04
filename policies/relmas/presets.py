"""Named training recipes: ``mas-sim train relmas --preset NAME`` (options given beside it win).

Each preset is a whole :class:`~policies.relmas.config.TrainConfig`. Those with a ``checkpoint``
are the recipes of the shipped checkpoints (``policies/relmas/checkpoints/``), as recorded in
the checkpoints themselves (a test compares them): a DAgger warm start on a heuristic teacher,
then DDPG fine-tuning with a small actor learning rate after 300 critic-only update rounds,
states capped at the 64 most urgent SJs, the best of the validation seeds 100-104 kept and its
deployment cap chosen on the same seeds. ``paper`` is DDPG alone, as the paper trains.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from mas_sim.core.errors import ConfigError, unknown_name
from policies.relmas.config import TrainConfig
from policies.relmas.ddpg import DDPGConfig
from policies.relmas.imitation import ImitationConfig
from policies.relmas.reward import RewardConfig


@dataclass(frozen=True)
class Preset:
    """A named recipe."""

    name: str
    description: str
    """One line for ``--help``."""
    config: TrainConfig
    checkpoint: str | None = None
    """The shipped checkpoint it reproduces (file name in ``policies/relmas/checkpoints``)."""


#: What the imitation recipes share (``scripts/train_relmas.py``'s defaults since session 3).
_IMITATION = TrainConfig(
    episodes=1000, requests=60, eval_seeds=tuple(range(100, 105)), eval_requests=100,
    eval_every=3, max_minutes=20.0, choose_deploy_cap=True,
    imitation=ImitationConfig(teacher="edf-ac-h", rounds=6, states_per_round=5000, epochs=2),
    ddpg=DDPGConfig(max_rq=64, update_every=8, batch_size=32, actor_lr=1e-5, critic_warmup=300))

#: The Fig. 5 sizes imitate EDF-H with the paper's features and equal SA weights (they predate
#: ``ready_weight``).
_EDF_H = replace(_IMITATION, imitation=replace(_IMITATION.imitation or ImitationConfig(),
                                               teacher="edf-h", ready_weight=1.0))

PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset("paper", "DDPG alone, no teacher, the paper's features (the TrainConfig defaults)",
           TrainConfig()),
    Preset("light-linear", "EDF-AC-H student on light, latencies encoded linearly",
           replace(_IMITATION, workload="light", time_encoding="linear", max_minutes=16.0),
           "relmas_light_medium.pt"),
    Preset("heavy", "EDF-AC-H student on heavy, the paper's features",
           replace(_IMITATION, workload="heavy", max_minutes=16.0), "relmas_heavy_medium.pt"),
    Preset("generalist", "EDF-AC-H student on every workload set and QoS level",
           replace(_IMITATION, workload="any", qos="any", eval_seeds=tuple(range(100, 109)),
                   max_minutes=22.0), "relmas_any_any.pt"),
    Preset("mixed-planned-finish",
           "EDF-AC-H student on mixed, h = 128, planned-finish SA features (beyond the paper)",
           replace(_IMITATION, hidden=128, requests=100, seed=1, max_minutes=50.0,
                   sa_time="planned_finish",
                   imitation=ImitationConfig(teacher="edf-ac-h", rounds=10,
                                             states_per_round=8000, epochs=4,
                                             max_states=60_000)),
           "relmas_mixed_medium.pt"),
    Preset("mixed-tenants",
           "tenant-EDF student on mixed with 8 tenants' hit-rate targets, h = 128, tenant "
           "features and tenant-EDF's planned finishes (issue 18; not a default checkpoint)",
           replace(_IMITATION, hidden=128, requests=100, seed=1, eval_requests=200,
                   max_minutes=60.0, sa_time="tenant_plan", tenant_targets="0.95x2,0.8x3,0.6x3",
                   tenant_features=True, select_by="tenants",
                   imitation=ImitationConfig(teacher="tenant-edf", rounds=6,
                                             states_per_round=5000, epochs=2,
                                             max_states=60_000),
                   reward=RewardConfig(tenant_weight=2.0)),
           "relmas_mixed_medium_tenants.pt"),
    Preset("mixed-h64", "EDF-H student on mixed, h = 64, the paper's features (Fig. 5)",
           replace(_EDF_H, hidden=64, max_minutes=7.0), "relmas_mixed_medium_h64.pt"),
    Preset("mixed-h128", "EDF-H student on mixed, h = 128, the paper's features (Fig. 5)",
           replace(_EDF_H, hidden=128, max_minutes=9.0), "relmas_mixed_medium_h128.pt"),
    Preset("mixed-h256", "EDF-H student on mixed, h = 256, the paper's features (Fig. 5; its "
                         "DAgger rounds were two episodes each, an option since replaced)",
           replace(_EDF_H, max_minutes=16.0), "relmas_mixed_medium_h256.pt"),
)}


def preset(name: str) -> Preset:
    """The preset called ``name``."""
    if name not in PRESETS:
        raise ConfigError(unknown_name("preset", name, PRESETS))
    return PRESETS[name]
