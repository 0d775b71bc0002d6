"""Across replications: means with Student-t confidence intervals."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats


def mean_ci(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """Mean and the two ends of its Student-t confidence interval over replications.

    NaN values (a KPI undefined in a replication, e.g. a rate with nothing offered) are left
    out; with fewer than two values the interval is (NaN, NaN).
    """
    x = np.asarray([v for v in values if v is not None and not math.isnan(v)], dtype=float)
    if len(x) == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if len(x) < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
    return mean, mean - half, mean + half


def summarise(per_replication: Sequence[dict[str, float]], level: float = 0.95
              ) -> dict[str, dict[str, object]]:
    """``{kpi: {"mean", "ci95", "values"}}`` from one KPI dict per replication."""
    out: dict[str, dict[str, object]] = {}
    for name in per_replication[0]:
        values = [r[name] for r in per_replication]
        mean, lo, hi = mean_ci(values, level)
        out[name] = {"mean": _clean(mean), "ci95": [_clean(lo), _clean(hi)],
                     "values": [_clean(v) for v in values]}
    return out


def _clean(x: float) -> float | None:
    """JSON has no NaN: undefined values become null; floats keep 10 significant digits."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    if isinstance(x, float):
        return float(f"{x:.10g}")
    return x
