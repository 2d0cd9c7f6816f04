"""Units at the edges: the system clock and conversions between the user's units and the inside.

Inside mas-sim, time is in cycles of the 1 GHz system clock (1 cycle = 1 ns), data in bytes,
bandwidth in bytes/cycle and energy in pJ. Users speak microseconds, GB/s and joules; these
functions are the only place where the two meet.
"""

from __future__ import annotations

#: The system clock: 1 cycle = 1 ns.
CLOCK_HZ = 1e9

#: The calibrated scheduling period Ts, cycles (100 us; README "Calibrated defaults"). Defined
#: here, at the bottom, so that configuration classes can name it without loading the kernel.
DEFAULT_PERIOD = 100_000.0

#: Cycles of the system clock in one microsecond.
CYCLES_PER_US = CLOCK_HZ / 1e6


def us_to_cycles(us: float) -> float:
    """Microseconds to cycles of the system clock."""
    return us * CYCLES_PER_US


def cycles_to_us(cycles: float) -> float:
    """Cycles of the system clock to microseconds."""
    return cycles / CYCLES_PER_US


def gbps_to_bytes_per_cycle(gbps: float) -> float:
    """GB/s (1e9 bytes/s) to bytes per cycle of the system clock."""
    return gbps * 1e9 / CLOCK_HZ
