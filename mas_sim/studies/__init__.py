"""Reproductions of the papers' figures and tables (``mas-sim reproduce``).

:mod:`.relmas` regenerates RELMAS's Fig. 3, 4 and 5 and a MoCA-style table, as PNG + CSV,
running its points with the sweep machinery (:mod:`mas_sim.runs.sweep`). :mod:`.stats` holds the
small statistics they share (confidence intervals, geometric means).
"""

from mas_sim.studies.relmas import FULL, QUICK, ReproConfig, reproduce_relmas

__all__ = ["FULL", "QUICK", "ReproConfig", "reproduce_relmas"]
