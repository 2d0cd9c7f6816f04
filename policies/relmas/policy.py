"""The RELMAS policy (Blanco et al., DAC 2024): a trained LSTM actor schedules the whole RQ.

At each tick the deadline-sorted RQ is encoded (:mod:`.encoding`, primer row first) and run
through the actor in ONE LSTM call; each SJ gets priority = its first output and SA = the argmax
of its M scores. Deterministic (no exploration noise); CPU inference under
``torch.inference_mode``.

Scheduler energy. The paper runs each policy step on a Simba-Small SA;
:meth:`Relmas.decision_energy_pj` charges ``macs_per_step x (R + 1) x``
:func:`simba_small_pj_per_mac` per tick.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import torch

from mas_sim.core.errors import CheckpointError, ConfigError, unknown_name
from mas_sim.hardware import SystemSpec, simba_small
from mas_sim.sim.view import Schedule, SchedulerView
from mas_sim.workload import QOS_LEVELS, WORKLOAD_SETS
from policies.relmas.checkpoint import load_checkpoint
from policies.relmas.encoding import Normalisation, decode, encode
from policies.relmas.networks import Actor, macs_per_step

#: Folder of the shipped checkpoints: ``relmas_<workload>_<qos>.pt``, the default of a scenario
#: (any hidden size), and ``relmas_<workload>_<qos>_h<hidden>.pt``, checkpoints of one hidden
#: size (Fig. 5's study).
CHECKPOINT_DIR = Path(__file__).resolve().parent / "checkpoints"

#: Name part of a checkpoint trained on every workload set / QoS level (``--workload any``).
ANY = "any"


def shipped_checkpoint(workload: str = "mixed", qos: str = "medium",
                       hidden: int | None = None) -> Path:
    """Path of the shipped checkpoint for a scenario (it may not exist).

    The first file that exists of: the specialist ``relmas_<workload>_<qos>.pt``, the QoS
    generalist ``relmas_<workload>_any.pt``, the generalist ``relmas_any_any.pt``; the
    specialist's path when none does. A ``hidden`` size looks first for the same names with
    ``_h<hidden>`` (then the defaults, which :class:`Relmas` accepts only if they have that size).
    """
    if workload not in WORKLOAD_SETS:
        raise ConfigError(unknown_name("workload", workload, WORKLOAD_SETS))
    if qos not in QOS_LEVELS:
        raise ConfigError(unknown_name("QoS level", qos, QOS_LEVELS))
    suffixes = ([] if hidden is None else [f"_h{hidden}"]) + [""]
    candidates = [CHECKPOINT_DIR / f"relmas_{w}_{q}{suffix}.pt" for suffix in suffixes
                  for w, q in ((workload, qos), (workload, ANY), (ANY, ANY))]
    return next((p for p in candidates if p.is_file()), candidates[0])


def simba_small_pj_per_mac() -> float:
    """Energy of one policy MAC on a Simba-Small SA, pJ: an 8-bit MAC plus one read of its
    (stationary) weight from the 24 KiB PE buffer, with the cost model's per-access energies
    (:mod:`mas_sim.hardware.costmodel.energy`; 0.5 + 1.85 = 2.35 pJ). Activations are broadcast and
    amortised over the PE's vector; the h = 256 LSTM's 8-bit weights (about 0.3 MB) fit the
    16 PEs' 384 KiB of buffers, so no DRAM traffic is charged."""
    from mas_sim.hardware.costmodel.energy import E_MAC_PJ, sram_pj_per_byte

    return E_MAC_PJ + sram_pj_per_byte(simba_small().pe_buffer_bytes)


class Relmas:
    """RELMAS as a :class:`~mas_sim.sim.view.Policy`.

    ``checkpoint``: a file saved by the trainer; None picks the shipped checkpoint of
    ``workload`` / ``qos`` (defaults mixed / medium). ``hidden``: None accepts the checkpoint's
    hidden size, a number requires it (and selects the shipped file). ``max_rq``: the actor sees
    the first ``max_rq`` SJs of the RQ and the rest get the tail rule
    (:func:`~policies.relmas.encoding.tail_schedule`); None runs the actor over the whole RQ,
    as the paper; ``"checkpoint"`` (default) uses the checkpoint's ``deploy_max_rq`` (chosen on
    validation seeds; None when absent); ``"trained"`` the cap its states were trained with.
    Why a choice: the LSTM carries over to longer queues than it was trained on, which pays on
    light / QoS-Medium (RQs of hundreds of SJs) and on mixed with planned-finish features, while
    the paper-feature mixed checkpoints lose nothing capped, where the uncapped LSTM costs time
    and energy in proportion to the queue (figures: RESULTS.md section 9).

    ``threads``: torch's intra-op threads for inference, set for the whole process when the
    policy is made (default 1: a tick's LSTM is small, and more threads only make it wait for
    cores a busy machine does not have; RESULTS.md section 10); None leaves torch's own setting
    (``OMP_NUM_THREADS``, or every core).
    """

    name = "relmas"

    def __init__(self, checkpoint: str | Path | None = None, hidden: int | None = None,
                 workload: str | None = None, qos: str | None = None, device: str = "cpu",
                 max_rq: int | Literal["checkpoint", "trained"] | None = "checkpoint",
                 threads: int | None = 1) -> None:
        path = checkpoint if checkpoint is not None else shipped_checkpoint(
            workload or "mixed", qos or "medium", hidden)
        if checkpoint is None and not Path(path).is_file():
            raise CheckpointError(f"no shipped RELMAS checkpoint {str(path)!r}; train one with "
                                  "`mas-sim train relmas ... --out FILE` and pass checkpoint=FILE")
        ckpt = load_checkpoint(path, hidden=hidden)
        self.checkpoint = Path(path)
        if max_rq == "checkpoint":
            max_rq = ckpt.deploy_max_rq
        elif max_rq == "trained":
            ddpg = ckpt.config.get("ddpg", {})
            trained = ddpg.get("max_rq") if isinstance(ddpg, dict) else None
            max_rq = int(trained) if trained is not None else None
        elif isinstance(max_rq, str):
            raise ConfigError(f"max_rq = {max_rq!r}, expected a positive integer, None, "
                              "'checkpoint' or 'trained'")
        self._setup(ckpt.build_actor(), ckpt.normalisation, ckpt.num_sas, device, max_rq,
                    threads)

    @classmethod
    def from_actor(cls, actor: Actor, normalisation: Normalisation, *, device: str = "cpu",
                   max_rq: int | None = None, threads: int | None = 1) -> Relmas:
        """A policy around an in-memory actor (the trainer's evaluations); shares its weights."""
        self = cls.__new__(cls)
        self.checkpoint = None  # type: ignore[assignment]
        self._setup(actor, normalisation, actor.actions - 1, device, max_rq, threads)
        return self

    def _setup(self, actor: Actor, norm: Normalisation, num_sas: int, device: str,
               max_rq: int | None, threads: int | None) -> None:
        if max_rq is not None and max_rq < 1:
            raise ConfigError(f"max_rq = {max_rq!r}, expected a positive integer or None")
        if threads is not None and not (isinstance(threads, int) and threads >= 1):
            raise ConfigError(f"threads = {threads!r}, expected a positive integer or None")
        # torch's thread count is the process's: set it once, here (changing it per call costs
        # far more than the inference). One thread is the fastest for a tick's small LSTM on a
        # machine doing other work; by default torch takes every core and oversubscribes it.
        if threads is not None and torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        self.device = torch.device(device)
        self.actor = actor.to(self.device).eval()
        self.normalisation = norm
        self.num_sas = num_sas
        self.max_rq = max_rq
        self.hidden = actor.hidden
        self.macs_per_step = macs_per_step(actor.hidden, actor.features, actor.actions)
        self._codes_for: tuple[str, ...] | None = None
        self._codes = np.zeros(0)

    # -- Policy protocol -------------------------------------------------------------------------
    def reset(self, system: SystemSpec, seed: int | None = None) -> None:
        """Check that the system has the SA count the actor was trained for (no randomness)."""
        if system.num_sas != self.num_sas:
            raise CheckpointError(f"RELMAS actor was trained for {self.num_sas} SAs, the system "
                                  f"has {system.num_sas}")

    def schedule(self, view: SchedulerView) -> Schedule:
        """One actor pass over the encoded RQ: priority = output 0, SA = argmax of the scores."""
        if view.num_sas != self.num_sas:
            raise CheckpointError(f"RELMAS actor was trained for {self.num_sas} SAs, the view "
                                  f"has {view.num_sas}")
        if view.model_names != self._codes_for:
            self._codes = self.normalisation.model_codes(view.model_names)
            self._codes_for = view.model_names
        x = encode(view, self.normalisation, max_rq=self.max_rq, model_codes=self._codes)
        with torch.inference_mode():
            out = self.actor(torch.from_numpy(x).to(self.device)[None])[0, 1:].cpu().numpy()
        priority, sa = decode(out, view)
        return Schedule(priority, sa)

    # -- overhead --------------------------------------------------------------------------------
    def decision_energy_pj(self, rq_size: int) -> float:
        """Energy of one tick's decision on a Simba-Small SA, pJ: MACs per step x (R + 1 steps,
        the primer included) x :func:`simba_small_pj_per_mac`."""
        steps = rq_size + 1 if self.max_rq is None else min(rq_size, self.max_rq) + 1
        return float(self.macs_per_step * steps * simba_small_pj_per_mac())
