"""Training BCEdge (``mas-sim train bcedge``): the interference predictor, then SAC on the
``mas_sim/Batching-v0`` environment with Stable-Baselines3.

Read top to bottom:

1. **Predictor.** The batching engine runs ``predictor_runs`` training workloads under the rule
   policies (Clipper, fixed 2/4/8, timeout, in turn) at the configured loads, recording every
   batch's features and latency (:class:`~policies.batching.predictor.Recorder`); the last run
   is held out to measure the predictor's error (``predictor_errors`` in the checkpoint).
2. **SAC.** Stable-Baselines3's SAC (MLP actor and critics of ``hidden`` x 2 units, automatic
   entropy tuning) learns on the environment with the predictor's veto on, for ``steps``
   decision windows. Training workloads use seeds ``10**6 x (1 + seed) + episode``; the
   validation seeds ``eval_seeds`` are never trained on.
3. **Evaluation and checkpoints.** Every ``eval_every`` steps the deterministic actor runs one
   episode per validation seed and its mean return (summed window utilities) goes to
   ``<out>.csv`` and the learning curve ``<out>.png``; the deployable checkpoint ``<out>``
   (actor, predictor, scales) and SB3's full state ``<out stem>.sb3.zip`` (for ``resume``) are
   written atomically; the best evaluation's checkpoint also goes to ``<out stem>.best.pt``.

CPU only, one thread.
"""

from __future__ import annotations

import csv
import io
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mas_sim.core.errors import CheckpointError, ConfigError, MissingExtraError, unknown_name
from mas_sim.core.files import atomic_path, atomic_write_text
from mas_sim.hardware import SystemSpec
from mas_sim.hardware.costmodel import batch_profiles
from mas_sim.sim.batching import BatchingSimulation
from mas_sim.sim.engine import EngineConfig
from mas_sim.workload import WORKLOAD_SETS
from policies.batching.bcedge import MAX_ACTION_BATCH
from policies.batching.checkpoint import load_checkpoint, save_checkpoint
from policies.batching.predictor import (
    InterferencePredictor,
    Recorder,
    Samples,
    SlowdownNet,
    concat,
    errors,
    fit,
)


@dataclass(frozen=True)
class TrainConfig:
    """What to train BCEdge on and for how long."""

    workload: str = "mixed"
    """Workload set: light, heavy or mixed."""
    requests: int = 100
    """Requests per training episode."""
    loads: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0)
    """Load factors an episode draws from."""
    steps: int = 4000
    """SAC environment steps (decision windows) in all (a resumed run counts those done)."""
    learning_starts: int = 400
    """Steps of random actions before SAC learns."""
    hidden: int = 64
    """Units of each of the two hidden layers of actor, critics and predictor."""
    seed: int = 0
    """Seeds networks, SAC's sampling and the training workloads."""
    eval_seeds: tuple[int, ...] = (100, 101)
    """Workload seeds of the validation episodes (never trained on)."""
    eval_every: int = 1000
    """Evaluate and save every this many steps, and after the last."""
    predictor_runs: int = 8
    """Simulated runs whose batches train the predictor (the last one is held out)."""
    out: str = "bcedge_mixed.pt"
    """Checkpoint path; the CSV, PNG and SB3 state go beside it."""
    resume: str | None = None
    """Checkpoint to continue from (its SB3 state ``<stem>.sb3.zip`` must sit beside it)."""

    def __post_init__(self) -> None:
        if self.workload not in WORKLOAD_SETS:
            raise ConfigError(unknown_name("workload", self.workload, WORKLOAD_SETS))
        for name in ("requests", "steps", "hidden", "eval_every", "predictor_runs"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} = {value!r}, expected a positive integer")
        if self.predictor_runs < 2:
            raise ConfigError(f"predictor_runs = {self.predictor_runs}, expected at least 2 "
                              "(one is held out)")
        if not self.eval_seeds:
            raise ConfigError("eval_seeds is empty, expected at least one seed")
        low, high = training_seed(self.seed, 0), training_seed(self.seed + 1, 0)
        if any(low <= s < high for s in self.eval_seeds):
            raise ConfigError("eval_seeds overlap the training seeds")
        if not self.loads or any(not x > 0 for x in self.loads):
            raise ConfigError(f"loads = {self.loads!r}, expected positive load factors")


def training_seed(seed: int, episode: int) -> int:
    """Workload seed of training episode ``episode``."""
    return 10**6 * (1 + seed) + episode


def _sb3() -> Any:
    try:
        import stable_baselines3
    except ImportError:  # pragma: no cover - depends on the installation
        raise MissingExtraError("training BCEdge", "sb3", "stable-baselines3") from None
    return stable_baselines3


def collect_predictor_data(config: TrainConfig, system: SystemSpec) -> tuple[Samples, Samples]:
    """(training, held-out) batch samples from runs of the rule policies."""
    from mas_sim.workload.scenario import Scenario, build_workload
    from policies.batching import make
    from policies.deadline import EdfH

    names = ("clipper", "fixed-2", "fixed-4", "fixed-8", "timeout")
    parts = []
    for i in range(config.predictor_runs):
        load = config.loads[i % len(config.loads)]
        wl = build_workload(system, Scenario(workload=config.workload, requests=config.requests,
                                             seed=training_seed(config.seed, 50_000 + i),
                                             load=load))
        recorder = Recorder(make(names[i % len(names)]))
        recorder.reset(system, tuple(sorted(wl.profiles)), i)
        BatchingSimulation(system, wl, EdfH(), recorder,  # type: ignore[arg-type]
                           batch_profiles(system), EngineConfig()).run()
        parts.append(recorder.samples())
    return concat(parts[:-1]), parts[-1]


def actor_state(model: Any) -> dict[str, torch.Tensor]:
    """SB3 SAC's actor (latent_pi, mu) as the state dict of :func:`checkpoint.mlp`."""
    actor = model.policy.actor
    state: dict[str, torch.Tensor] = {}
    linears = [m for m in actor.latent_pi if isinstance(m, torch.nn.Linear)]
    for i, lin in enumerate(linears):
        state[f"{2 * i}.weight"] = lin.weight.detach().clone()
        state[f"{2 * i}.bias"] = lin.bias.detach().clone()
    j = 2 * len(linears)
    state[f"{j}.weight"] = actor.mu.weight.detach().clone()
    state[f"{j}.bias"] = actor.mu.bias.detach().clone()
    return state


@dataclass
class TrainResult:
    """Where the checkpoints went and the learning curve."""

    checkpoint: Path
    best_checkpoint: Path
    history: list[dict[str, float]] = field(default_factory=list)
    predictor_errors: dict[str, float] = field(default_factory=dict)


def train(config: TrainConfig, *, system: SystemSpec | None = None,
          progress: bool = True) -> TrainResult:
    """Train BCEdge (module docstring)."""
    sb3 = _sb3()
    from policies.batching.env import BatchingEnv

    torch.set_num_threads(1)
    system = system or SystemSpec.paper()
    out = Path(config.out)
    sb3_path = out.with_suffix(".sb3.zip")
    if config.resume:
        ck = load_checkpoint(config.resume)
        resume_zip = Path(config.resume).with_suffix(".sb3.zip")
        if not resume_zip.is_file():
            raise CheckpointError(f"resume: {str(resume_zip)!r} (SB3's state) is missing")
        if ck.predictor is None:
            raise CheckpointError(f"resume: {config.resume!r} has no predictor")
        net = SlowdownNet(int(ck.predictor["inputs"]), int(ck.predictor["hidden"]))
        net.load_state_dict(ck.predictor["state_dict"])
        pred_errors = dict(ck.predictor_errors)
        history = list(ck.config.get("history", []))
    else:
        train_s, held = collect_predictor_data(config, system)
        net = fit(train_s, hidden=config.hidden, seed=config.seed)
        pred_errors = errors(net, held)
        history = []
    predictor = InterferencePredictor(net)

    env = BatchingEnv(system, config.workload, requests=config.requests, loads=config.loads,
                      predictor=predictor)
    episode = [0]
    base_reset = env.reset

    def seeded_reset(*, seed: int | None = None, options: Any = None) -> Any:
        episode[0] += 1
        return base_reset(seed=training_seed(config.seed, episode[0]) if seed is None else seed,
                          options=options)

    env.reset = seeded_reset  # type: ignore[method-assign]
    if config.resume:
        model = sb3.SAC.load(str(Path(config.resume).with_suffix(".sb3.zip")), env=env,
                             device="cpu")
    else:
        model = sb3.SAC("MlpPolicy", env, learning_starts=config.learning_starts,
                        batch_size=128, buffer_size=100_000, seed=config.seed, device="cpu",
                        policy_kwargs={"net_arch": [config.hidden, config.hidden]}, verbose=0)
    best = out.with_suffix(".best.pt")
    best_return = max((h["eval_return"] for h in history), default=-np.inf)
    start = time.perf_counter()

    def evaluate() -> float:
        eval_env = BatchingEnv(system, config.workload, requests=config.requests,
                               loads=config.loads, predictor=predictor)
        returns = []
        for seed in config.eval_seeds:
            obs, _ = eval_env.reset(seed=seed)
            total, done = 0.0, False
            while not done:
                action, _ = model.predict(obs, deterministic=True)
                obs, r, done, _, _ = eval_env.step(action)
                total += r
            returns.append(total)
        return float(np.mean(returns))

    def payload() -> dict[str, Any]:
        scales = [float(x) for x in env._budget]
        return {"workload": config.workload, "model_names": list(env.models),
                "num_sas": system.num_sas, "max_batch": MAX_ACTION_BATCH,
                "budget": scales,
                "actor": {"hidden": [config.hidden, config.hidden],
                          "state_dict": actor_state(model)},
                "predictor": {"inputs": net.inputs, "hidden": net.hidden,
                              "state_dict": net.state_dict()},
                "config": {**asdict(config), "history": history},
                "predictor_errors": pred_errors}

    from tqdm.auto import tqdm

    done_steps = int(model.num_timesteps)
    bar = tqdm(total=config.steps, initial=done_steps, unit="step", desc="training BCEdge",
               disable=None if progress else True)
    while done_steps < config.steps:
        chunk = min(config.eval_every, config.steps - done_steps)
        model.learn(total_timesteps=chunk, reset_num_timesteps=False)
        done_steps = int(model.num_timesteps)
        bar.update(chunk)
        ret = evaluate()
        history.append({"step": float(done_steps), "eval_return": ret,
                        "wall_s": time.perf_counter() - start})
        bar.set_postfix(eval_return=f"{ret:.2f}")
        save_checkpoint(out, payload())
        tmp = sb3_path.with_name(sb3_path.name + ".tmp.zip")
        model.save(str(tmp))
        os.replace(tmp, sb3_path)
        write_history(out.with_suffix(".csv"), history)
        plot_history(out.with_suffix(".png"), history)
        if ret > best_return:
            best_return = ret
            save_checkpoint(best, payload())
    bar.close()
    if not best.is_file():
        save_checkpoint(best, payload())
    return TrainResult(out, best, history, pred_errors)


def write_history(path: Path, history: list[dict[str, float]]) -> None:
    """The evaluation rows as CSV, atomically."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=["step", "eval_return", "wall_s"])
    writer.writeheader()
    writer.writerows(history)
    atomic_write_text(path, buf.getvalue())


def plot_history(path: Path, history: list[dict[str, float]]) -> None:
    """Learning curve (validation return per step) as a PNG, atomically."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot([h["step"] for h in history], [h["eval_return"] for h in history], marker="o")
    ax.set_xlabel("SAC steps (decision windows)")
    ax.set_ylabel("validation return (sum of window utilities)")
    ax.set_title("BCEdge learning curve")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
