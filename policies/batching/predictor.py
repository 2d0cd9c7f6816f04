"""The interference predictor: a small MLP predicting a batch's latency under the co-running load.

Trained on simulated runs (:func:`collect`): for every batch formed, the features at the moment it
is formed (:func:`features`) and the latency it then had (formed -> end). It predicts
``log(latency / isolated latency of the batch)``, the slow-down that co-running batches and DRAM
contention cause, so the prediction is ``isolated latency x exp(output)``. Trained by
mean squared error on the log (Adam); :func:`errors` reports the median and 90th percentile of
``|predicted / actual - 1|`` on held-out runs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from mas_sim.hardware import SystemSpec
from mas_sim.sim.batching import BatchOutcome, BatchView

Array32 = npt.NDArray[np.float32]


def feature_size(models: int) -> int:
    """K one-hot model, log batch size, log isolated latency, busy SAs, DRAM demand, admitted
    work, batches in flight, SAs running the model."""
    return models + 7


def features(view: BatchView, k: int, b: int) -> Array32:
    """The predictor's input for a batch of ``b`` of model ``k`` formed at ``view``."""
    x = np.zeros(feature_size(view.num_models), dtype=np.float32)
    x[k] = 1.0
    iso = view.batch_latency(k, b)
    j = view.num_models
    x[j] = math.log(b) / math.log(32.0)
    x[j + 1] = math.log10(iso) / 10.0
    x[j + 2] = float(np.count_nonzero(view.sa_busy_for)) / view.num_sas
    x[j + 3] = float(view.running_bandwidth.sum()) / view.dram_bandwidth / 4.0
    x[j + 4] = math.log1p(view.rq_work / iso) / 5.0
    x[j + 5] = float(view.live_batches.sum()) / 8.0
    x[j + 6] = float(view.running[k]) / view.num_sas
    return x


class SlowdownNet(nn.Module):
    """features -> log slow-down; two hidden layers."""

    def __init__(self, inputs: int, hidden: int = 64) -> None:
        super().__init__()
        self.inputs, self.hidden = inputs, hidden
        self.net = nn.Sequential(nn.Linear(inputs, hidden), nn.ReLU(),
                                 nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)


class InterferencePredictor:
    """``predictor(view, k, b)`` -> predicted latency of the batch, cycles."""

    def __init__(self, net: SlowdownNet) -> None:
        self.net = net.eval()

    @torch.no_grad()
    def __call__(self, view: BatchView, k: int, b: int) -> float:
        x = torch.from_numpy(features(view, k, b))[None]
        return view.batch_latency(k, b) * math.exp(float(self.net(x)[0]))


@dataclass
class Samples:
    """Training data: features and log slow-downs."""

    x: Array32
    y: npt.NDArray[np.float32]


class Recorder:
    """A batching-policy wrapper that records, for every batch formed, its features, and matches
    them with the batch's latency when it ends (``BatchView.finished``)."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.name = getattr(inner, "name", "recorder")
        self.pending: dict[tuple[int, float, int], list[tuple[Array32, float]]] = {}
        self.x: list[Array32] = []
        self.y: list[float] = []

    def reset(self, system: SystemSpec, models: tuple[str, ...], seed: int | None = None) -> None:
        self.inner.reset(system, models, seed)  # type: ignore[attr-defined]

    def decide(self, view: BatchView) -> object:
        for outcome in view.finished:
            self._match(outcome)
        decision = self.inner.decide(view)  # type: ignore[attr-defined]
        for k, sizes in enumerate(decision.close):
            for b in sizes:
                self.pending.setdefault((k, view.now, int(b)), []).append(
                    (features(view, k, int(b)), view.batch_latency(k, int(b))))
        return decision

    def _match(self, outcome: BatchOutcome) -> None:
        batch = self.pending.get((outcome.model, outcome.formed, outcome.size))
        if not batch or outcome.met + outcome.missed == 0:
            if batch:
                batch.pop(0)
            return
        x, iso = batch.pop(0)
        self.x.append(x)
        self.y.append(math.log(max(outcome.end - outcome.formed, 1.0) / iso))

    def samples(self) -> Samples:
        return Samples(np.asarray(self.x, dtype=np.float32).reshape(len(self.x), -1),
                       np.asarray(self.y, dtype=np.float32))


def fit(samples: Samples, *, hidden: int = 64, epochs: int = 200, seed: int = 0,
        lr: float = 3e-3) -> SlowdownNet:
    """Train a :class:`SlowdownNet` on ``samples`` (full-batch Adam on the MSE)."""
    torch.manual_seed(seed)
    net = SlowdownNet(samples.x.shape[1], hidden)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    x, y = torch.from_numpy(samples.x), torch.from_numpy(samples.y)
    for _ in range(epochs):
        opt.zero_grad()
        loss = torch.mean((net(x) - y) ** 2)
        loss.backward()
        opt.step()
    return net.eval()


@torch.no_grad()
def errors(net: SlowdownNet, samples: Samples) -> dict[str, float]:
    """Median and 90th percentile of |predicted / actual - 1| over ``samples``, and of the
    no-interference guess (isolated latency) for comparison."""
    pred = net(torch.from_numpy(samples.x)).numpy()
    rel = np.abs(np.exp(pred - samples.y) - 1.0)
    base = np.abs(np.exp(-samples.y) - 1.0)
    return {"median_rel_error": float(np.median(rel)),
            "p90_rel_error": float(np.quantile(rel, 0.9)),
            "isolated_median_rel_error": float(np.median(base)),
            "isolated_p90_rel_error": float(np.quantile(base, 0.9)), "samples": float(len(rel))}


def concat(parts: Sequence[Samples]) -> Samples:
    """All samples of ``parts``."""
    return Samples(np.concatenate([p.x for p in parts]), np.concatenate([p.y for p in parts]))
