"""Across replications: means, ratios of totals and control-variate estimates with intervals.

Three estimators, each with a Student-t interval over independent replications:

- ``mean_ci``: the mean of one value per replication (counts, times).
- ``ratio_ci``: a ratio KPI (比率指标: service level, abandonment, occupancy, on-time rate) as
  the **ratio of totals** Σ numerator / Σ denominator, with a delta-method interval. The mean
  of per-replication ratios weights a replication with 3 calls like one with 3,000 and is
  biased when numerator and denominator co-vary; the ratio of totals is the rate of the
  pooled calls, the quantity a planner means.
- ``control_variate_ci``: a mean corrected by controls of known expectation (e.g. the number
  of arrivals, whose mean λT the scenario fixes), the classic variance reduction of
  Lavenberg and Welch (1981); ``hotline validate`` uses it.

``kpi_estimate`` picks the estimator by KPI (``denominator`` knows each ratio KPI's count);
``replications_needed`` turns a pilot's spread into the count that reaches a half-width.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np


def scipy_stats():
    """``scipy.stats``, imported on first use (it costs ~70 MB and ~1 s; a replication's
    worker process never needs it)."""
    from scipy import stats

    return stats


@dataclass(frozen=True)
class Estimate:
    """A point estimate with the two ends of its confidence interval and the replications used."""

    value: float
    low: float
    high: float
    n: int

    @property
    def half_width(self) -> float:
        """Half the interval's width (NaN when there is no interval)."""
        return (self.high - self.low) / 2


def _clean_values(values: Sequence[float]) -> np.ndarray:
    return np.asarray([v for v in values if v is not None and not math.isnan(v)], dtype=float)


@functools.lru_cache(maxsize=256)
def t_quantile(level: float, df: int) -> float:
    """The two-sided Student-t quantile for ``level`` with ``df`` degrees of freedom (kept per
    level and df: a run asks for the same few thousands of times)."""
    return float(scipy_stats().t.ppf(0.5 + level / 2, df))


@functools.lru_cache(maxsize=16)
def _normal_quantile(level: float) -> float:
    return float(scipy_stats().norm.ppf(0.5 + level / 2))


_SEQUENTIAL = 8  # numpy sums fewer float64 values than this one after the other, from 0.0


def _plain_floats(values: Sequence) -> list[float] | None:
    """``values`` as Python floats when there are few enough for numpy to sum them in order
    (fewer than ``_SEQUENTIAL``) and each is a Python ``int`` or ``float``; else ``None``
    (numpy's pairwise sum, numpy scalars and other types take numpy's path)."""
    if len(values) >= _SEQUENTIAL:
        return None
    for v in values:
        if type(v) is not float and type(v) is not int:
            return None
    return [float(v) for v in values]


def _sum(values: list[float]) -> float:
    """``np.add.reduce`` of fewer than ``_SEQUENTIAL`` float64 values, to the bit: from 0.0,
    one after the other."""
    total = 0.0
    for v in values:
        total += v
    return total


def _std(values: list[float], mean: float) -> float:
    """``np.std(values, ddof=1)`` of 2 … ``_SEQUENTIAL`` − 1 values whose ``_sum`` / n is
    ``mean``, in numpy's operations (squares as products, the sum, the division, the root)."""
    squares = 0.0
    for v in values:
        d = v - mean
        squares += d * d
    return math.sqrt(squares / (len(values) - 1))


def mean_ci(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """Mean and the two ends of its Student-t confidence interval over replications.

    NaN values (a KPI undefined in a replication, e.g. a rate with nothing offered) are left
    out; with fewer than two values the interval is (NaN, NaN). A few Python numbers (a run's
    replications) are summed in Python, to the bit as numpy would.
    """
    kept = [v for v in values if v is not None and not math.isnan(v)]
    plain = _plain_floats(kept)
    if plain is None:
        return _mean_ci_numpy(_clean_values(kept), level)
    n = len(plain)
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = _sum(plain) / n
    if n < 2:
        return mean, math.nan, math.nan
    half = t_quantile(level, n - 1) * _std(plain, mean) / math.sqrt(n)
    return mean, mean - half, mean + half


def _mean_ci_numpy(x: np.ndarray, level: float) -> tuple[float, float, float]:
    if len(x) == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if len(x) < 2:
        return mean, math.nan, math.nan
    half = t_quantile(level, len(x) - 1) * float(x.std(ddof=1)) / math.sqrt(len(x))
    return mean, mean - half, mean + half


def ratio_ci(numerators: Sequence[float], denominators: Sequence[float],
             level: float = 0.95, proportion: bool = False) -> Estimate:
    """Ratio of totals R = Σa / Σb over replications, with a delta-method interval.

    With d_i = a_i − R·b_i, Var(R) ≈ s_d² / (n·b̄²) (the first-order Taylor expansion of a/b
    around the means; Cochran's ratio estimator), and the interval is R ± t(n−1)·√Var(R).
    Replications with a zero denominator add nothing to either total but count in n, as they
    do in the pooled rate. The ratio is NaN when every denominator is zero. A few Python
    numbers are summed in Python, to the bit as numpy would.
    """
    a, b = _plain_floats(numerators), _plain_floats(denominators)
    if a is None or b is None or len(a) != len(b):
        return _ratio_ci_numpy(np.asarray(numerators, dtype=float),
                               np.asarray(denominators, dtype=float), level, proportion)
    n = len(a)
    total_b = _sum(b)
    if n == 0 or total_b == 0:
        return Estimate(math.nan, math.nan, math.nan, n)
    total_a = _sum(a)
    r = total_a / total_b
    if n < 2:
        return Estimate(r, math.nan, math.nan, n)
    d = [x - r * y for x, y in zip(a, b, strict=True)]
    se = _std(d, _sum(d) / n) / (math.sqrt(n) * (total_b / n))
    half = t_quantile(level, n - 1) * se
    return _ratio_interval(r, half, total_a, total_b, level, proportion, n)


def _ratio_ci_numpy(a: np.ndarray, b: np.ndarray, level: float, proportion: bool) -> Estimate:
    if a.shape != b.shape:
        raise ValueError(f"{len(a)} numerators but {len(b)} denominators")
    n = len(a)
    if n == 0 or b.sum() == 0:
        return Estimate(math.nan, math.nan, math.nan, n)
    r = float(a.sum() / b.sum())
    if n < 2:
        return Estimate(r, math.nan, math.nan, n)
    d = a - r * b
    se = float(d.std(ddof=1)) / (math.sqrt(n) * float(b.mean()))
    half = t_quantile(level, n - 1) * se
    return _ratio_interval(r, half, float(a.sum()), float(b.sum()), level, proportion, n)


def _ratio_interval(r: float, half: float, total_a: float, total_b: float, level: float,
                    proportion: bool, n: int) -> Estimate:
    """R ± half, widened to Wilson's interval of the totals for a ``proportion``."""
    low, high = r - half, r + half
    if proportion:  # sparse counts: never narrower than the pooled binomial interval, in [0, 1]
        w_low, w_high = wilson(total_a, total_b, level)
        low, high = max(0.0, min(low, w_low)), min(1.0, max(high, w_high))
    return Estimate(r, low, high, n)


def wilson(successes: float, trials: float, level: float = 0.95) -> tuple[float, float]:
    """Wilson's score interval for a proportion of ``successes`` in ``trials``."""
    z = _normal_quantile(level)
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / \
        (1 + z * z / trials)
    return centre - half, centre + half


def is_proportion(name: str) -> bool:
    """Whether a ratio KPI is a share of calls (bounded by 0 and 1, binomial-like)."""
    return name in _BY_HUMAN_OFFERED or _is_service_level(name) or name in ("bot_rate",
                                                                            "p_wait")


def control_variate_ci(values: Sequence[float], controls: Sequence[Sequence[float]],
                       known_means: Sequence[float], level: float = 0.95) -> Estimate:
    """Mean of ``values`` corrected by controls whose expectations are known exactly.

    Fits Y_i = β₀ + Σ_j β_j (C_ij − μ_j) + e_i by least squares; β₀ estimates E[Y] and its
    interval uses t with n − q − 1 degrees of freedom (exact when (Y, C) is jointly normal,
    which replication means of long runs are to a good approximation). Needs n > q + 1.
    """
    y = np.asarray(values, dtype=float)
    q = len(controls)
    if len(y) <= q + 1:
        raise ValueError(f"{len(y)} replications cannot carry {q} controls (need > {q + 1})")
    x = np.column_stack([np.ones(len(y))] + [np.asarray(c, dtype=float) - m
                                             for c, m in zip(controls, known_means, strict=True)])
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ beta
    df = len(y) - q - 1
    s2 = float(resid @ resid) / df
    se = math.sqrt(s2 * float(np.linalg.inv(x.T @ x)[0, 0]))
    half = t_quantile(level, df) * se
    value = float(beta[0])
    return Estimate(value, value - half, value + half, len(y))


def replications_needed(pilot: Estimate, half_width: float, level: float,
                        extra_df: int = 0, minimum: int = 2) -> int:
    """Replications for the half-width of a pilot estimate to reach ``half_width``.

    The half-width falls like t(n)/√n, so n = n₀·(h₀/h)² adjusted for the t quantile
    (iterated to a fixed point); ``extra_df`` is the degrees of freedom lost to controls.
    """
    if not (half_width > 0) or math.isnan(pilot.half_width):
        raise ValueError("needs a positive target and a pilot with an interval")
    n0 = pilot.n
    spread = pilot.half_width * math.sqrt(n0) / t_quantile(level, n0 - 1 - extra_df)
    n = max(minimum, extra_df + 2)
    for _ in range(50):
        nxt = max(minimum, extra_df + 2,
                  math.ceil((t_quantile(level, n - 1 - extra_df) * spread / half_width) ** 2))
        if nxt == n:
            break
        n = nxt
    return n


_BY_HUMAN_OFFERED = ("abandon_rate", "block_rate", "unfinished_rate", "not_joined_rate",
                     "human_answer_rate")


def _is_service_level(name: str) -> bool:
    return name.startswith("sl") and name[2:].replace(".", "").isdigit()


def denominator(name: str, rep: dict[str, float]) -> float | None:
    """The count a ratio KPI of one replication divides by, or ``None`` for a plain value.

    Every ratio KPI of ``sim/results/kpis.py`` is numerator / denominator of counts in the same
    replication, so numerator = value × denominator. The order rates of the linkage
    (``…:on_time_rate`` over orders with a known outcome, ``…:reopen_rate`` over closed ones)
    do not publish their denominators, so they stay means of per-replication ratios.
    """
    human = rep.get("human_offered", rep.get("offered"))
    if name in _BY_HUMAN_OFFERED or _is_service_level(name):
        return human
    if name == "bot_rate":
        return rep.get("offered")
    if name == "p_wait" and human is not None and "blocked" in rep:
        return human - rep["blocked"] - rep["unfinished"]
    if name == "occupancy":
        return rep.get("seat_hours")
    if name == "mean_wait" and "answered" in rep:
        return rep["answered"] + rep["abandoned"]
    if name == "asa":
        return rep.get("answered")
    return None


def kpi_estimate(name: str, per_replication: Sequence[dict[str, float]],
                 level: float = 0.95) -> Estimate:
    """A KPI over replications: ratio of totals for ratio KPIs, else the mean of values."""
    return _estimate(name, [r[name] for r in per_replication],
                     [denominator(name, r) for r in per_replication], level)


def _estimate(name: str, values: list[float], dens: list[float | None], level: float
              ) -> Estimate:
    """``kpi_estimate`` from the KPI's ``values`` and ``denominator``s per replication."""
    if all(d is not None for d in dens):
        nums = [0.0 if d == 0 or v is None or math.isnan(v) else v * d
                for v, d in zip(values, dens, strict=True)]
        return ratio_ci(nums, dens, level, proportion=is_proportion(name))
    mean, lo, hi = mean_ci(values, level)
    return Estimate(mean, lo, hi, len(values))


@dataclass(frozen=True)
class KpiSummary:
    """One KPI over replications, as a ``kpis.json`` entry holds it: the estimate (``mean``,
    the ratio of totals for ratio KPIs), the two ends of its 95 % CI, every replication's value
    and, for a ratio of totals, every replication's weight. ``None``: undefined."""

    mean: float | None
    low: float | None
    high: float | None
    values: tuple[float | None, ...] = ()
    weights: tuple[float | None, ...] | None = None

    @property
    def half_width(self) -> float | None:
        """Half the CI's width, or ``None`` without an interval."""
        return None if self.low is None or self.high is None else (self.high - self.low) / 2

    def overlaps(self, other: KpiSummary) -> bool:
        """Whether the two 95 % CIs overlap (an undefined interval counts as overlapping)."""
        if None in (self.low, self.high, other.low, other.high):
            return True
        return self.low <= other.high and other.low <= self.high

    def to_json(self) -> dict[str, object]:
        """The ``kpis.json`` entry: ``{"mean", "ci95", "values"[, "weights"]}``."""
        out: dict[str, object] = {"mean": self.mean, "ci95": [self.low, self.high],
                                  "values": list(self.values)}
        if self.weights is not None:
            out["weights"] = list(self.weights)
        return out

    @classmethod
    def from_json(cls, entry: Mapping) -> KpiSummary:
        """A ``kpis.json`` entry (a missing interval or list reads as undefined or empty)."""
        low, high = (list(entry.get("ci95") or ()) + [None, None])[:2]
        weights = entry.get("weights")
        return cls(entry.get("mean"), low, high, tuple(entry.get("values") or ()),
                   None if weights is None else tuple(weights))


def as_summary(entry: KpiSummary | Mapping | None) -> KpiSummary | None:
    """``entry`` as a ``KpiSummary`` (a ``kpis.json`` entry is read with ``from_json``;
    ``None`` or an empty entry stays ``None``)."""
    if entry is None or isinstance(entry, KpiSummary):
        return entry
    return KpiSummary.from_json(entry) if entry else None


def means(section: Mapping[str, Mapping]) -> dict[str, float | None]:
    """The mean of every KPI of a ``kpis.json`` section (``None``: undefined)."""
    return {name: KpiSummary.from_json(entry).mean for name, entry in section.items()}


def kpi_summary(name: str, per_replication: Sequence[dict[str, float]], level: float = 0.95,
                ) -> KpiSummary:
    """KPI ``name`` over replications (``kpi_estimate``), its values and, for a ratio of
    totals, its weights, with undefined numbers as ``None`` and floats at 10 digits."""
    values = [r[name] for r in per_replication]
    weights = [denominator(name, r) for r in per_replication]
    est = _estimate(name, values, weights, level)
    return KpiSummary(_clean(est.value), _clean(est.low), _clean(est.high),
                      tuple(map(_clean, values)),
                      tuple(_clean(float(w)) for w in weights)
                      if all(w is not None for w in weights) else None)


def summarise(per_replication: Sequence[dict[str, float]], level: float = 0.95
              ) -> dict[str, dict[str, object]]:
    """``{kpi: {"mean", "ci95", "values"}}`` from one KPI dict per replication (the JSON form
    of ``kpi_summary``).

    ``mean`` is the ratio of totals for ratio KPIs (``kpi_estimate``); ``values`` are always
    the per-replication values.
    """
    return {name: kpi_summary(name, per_replication, level).to_json()
            for name in per_replication[0]}


def _clean(x: float) -> float | None:
    """JSON has no NaN: undefined values become null; floats keep 10 significant digits (a
    whole number of up to 10 digits as it is)."""
    if type(x) is int:
        return x
    if type(x) is float and x.is_integer() and -1e10 < x < 1e10:
        return x
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    if isinstance(x, float):
        return float(f"{x:.10g}")
    return x
