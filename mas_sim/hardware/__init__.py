"""Hardware layer: what the system is (sub-accelerators, DRAM, NoP) and what each layer of a
model costs on it.

- :mod:`.spec`: :class:`SystemSpec`, :class:`SubAcceleratorSpec`, the presets of RELMAS Table 1
  and the TOML hardware file;
- :mod:`.costmodel`: per (layer, SA class) latency, DRAM traffic, bandwidth and energy;
- :mod:`.profile`: :class:`~.profile.ModelProfile`, a model's cost tables on one system.

The spec names are re-exported here (``from mas_sim.hardware import SystemSpec``).
"""

from mas_sim.core.units import CLOCK_HZ, gbps_to_bytes_per_cycle
from mas_sim.hardware.spec import (
    DATAFLOWS,
    PRESETS,
    Dataflow,
    SubAcceleratorSpec,
    SystemSpec,
    eyeriss_large,
    eyeriss_small,
    simba_large,
    simba_small,
    system_from_mapping,
)

__all__ = [
    "CLOCK_HZ",
    "DATAFLOWS",
    "PRESETS",
    "Dataflow",
    "SubAcceleratorSpec",
    "SystemSpec",
    "eyeriss_large",
    "eyeriss_small",
    "gbps_to_bytes_per_cycle",
    "simba_large",
    "simba_small",
    "system_from_mapping",
]
