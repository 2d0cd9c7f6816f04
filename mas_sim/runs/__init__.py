"""Runs: wiring the kernel, a policy and the observers together, and what is measured.

- :mod:`.simulate`: :func:`~.simulate.simulate`, the one-call entry point, and its
  :class:`~.simulate.Result`;
- :mod:`.monitors`: observers attached to the engine from outside (trace, jobs, usage);
- :mod:`.metrics`: SLA satisfaction, ANTT, STP, fairness, energy, utilisation;
- :mod:`.experiment`: one experiment point (what ``mas-sim run`` runs);
- :mod:`.sweep`: grids of points over processes or Ray;
- :mod:`.bound`: the offline upper bound (CP-SAT).
"""
