"""BCEdge-like adaptive batching: SAC picks each model's batch size and concurrency per decision
window; an interference predictor vetoes batches it predicts to miss their SLO.

BCEdge (Zhang et al., arXiv 2305.01519) publishes no formulas; what follows is this project's
design (docs/modelling.md section 9.3 says why):

- **Decision window**: :data:`WINDOW` scheduler periods. At a window's first tick the agent sees
  the state and sets, for every model ``k``, a batch size ``b_k`` in ``1..max_batch`` and a
  concurrency ``c_k`` in ``1..M``; for the rest of the window every tick closes full batches of
  ``b_k`` and a partial one only when its oldest request cannot wait
  (:func:`policies.batching.rules.cannot_wait`), with ``c_k`` as the model's cap on SAs.
- **State** (:func:`encode_state`, ``5 K + 3`` values in [0, 1]): per model its queue length,
  arrival-rate estimate (an exponential average of arrivals per period), the slack of its oldest
  waiting request (over the model's latency budget), SAs running it, batches in flight; then
  the share of busy SAs, the DRAM demand of the running sub-jobs over the bandwidth, the admitted
  work over the window's capacity.
- **Action**: ``2 K`` values in [-1, 1], mapped to the sizes (geometrically) and
  concurrencies (linearly) (:func:`decode_action`), so SAC's continuous actions cover the
  discrete choices.
- **Reward**: the utility of the window (:func:`mas_sim.sim.batching.utility`) over the requests
  that ended in it, divided by the expected arrivals per window so that it is of order one.
- **Veto**: before a batch of ``b`` closes, the predictor estimates its latency under the
  current co-running load; while the oldest member would miss its deadline by it, the batch
  shrinks (down to 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from mas_sim.core.errors import ConfigError
from mas_sim.hardware import SystemSpec
from mas_sim.sim.batching import BatchDecision, BatchView
from policies.batching.rules import cannot_wait

#: Scheduler periods per decision window.
WINDOW = 10
#: Largest batch size the agent may choose (the cost model accepts up to 32).
MAX_ACTION_BATCH = 16
#: Weight of the newest period in the arrival-rate average.
RATE_ALPHA = 0.2

Array32 = npt.NDArray[np.float32]


def state_size(models: int) -> int:
    """5 K + 3."""
    return 5 * models + 3


def encode_state(view: BatchView, rate: npt.NDArray[np.float64], budget: npt.NDArray[np.float64],
                 window_capacity: float) -> Array32:
    """The agent's state at a window's first tick (module docstring); ``rate`` is arrivals per
    period per model, ``budget`` each model's latency budget (deadline - arrival), cycles."""
    k, m = view.num_models, view.num_sas
    x = np.zeros(state_size(k), dtype=np.float32)
    q = view.queue_length
    x[0:k] = np.log1p(q) / np.log1p(64.0)
    x[k:2 * k] = np.log1p(rate * 10.0) / np.log1p(100.0)
    slack = np.array([(float(view.queue_deadline[i][0]) - view.now) / budget[i] if q[i] else 1.0
                      for i in range(k)])
    x[2 * k:3 * k] = np.clip(slack, 0.0, 1.0)
    x[3 * k:4 * k] = view.running / m
    x[4 * k:5 * k] = np.minimum(view.live_batches / 4.0, 1.0)
    x[5 * k] = float(np.count_nonzero(view.sa_busy_for)) / m
    x[5 * k + 1] = min(float(view.running_bandwidth.sum()) / view.dram_bandwidth / 4.0, 1.0)
    x[5 * k + 2] = min(view.rq_work / window_capacity, 1.0)
    return np.clip(x, 0.0, 1.0)


def decode_action(action: npt.ArrayLike, models: int, sas: int,
                  max_batch: int = MAX_ACTION_BATCH) -> tuple[list[int], list[int]]:
    """``2 K`` values in [-1, 1] -> (batch size per model in 1..max_batch, concurrency in 1..M).

    Sizes are geometric (``u`` in [0, 1] -> ``round(max_batch ** u)``: 1, 2, 4, 8, 16 at
    u = 0, 1/4, 1/2, 3/4, 1), so the small sizes, where a batch's latency matters most, get as
    much of the action range as the large ones; concurrencies are linear."""
    a = np.clip(np.asarray(action, dtype=np.float64).reshape(-1), -1.0, 1.0)
    if a.shape != (2 * models,):
        raise ConfigError(f"action has {a.size} values, expected {2 * models}")
    u = (a + 1.0) / 2.0
    sizes = np.rint(float(max_batch) ** u[:models]).astype(int).tolist()
    caps = (1 + np.rint(u[models:] * (sas - 1))).astype(int).tolist()
    return sizes, caps


class Veto:
    """A callable ``(view, k, b) -> predicted latency of the batch, cycles`` (the predictor)."""

    def __call__(self, view: BatchView, k: int, b: int) -> float:  # pragma: no cover - protocol
        raise NotImplementedError


@dataclass
class WindowedBatching:
    """The batching policy an action drives: the sizes and caps of the current window, the
    closing rule and the veto of the module docstring. The agent (or :class:`BCEdge`) sets
    :attr:`sizes` and :attr:`caps` at each window's first tick."""

    predictor: object | None = None
    """``predictor(view, k, b)`` -> predicted latency of a batch, cycles; None: no veto."""
    name: str = "bcedge"
    sizes: list[int] = field(default_factory=list)
    caps: list[int] = field(default_factory=list)
    rate: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    """Arrivals per period per model, exponentially averaged (weight :data:`RATE_ALPHA`)."""
    vetoed: int = 0
    """Batches the predictor shrank."""

    def reset(self, system: SystemSpec, models: tuple[str, ...], seed: int | None = None) -> None:
        """Batches of 1 on every SA until the first action."""
        self.sizes = [1] * len(models)
        self.caps = [system.num_sas] * len(models)
        self.rate = np.zeros(len(models))
        self.vetoed = 0

    def close(self, view: BatchView) -> BatchDecision:
        """Full batches of the window's sizes, a partial one when its oldest cannot wait."""
        close = []
        for k, arrivals in enumerate(view.queue_arrival):
            n, b = len(arrivals), self.sizes[k]
            sizes: list[int] = []
            start = 0
            while n - start >= b or (n - start and cannot_wait(view, k, start, b)):
                size = self._allowed(view, k, start, min(b, n - start))
                sizes.append(size)
                start += size
            close.append(tuple(sizes))
        return BatchDecision(tuple(close), tuple(self.caps))

    def _allowed(self, view: BatchView, k: int, start: int, size: int) -> int:
        if self.predictor is None:
            return size
        deadline = float(view.queue_deadline[k][start])
        best = size
        while best > 1 and view.now + self.predictor(view, k, best) > deadline:  # type: ignore[operator]
            best -= 1
        if best < size:
            self.vetoed += 1
        return best

    def decide(self, view: BatchView) -> BatchDecision:
        """Apply the window's action."""
        self.rate = (1 - RATE_ALPHA) * self.rate + RATE_ALPHA * view.arrived
        return self.close(view)


class BCEdge(WindowedBatching):
    """The trained BCEdge policy: a shipped (or given) checkpoint's SAC actor chooses the action
    every :data:`WINDOW` periods, its predictor vetoes (``veto=False`` turns the veto off)."""

    def __init__(self, checkpoint: str | None = None, workload: str = "mixed",
                 veto: bool = True) -> None:
        from policies.batching.checkpoint import load_checkpoint, shipped_checkpoint

        path = Path(checkpoint) if checkpoint is not None else shipped_checkpoint(workload)
        self.checkpoint = load_checkpoint(path)
        self._actor = self.checkpoint.build_actor()
        predictor = self.checkpoint.build_predictor() if veto else None
        super().__init__(predictor=predictor, name="bcedge")
        self._budget = np.zeros(0)
        self._next_window = 0.0
        self._models: tuple[str, ...] = ()

    def reset(self, system: SystemSpec, models: tuple[str, ...], seed: int | None = None) -> None:
        """Check that the checkpoint was trained for these models and this many SAs."""
        ck = self.checkpoint
        if tuple(ck.model_names) != tuple(models) or ck.num_sas != system.num_sas:
            from mas_sim.core.errors import CheckpointError

            raise CheckpointError(f"BCEdge checkpoint for models {list(ck.model_names)} on "
                                  f"{ck.num_sas} SAs, the run has {list(models)} on "
                                  f"{system.num_sas}")
        super().reset(system, models, seed)
        self._models = models
        self._budget = np.asarray(ck.budget, dtype=np.float64)
        self._next_window = 0.0

    def decide(self, view: BatchView) -> BatchDecision:
        """At a window's first tick, a new action from the actor; then close batches."""
        self.rate = (1 - RATE_ALPHA) * self.rate + RATE_ALPHA * view.arrived
        if view.now >= self._next_window:
            capacity = WINDOW * view.period * view.num_sas
            state = encode_state(view, self.rate, self._budget, capacity)
            self.sizes, self.caps = decode_action(self._actor(state), view.num_models,
                                                  view.num_sas, self.checkpoint.max_batch)
            self._next_window = view.now + WINDOW * view.period
        return self.close(view)
