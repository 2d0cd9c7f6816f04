"""The named workload sets, QoS levels and priority classes of the papers."""

from __future__ import annotations

#: RELMAS Table 2.
WORKLOAD_SETS: dict[str, tuple[str, ...]] = {
    "light": ("squeezenet", "yolo_lite", "kws"),
    "heavy": ("alexnet", "inception_v3", "resnet50", "yolov2"),
    "mixed": ("squeezenet", "yolo_lite", "kws", "alexnet", "inception_v3", "resnet50", "yolov2"),
}

#: QoS level -> multiplier of the base (QoS-Medium) factor: RELMAS, MoCA and Planaria.
QOS_LEVELS: dict[str, float] = {"low": 1.2, "medium": 1.0, "high": 0.8}

#: How a trace replay picks the model of a row without a model column (``Scenario.trace_models``,
#: :mod:`mas_sim.workload.trace`).
TRACE_MODELS: tuple[str, ...] = ("draw", "tokens")

#: PREMA's priority classes (low, medium, high), drawn with equal probability.
PREMA_PRIORITIES: tuple[int, ...] = (1, 3, 9)
