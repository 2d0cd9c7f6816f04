"""MAGMA, the genetic-algorithm multi-accelerator scheduler (Kao & Krishna, HPCA 2022).

:class:`Magma` is the policy; :mod:`.genome` holds the encoding and operators, :mod:`.fitness`
the population-vectorised forward simulation used as fitness.
"""

from policies.magma.policy import Magma

__all__ = ["Magma"]
