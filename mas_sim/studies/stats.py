"""Statistics of the reproductions: means with Student-t confidence intervals over seeds, and
geometric means (the RELMAS paper averages its nine scenarios geometrically)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

#: Two-sided 95 % Student-t quantiles t(0.975, dof) for small dof (beyond: 1.96).
_T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
         9: 2.262, 10: 2.228, 15: 2.131, 20: 2.086, 30: 2.042}


def t975(dof: int) -> float:
    """The 97.5 % quantile of Student's t with ``dof`` degrees of freedom (a table: the
    largest tabulated dof not above ``dof``; 1.96 beyond 30)."""
    if dof < 1:
        return math.nan
    if dof > 30:
        return 1.96
    return _T975[max(k for k in _T975 if k <= dof)]


def mean_ci(values: Sequence[float] | np.ndarray) -> tuple[float, float]:
    """Mean and half-width of its 95 % confidence interval (NaN half-width for one value)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return math.nan, math.nan
    if x.size == 1:
        return float(x[0]), math.nan
    return float(x.mean()), float(t975(x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))


def summarise(table: pd.DataFrame, by: Sequence[str], metric: str) -> pd.DataFrame:
    """Per group of ``by``: ``mean``, ``ci95`` (half-width) and ``n`` of ``metric``."""
    rows = []
    for key, group in table.groupby(list(by), sort=False):
        mean, ci = mean_ci(group[metric].to_numpy())
        keys = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(by, keys, strict=True)), "mean": mean, "ci95": ci,
                     "n": int(group[metric].notna().sum())})
    return pd.DataFrame(rows)


def geomean(values: Sequence[float] | np.ndarray, floor: float = 1e-3) -> float:
    """Geometric mean, values floored at ``floor`` (an SLA of 0 would zero the product)."""
    x = np.maximum(np.asarray(values, dtype=float), floor)
    return float(np.exp(np.log(x).mean())) if x.size else math.nan
