"""Hardware description: sub-accelerators (SAs) and the multi-accelerator system around them.

Units: bandwidths in bytes per cycle of the 1 GHz system clock (so 16 GB/s is ``16.0``), buffer
sizes in bytes, frequencies in Hz, energies in pJ. The presets are RELMAS Table 1.

Both classes are frozen and validate themselves on construction; vary a field with
:func:`dataclasses.replace` (or :meth:`SystemSpec.with_bandwidth_gbps`) and every cost table that
depends on it is derived again, because cost tables are cached by the spec's value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from mas_sim.core.errors import ConfigError, unknown_name
from mas_sim.core.files import read_toml
from mas_sim.core.units import CLOCK_HZ, gbps_to_bytes_per_cycle

Dataflow = Literal["row_stationary", "weight_stationary"]
DATAFLOWS: tuple[Dataflow, ...] = ("row_stationary", "weight_stationary")

MAX_SUB_ACCELERATORS = 256
"""Most SAs a system may have: the scheduler's views and plans grow with the SA count."""
MIN_DRAM_BANDWIDTH_GBPS = 0.1
"""Slowest DRAM accepted, GB/s (160x below the paper's 16): below it, a run's transfers last
so long that it ticks for hours through a schedule that hardly moves."""

def _positive(owner: str, name: str, value: float, *, integer: bool = False) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if integer:
        ok = ok and float(value).is_integer()
    if not ok or value <= 0:
        kind = "a positive integer" if integer else "a positive finite number"
        raise ConfigError(f"{owner}: {name} = {value!r}, expected {kind}")


@dataclass(frozen=True)
class SubAcceleratorSpec:
    """One sub-accelerator class (a chiplet): its dataflow, PE array and buffers."""

    name: str
    """Class name shown in traces and tables, e.g. ``"Eyeriss-Small"``."""
    dataflow: Dataflow
    """``"row_stationary"`` (Eyeriss-like) or ``"weight_stationary"`` (Simba-like)."""
    pes: int
    """Number of processing elements."""
    macs_per_pe: int
    """Multiply-accumulate units per PE (vector width); peak MACs/cycle = pes x macs_per_pe."""
    global_buffer_bytes: int
    """Shared on-chip global buffer, bytes."""
    pe_buffer_bytes: int
    """Private buffer of each PE (register file / scratchpad), bytes."""
    frequency_hz: float = CLOCK_HZ
    """Clock of the SA, Hz. Latencies are converted to system-clock cycles."""

    def __post_init__(self) -> None:
        owner = f"sub-accelerator {self.name!r}"
        if not isinstance(self.name, str) or not self.name:
            raise ConfigError(f"sub-accelerator name = {self.name!r}, expected a non-empty string")
        if self.dataflow not in DATAFLOWS:
            raise ConfigError(f"{owner}: dataflow = {self.dataflow!r}, expected one of {DATAFLOWS}")
        for name in ("pes", "macs_per_pe", "global_buffer_bytes", "pe_buffer_bytes"):
            _positive(owner, name, getattr(self, name), integer=True)
        _positive(owner, "frequency_hz", self.frequency_hz)

    @property
    def peak_macs_per_cycle(self) -> int:
        """Peak multiply-accumulates per SA cycle."""
        return self.pes * self.macs_per_pe


def eyeriss_small() -> SubAcceleratorSpec:
    """Eyeriss-like, row stationary, 256 PEs x 1 MAC, 64 KiB global buffer, 220 B per PE."""
    return SubAcceleratorSpec("Eyeriss-Small", "row_stationary", 256, 1, 64 * 1024, 220)


def eyeriss_large() -> SubAcceleratorSpec:
    """Eyeriss-like, row stationary, 512 PEs x 1 MAC, 64 KiB global buffer, 220 B per PE."""
    return SubAcceleratorSpec("Eyeriss-Large", "row_stationary", 512, 1, 64 * 1024, 220)


def simba_small() -> SubAcceleratorSpec:
    """Simba-like, weight stationary, 16 PEs x 16 MACs, 32 KiB global buffer, 24 KiB per PE."""
    return SubAcceleratorSpec("Simba-Small", "weight_stationary", 16, 16, 32 * 1024, 24 * 1024)


def simba_large() -> SubAcceleratorSpec:
    """Simba-like, weight stationary, 32 PEs x 16 MACs, 64 KiB global buffer, 24 KiB per PE."""
    return SubAcceleratorSpec("Simba-Large", "weight_stationary", 32, 16, 64 * 1024, 24 * 1024)


PRESETS = {
    "eyeriss_small": eyeriss_small,
    "eyeriss_large": eyeriss_large,
    "simba_small": simba_small,
    "simba_large": simba_large,
}


@dataclass(frozen=True)
class SystemSpec:
    """A multi-accelerator system: M sub-accelerators sharing one DRAM bandwidth over a NoP."""

    sub_accelerators: tuple[SubAcceleratorSpec, ...]
    """The M SAs, in the order used for SA indices everywhere (schedules, traces, tables)."""
    dram_bandwidth: float = 16.0
    """Off-chip DRAM bandwidth shared by all SAs, bytes/cycle (16.0 = 16 GB/s at 1 GHz)."""
    nop_bandwidth: float = 100.0
    """Network-on-package bandwidth, bytes/cycle (100.0 = 100 GB/s)."""
    nop_energy_pj_per_bit: float = 1.3
    """Energy to move one bit over the NoP, pJ."""
    name: str = field(default="custom", compare=False)
    """Label used in reports; not part of the system's identity."""

    def __post_init__(self) -> None:
        sas = tuple(self.sub_accelerators)
        object.__setattr__(self, "sub_accelerators", sas)
        if not sas:
            raise ConfigError("system: sub_accelerators is empty, expected at least one SA")
        for sa in sas:
            if not isinstance(sa, SubAcceleratorSpec):
                raise ConfigError(f"system: {sa!r} is not a SubAcceleratorSpec")
        if len(sas) > MAX_SUB_ACCELERATORS:
            raise ConfigError(f"system: {len(sas)} sub-accelerators, expected at most "
                              f"{MAX_SUB_ACCELERATORS}")
        _positive("system", "dram_bandwidth", self.dram_bandwidth)
        if self.dram_bandwidth < gbps_to_bytes_per_cycle(MIN_DRAM_BANDWIDTH_GBPS):
            raise ConfigError(f"system: dram_bandwidth = {self.dram_bandwidth!r} bytes/cycle, "
                              f"expected at least {MIN_DRAM_BANDWIDTH_GBPS} GB/s")
        _positive("system", "nop_bandwidth", self.nop_bandwidth)
        _positive("system", "nop_energy_pj_per_bit", self.nop_energy_pj_per_bit)

    @classmethod
    def paper(cls) -> SystemSpec:
        """RELMAS's system: 2x Eyeriss-S, 1x Eyeriss-L, 2x Simba-S, 1x Simba-L; 16 GB/s DRAM."""
        sas = (eyeriss_small(), eyeriss_small(), eyeriss_large(),
               simba_small(), simba_small(), simba_large())
        return cls(sas, name="paper")

    @property
    def num_sas(self) -> int:
        """M, the number of sub-accelerators."""
        return len(self.sub_accelerators)

    @property
    def sa_labels(self) -> tuple[str, ...]:
        """A unique label per SA instance: the class name, numbered where a class repeats."""
        counts: dict[str, int] = {}
        for sa in self.sub_accelerators:
            counts[sa.name] = counts.get(sa.name, 0) + 1
        seen: dict[str, int] = {}
        labels = []
        for sa in self.sub_accelerators:
            i = seen.get(sa.name, 0)
            seen[sa.name] = i + 1
            labels.append(f"{sa.name}#{i}" if counts[sa.name] > 1 else sa.name)
        return tuple(labels)

    @property
    def sa_classes(self) -> tuple[SubAcceleratorSpec, ...]:
        """The distinct SA classes, in order of first appearance."""
        return tuple(dict.fromkeys(self.sub_accelerators))

    @property
    def total_macs_per_cycle(self) -> int:
        """Peak MACs per cycle of the whole system."""
        return sum(sa.peak_macs_per_cycle for sa in self.sub_accelerators)

    def with_bandwidth_gbps(self, gbps: float) -> SystemSpec:
        """The same system with another DRAM bandwidth, given in GB/s."""
        _positive("system", "bandwidth_gbps", gbps)
        return replace(self, dram_bandwidth=gbps_to_bytes_per_cycle(gbps))

    @classmethod
    def from_toml(cls, path: str | Path) -> SystemSpec:
        """Load a system from a TOML file (format in :func:`system_from_mapping`)."""
        path = Path(path)
        data = read_toml(path, "hardware file")
        return system_from_mapping(data, source=str(path), name=path.stem)


_SYSTEM_KEYS = {"name", "dram_bandwidth_gbps", "nop_bandwidth_gbps", "nop_energy_pj_per_bit",
                "sub_accelerator"}
_SA_KEYS = {"preset", "count", "name", "dataflow", "pes", "macs_per_pe", "global_buffer_bytes",
            "pe_buffer_bytes", "frequency_hz"}


def system_from_mapping(data: Mapping[str, Any], *, source: str = "<mapping>",
                        name: str = "custom") -> SystemSpec:
    """Build a :class:`SystemSpec` from a parsed hardware file.

    The format (every key but ``sub_accelerator`` optional; bandwidths in GB/s)::

        name = "two-simba"
        dram_bandwidth_gbps = 16
        nop_bandwidth_gbps = 100
        nop_energy_pj_per_bit = 1.3

        [[sub_accelerator]]
        preset = "simba_large"     # start from a preset, override any field below
        count = 2
        global_buffer_bytes = 131072

        [[sub_accelerator]]
        name = "Custom-WS"
        dataflow = "weight_stationary"
        pes = 64
        macs_per_pe = 8
        global_buffer_bytes = 65536
        pe_buffer_bytes = 8192
    """
    where = f"hardware {source}"
    extra = set(data) - _SYSTEM_KEYS
    if extra:
        raise ConfigError(f"{where}: unknown key(s) {sorted(extra)}, "
                          f"expected {sorted(_SYSTEM_KEYS)}")
    entries = data.get("sub_accelerator")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{where}: expected at least one [[sub_accelerator]] table")
    sas: list[SubAcceleratorSpec] = []
    for i, entry in enumerate(entries):
        sas.extend(_sub_accelerators_from_entry(entry, f"{where}, sub_accelerator[{i}]"))
    kwargs: dict[str, Any] = {}
    for key, attr in (("dram_bandwidth_gbps", "dram_bandwidth"),
                      ("nop_bandwidth_gbps", "nop_bandwidth")):
        if key in data:
            _positive(where, key, data[key])
            kwargs[attr] = gbps_to_bytes_per_cycle(float(data[key]))
    if "nop_energy_pj_per_bit" in data:
        _positive(where, "nop_energy_pj_per_bit", data["nop_energy_pj_per_bit"])
        kwargs["nop_energy_pj_per_bit"] = float(data["nop_energy_pj_per_bit"])
    label = data.get("name", name)
    return SystemSpec(tuple(sas), name=str(label), **kwargs)


def _sub_accelerators_from_entry(entry: object, where: str) -> Sequence[SubAcceleratorSpec]:
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{where}: expected a table, got {entry!r}")
    extra = set(entry) - _SA_KEYS
    if extra:
        raise ConfigError(f"{where}: unknown key(s) {sorted(extra)}, expected {sorted(_SA_KEYS)}")
    fields: dict[str, Any] = {}
    if "preset" in entry:
        preset = entry["preset"]
        if preset not in PRESETS:
            raise ConfigError(f"{where}: " + unknown_name("preset", preset, PRESETS))
        base = PRESETS[preset]()
        fields = {k: getattr(base, k) for k in ("name", "dataflow", "pes", "macs_per_pe",
                                                "global_buffer_bytes", "pe_buffer_bytes",
                                                "frequency_hz")}
    fields.update({k: v for k, v in entry.items() if k not in ("preset", "count")})
    missing = {"name", "dataflow", "pes", "macs_per_pe", "global_buffer_bytes",
               "pe_buffer_bytes"} - set(fields)
    if missing:
        raise ConfigError(f"{where}: missing key(s) {sorted(missing)} (or give a preset)")
    count = entry.get("count", 1)
    _positive(where, "count", count, integer=True)
    if count > MAX_SUB_ACCELERATORS:
        raise ConfigError(f"{where}: count = {count!r}, expected at most {MAX_SUB_ACCELERATORS}")
    try:
        spec = SubAcceleratorSpec(**fields)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    return [spec] * int(count)
