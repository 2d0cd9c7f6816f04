"""``mas-sim train relmas``: train a RELMAS scheduler (needs torch; see policies.relmas).

The options are generated from the dataclass configs (:mod:`mas_sim.cli.config_options`): one
per field of :class:`~policies.relmas.config.TrainConfig` (bar ``period``, given in us as
``--period-us``, and ``imitation``), of :class:`~policies.relmas.ddpg.DDPGConfig` (no prefix),
:class:`~policies.relmas.imitation.ImitationConfig` (``--imitation-*``; ``--imitate TEACHER``
turns the warm start on) and :class:`~policies.relmas.reward.RewardConfig` (``--reward-*``).
The base they apply to is, first found: ``--preset NAME`` (:mod:`policies.relmas.presets`), the
configuration stored in the ``--resume`` checkpoint, the dataclasses' defaults.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from mas_sim.cli.config_options import add_config_options, given_values, replace_given
from mas_sim.core.errors import ConfigError
from mas_sim.core.files import check_writable

#: Fields of TrainConfig with a hand-written option (or none).
_CUSTOM = ("period", "imitation", "ddpg", "reward", "learner", "ppo")


def add_parser(sub: Any) -> None:
    """Register ``train relmas`` and ``train bcedge``."""
    t = sub.add_parser("train", help="train a learning scheduler (relmas, bcedge)",
                       description="Train a learning scheduler.")
    algorithms = t.add_subparsers(dest="algorithm", required=True, metavar="ALGORITHM")
    p = algorithms.add_parser(
        "relmas", help="RELMAS (DDPG + LSTM) layer scheduler",
        description="Train RELMAS (DDPG + LSTM) on a scenario. Every option defaults to the "
                    "dataclass value shown, or to the --preset's value, or, with --resume and "
                    "no --preset, to the resumed run's value.")
    p.set_defaults(handler=main)
    b = algorithms.add_parser(
        "bcedge", help="BCEdge (SAC) batching policy",
        description="Train BCEdge's interference predictor and its SAC agent (Stable-Baselines3, "
                    "extra 'sb3') on the batching environment. Every option defaults to the "
                    "dataclass value shown.")
    b.set_defaults(handler=main_bcedge)
    b.add_argument("--no-progress", action="store_true", help="no progress bar")
    try:
        from policies.batching.train import TrainConfig as BCEdgeConfig

        add_config_options(b, BCEdgeConfig, skip=("loads",))
        add_train_arguments(p)
    except ImportError:  # torch missing: `train` then says so when run
        return


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``mas-sim train relmas`` (module docstring)."""
    from policies.relmas.config import LEARNERS, SB3_ALGORITHMS, TrainConfig
    from policies.relmas.ddpg import DDPGConfig
    from policies.relmas.imitation import ImitationConfig
    from policies.relmas.ppo import PPOConfig
    from policies.relmas.presets import PRESETS
    from policies.relmas.reward import RewardConfig

    names = ", ".join(f"{p.name} ({p.description})" for p in PRESETS.values())
    parser.add_argument("--preset", default=None, metavar="NAME", choices=sorted(PRESETS),
                        help=f"start from a named recipe: {names}")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--learner", default=argparse.SUPPRESS,
                        choices=(*LEARNERS, *SB3_ALGORITHMS),
                        help="ddpg: RELMAS's (the default); relmas-ppo: PPO on RELMAS's actor with "
                             "a discrete SA per sub-job (beyond the paper; --ppo-* options); ppo, "
                             "sac, td3: Stable-Baselines3's on the Gymnasium env with the same "
                             "scenario, seeds, evaluation and budget (extra sb3; writes "
                             "<stem>.csv and the model <stem>.zip)")
    add_config_options(parser, TrainConfig, skip=_CUSTOM)
    parser.add_argument("--period-us", type=float, default=argparse.SUPPRESS, metavar="X",
                        help="scheduling period Ts in us (default: the scenario's)")
    g = parser.add_argument_group("DDPG")
    add_config_options(g, DDPGConfig, dest_prefix="ddpg_")
    g = parser.add_argument_group("PPO (--learner relmas-ppo, beyond the paper)")
    add_config_options(g, PPOConfig, flag_prefix="ppo-", dest_prefix="ppo_")
    g = parser.add_argument_group("imitation warm start (beyond the paper)")
    g.add_argument("--imitate", default=argparse.SUPPRESS, metavar="POLICY",
                   help="imitate this heuristic by DAgger first (e.g. edf-ac-h); none: no warm "
                        "start")
    add_config_options(g, ImitationConfig, flag_prefix="imitation-", dest_prefix="imitation_",
                       skip=("teacher",))
    g = parser.add_argument_group("reward")
    add_config_options(g, RewardConfig, flag_prefix="reward-", dest_prefix="reward_")


def config_from_args(args: argparse.Namespace) -> Any:
    """The :class:`~policies.relmas.config.TrainConfig` of parsed options (module docstring)."""
    from policies.relmas.config import LEARNERS, TrainConfig
    from policies.relmas.imitation import ImitationConfig
    from policies.relmas.presets import preset

    if args.preset is not None:
        base = preset(args.preset).config
    elif getattr(args, "resume", None) is not None:
        from policies.relmas.checkpoint import load_checkpoint

        base = TrainConfig.from_dict(load_checkpoint(args.resume).config)
        base = replace(base, out=args.resume)  # continue in place unless --out says otherwise
    else:
        base = TrainConfig()
    extra: dict[str, Any] = {}
    if hasattr(args, "period_us"):
        if not args.period_us > 0:
            raise ConfigError(f"--period-us = {args.period_us!r}, expected a positive number")
        extra["period"] = args.period_us * 1000.0
    extra["ddpg"] = replace_given(base.ddpg, args, dest_prefix="ddpg_")
    extra["reward"] = replace_given(base.reward, args, dest_prefix="reward_")
    extra["ppo"] = replace_given(base.ppo, args, dest_prefix="ppo_")
    learner = getattr(args, "learner", base.learner)
    extra["learner"] = learner if learner in LEARNERS else base.learner
    extra["imitation"] = _imitation(base.imitation, args, ImitationConfig)
    return replace_given(base, args, skip=_CUSTOM, extra=extra)


def _imitation(base: Any, args: argparse.Namespace, cls: type) -> Any:
    given = given_values(args, cls, dest_prefix="imitation_", skip=("teacher",))
    teacher = getattr(args, "imitate", None)
    if teacher is not None and teacher.lower() == "none":
        return None
    if teacher is not None:
        return replace(base or cls(), teacher=teacher, **given)
    if base is None:
        if given:
            flags = ", ".join("--imitation-" + k.replace("_", "-") for k in given)
            raise ConfigError(f"{flags} given without --imitate POLICY (no warm start)")
        return None
    return replace(base, **given)


def main_bcedge(args: argparse.Namespace) -> int:
    """Train BCEdge; print where the checkpoints went; exit code 0."""
    from policies.batching.train import TrainConfig as BCEdgeConfig
    from policies.batching.train import train as train_bcedge

    config = replace_given(BCEdgeConfig(), args)
    check_writable(config.out)
    result = train_bcedge(config, progress=not args.no_progress)
    errs = result.predictor_errors
    print(f"saved {result.checkpoint} (resumable with --resume) and {result.best_checkpoint} "
          f"(best validation return); predictor median error "
          f"{errs.get('median_rel_error', float('nan')):.1%}", file=sys.stderr)
    return 0


def main(args: argparse.Namespace) -> int:
    """Train; print where the last state and the best weights went; exit code 0."""
    from policies.relmas.config import SB3_ALGORITHMS
    from policies.relmas.train import train

    config = config_from_args(args)
    check_writable(config.out)
    if getattr(args, "learner", None) in SB3_ALGORITHMS:
        return _train_sb3(args.learner, config)
    result = train(config, progress=not args.no_progress)
    done = int(result.history[-1]["episode"]) if result.history else 0
    line = f"saved {result.checkpoint} (last state, episode {done}, resumable with --resume)"
    if result.best_checkpoint is not None:
        line += (f" and {result.best_checkpoint} (best eval SLA {result.best_eval_sla:.3f}, "
                 f"episode {result.best_episode})")
    print(line, file=sys.stderr)
    return 0


def _train_sb3(algorithm: str, config: Any) -> int:
    from policies.relmas.sb3 import train_sb3

    out = Path(config.out)
    result = train_sb3(algorithm, config, out=out.with_suffix(".csv"))
    result.model.save(out.with_suffix(".zip"))
    print(f"saved {out.with_suffix('.zip')} and {out.with_suffix('.csv')} (best eval SLA "
          f"{result.best_eval_sla:.3f})", file=sys.stderr)
    return 0
