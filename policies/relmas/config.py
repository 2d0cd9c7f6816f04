"""What a RELMAS training run is: :class:`TrainConfig`, one dataclass with a docstring per field.

The command line (``mas-sim train relmas``) is generated from these fields and from those of
:class:`~policies.relmas.ddpg.DDPGConfig`, :class:`~policies.relmas.imitation.ImitationConfig`
and :class:`~policies.relmas.reward.RewardConfig`, so every default is written here once; named
recipes are in :mod:`.presets`. Seeds: training episode ``e`` of seed ``s`` plays the workload of
:func:`training_seed` ``10**6 x (1 + s) + e``, far from the small evaluation seeds, and a clash
between the two is refused.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from mas_sim.core.errors import ConfigError, unknown_name
from mas_sim.workload import QOS_LEVELS, WORKLOAD_SETS
from policies.relmas.ddpg import DDPGConfig
from policies.relmas.encoding import SA_TIMES, TIME_ENCODINGS
from policies.relmas.imitation import ImitationConfig
from policies.relmas.ppo import PPOConfig
from policies.relmas.reward import RewardConfig

#: The value of ``workload`` / ``qos`` that trains one policy for every set / level.
ANY = "any"

#: Time unit of the linear encoding, in scheduling periods: the zoo's layers then encode as
#: about 0.003 to 10 (a log encoding uses one period).
LINEAR_TIME_UNIT_PERIODS = 10.0

#: Stable-Baselines3 algorithms ``mas-sim train relmas --learner`` offers beside DDPG
#: (:mod:`.sb3`; their SB3 class names, lower case).
SB3_ALGORITHMS: tuple[str, ...] = ("ppo", "sac", "td3")

#: RELMAS's own learners (:attr:`TrainConfig.learner`): the paper's DDPG and, beyond the paper,
#: PPO with a discrete SA per sub-job (:mod:`.ppo`).
LEARNERS: tuple[str, ...] = ("ddpg", "relmas-ppo")

#: What may pick the best checkpoint (:attr:`TrainConfig.select_by`).
SELECT_BY: tuple[str, ...] = ("sla", "tenants")

#: Training seeds of the imitation rounds start here (DDPG episodes use 0, 1, ...).
IMITATION_SEED_OFFSET = 500_000


def training_seed(seed: int, episode: int) -> int:
    """Workload seed of training episode ``episode`` (disjoint from small evaluation seeds)."""
    return 10**6 * (1 + seed) + episode


@dataclass(frozen=True)
class TrainConfig:
    """What to train on, how, and for how long."""

    workload: str = "mixed"
    """Workload set: light, heavy or mixed; ``any`` trains a generalist (one policy for every
    set)."""
    qos: str = "medium"
    """QoS level: low, medium or high; ``any`` trains a generalist over the three levels."""
    hidden: int = 256
    """LSTM hidden size h of actor and critic (even: the FC layer has h/2 units)."""
    episodes: int = 100
    """Training episodes in all (a resumed run counts the episodes already done)."""
    requests: int = 100
    """Requests per training episode."""
    seed: int = 0
    """Seeds the networks, the noise, the sampling and the training workloads."""
    eval_seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    """Workload seeds of the held-out evaluation, which also picks the best checkpoint (never
    used for training; report final quality on other seeds)."""
    eval_requests: int = 200
    """Requests per evaluation run."""
    eval_every: int = 5
    """Evaluate (and save) every this many episodes, and after the last."""
    out: str = "relmas.pt"
    """Checkpoint path (the last state, resumable); the best-evaluated weights go to
    ``<stem>.best.pt``, the history to ``<stem>.csv`` and the learning curve to
    ``<stem>.png``."""
    resume: str | None = None
    """Checkpoint to continue from (its networks, optimizers and progress)."""
    init: str | None = None
    """Checkpoint whose actor, critic and encoder scales a new run starts from (fresh
    optimizers, progress and history): RL from an imitation student, e.g. a shipped file."""
    load: float | None = None
    """Load factor rho of the workloads (None: the scenario default)."""
    period: float | None = None
    """Scheduling period Ts, cycles (None: the scenario default)."""
    imitation: ImitationConfig | None = None
    """DAgger warm start on a heuristic (:mod:`.imitation`); None: pure DDPG, as the paper."""
    max_minutes: float | None = None
    """Stop (evaluate and save) once this much wall time has passed in this run, minutes."""
    time_encoding: str = "log"
    """Encoding of latencies and busy times, ``log`` or ``linear`` (:mod:`.encoding`)."""
    time_unit_periods: float | None = None
    """The encoder's time unit in scheduling periods (None: 1 for ``log``,
    :data:`LINEAR_TIME_UNIT_PERIODS` for ``linear``); ``log1p(t / unit)`` is linear below it."""
    sa_time: str = "latency"
    """Per-SA time features: ``latency`` (the paper) or ``planned_finish`` (EDF-AC-H's plan;
    beyond the paper, :mod:`.encoding`)."""
    tenant_targets: str | None = None
    """Hit-rate targets of the training and evaluation workloads' tenants, e.g.
    ``0.95x2,0.8x3,0.6x3`` (``Scenario.tenant_targets``); None: no targets (the views' tenant
    deficits stay 0)."""
    tenant_features: bool = False
    """Beyond the paper: each SJ's state row also holds its tenant's hit-rate deficit and target
    (F = 4 + 2M + 2, :mod:`.encoding`); pair it with ``reward.tenant_weight``."""
    select_by: str = "sla"
    """What picks the best checkpoint on the evaluation seeds: ``sla`` (SLA satisfaction) or
    ``tenants`` (tenants that met their hit-rate target, then SLA; needs ``tenant_targets``;
    the history's ``eval_sla`` column then holds that score)."""
    choose_deploy_cap: bool = False
    """After training, evaluate the best weights over the whole RQ and capped at ``ddpg.max_rq``
    on the evaluation seeds and record the better as the checkpoint's deployment default."""
    workers: int = 0
    """Rollout workers: 0 plays every episode in this process, tick by tick between updates
    (the paper's DDPG); N >= 1 plays episodes in N worker processes (:mod:`.collect`), in rounds
    of ``episodes_per_round`` episodes with the weights of the round's start, while this process
    learns. For given ``episodes_per_round`` the result does not depend on N."""
    episodes_per_round: int = 2
    """Episodes played per round with one snapshot of the weights (``workers`` >= 1)."""
    ray_address: str | None = None
    """Play the rounds on Ray actors instead of local processes: a cluster's address, or
    ``local`` for a Ray runtime on this machine (``workers`` actors)."""
    learner: str = "ddpg"
    """``ddpg`` (the paper) or ``relmas-ppo``: PPO on the same actor with a categorical SA and a
    Gaussian priority on the SJs that can start (beyond the paper, :mod:`.ppo`); it always plays
    in rounds (``workers`` 0: in this process), of which it learns after each."""
    ddpg: DDPGConfig = field(default_factory=DDPGConfig)
    """Learning hyper-parameters of DDPG (``ddpg.max_rq`` caps the states of both learners)."""
    ppo: PPOConfig = field(default_factory=PPOConfig)
    """Learning hyper-parameters of ``relmas-ppo``."""
    reward: RewardConfig = field(default_factory=RewardConfig)
    """Reward coefficients (the paper's by default)."""

    def __post_init__(self) -> None:
        for name in ("hidden", "episodes", "requests", "eval_requests", "eval_every",
                     "episodes_per_round"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} = {value!r}, expected a positive integer")
        for name in ("seed", "workers"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ConfigError(f"{name} = {value!r}, expected an integer >= 0")
        if self.workload != ANY and self.workload not in WORKLOAD_SETS:
            raise ConfigError(unknown_name("workload", self.workload, [*WORKLOAD_SETS, ANY]))
        if self.qos != ANY and self.qos not in QOS_LEVELS:
            raise ConfigError(unknown_name("QoS level", self.qos, [*QOS_LEVELS, ANY]))
        if self.time_encoding not in TIME_ENCODINGS:
            raise ConfigError(unknown_name("time encoding", self.time_encoding, TIME_ENCODINGS))
        if self.sa_time not in SA_TIMES:
            raise ConfigError(unknown_name("SA time feature", self.sa_time, SA_TIMES))
        if self.learner not in LEARNERS:
            raise ConfigError(unknown_name("learner", self.learner, LEARNERS))
        if self.select_by not in SELECT_BY:
            raise ConfigError(unknown_name("select_by", self.select_by, SELECT_BY))
        if self.select_by == "tenants" and self.tenant_targets is None:
            raise ConfigError("select_by = 'tenants' needs tenant_targets")
        for name in ("load", "period", "max_minutes", "time_unit_periods"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value > 0):
                raise ConfigError(f"{name} = {value!r}, expected a positive finite number")
        if self.hidden % 2:
            raise ConfigError(f"hidden = {self.hidden}, expected an even number (FC h/2)")
        if not self.eval_seeds:
            raise ConfigError("eval_seeds is empty, expected at least one seed")
        negative = [s for s in self.eval_seeds if s < 0]
        if negative:
            raise ConfigError(f"eval_seeds {negative}: expected seeds >= 0")
        clash = set(self.eval_seeds) & {training_seed(self.seed, e) for e in range(self.episodes)}
        if clash:
            raise ConfigError(f"eval_seeds {sorted(clash)} are also training seeds")

    def to_dict(self) -> dict[str, Any]:
        """Plain values (lists for tuples), as stored in the checkpoint."""
        d = asdict(self)
        d["eval_seeds"] = list(self.eval_seeds)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TrainConfig:
        """Inverse of :meth:`to_dict`. Keys this version does not know (options of older
        checkpoints, the recorded ``deploy_max_rq``) are ignored; missing ones take defaults."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in d.items() if k in known}
        if "eval_seeds" in values:
            values["eval_seeds"] = tuple(int(s) for s in values["eval_seeds"])
        for name, sub in (("ddpg", DDPGConfig), ("reward", RewardConfig),
                          ("imitation", ImitationConfig), ("ppo", PPOConfig)):
            if isinstance(values.get(name), Mapping):
                names = {f.name for f in fields(sub)}
                values[name] = sub(**{k: v for k, v in values[name].items() if k in names})
        return cls(**values)
