"""Paired comparisons of two runs: a Student-t interval on the per-replication differences.

Two runs of one scenario with the same seed give replication *i* of both runs the same
random streams (common random numbers, ``sim/domain/streams.py``), so the difference of a KPI,
variant minus base, replication by replication, has far less variance than either run. The
paired-difference t interval and test (配对差值 t 检验) use exactly those differences:

    d_i = x_variant,i − x_base,i,   d̄ ± t(0.975, n−1) · s_d / √n,   p = 2 · P(T_{n−1} > |d̄| / (s_d/√n))

Replications where either run leaves the KPI undefined (``null`` in kpis.json) are dropped
in pairs. A difference is *significant* when p < 0.05, i.e. the 95 % interval excludes 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sim.results.stats import KpiSummary, as_summary, scipy_stats

LEVEL = 0.95


@dataclass(frozen=True)
class PairedDiff:
    """Variant minus base for one KPI: mean difference, its interval, p-value, pairs used."""

    delta: float
    low: float | None
    high: float | None
    p_value: float | None
    pairs: int

    @property
    def significant(self) -> bool:
        """Whether the difference is significant at 5 % (two-sided)."""
        return self.p_value is not None and self.p_value < 1 - LEVEL

    @property
    def half_width(self) -> float | None:
        """Half-width of the interval (None with fewer than two pairs)."""
        return None if self.low is None or self.high is None else (self.high - self.low) / 2


def _defined(v: float | None) -> bool:
    return v is not None and not (isinstance(v, float) and math.isnan(v))


def paired_diff(base: Sequence[float | None], variant: Sequence[float | None],
                level: float = LEVEL) -> PairedDiff | None:
    """The paired-difference Student-t interval and p-value of ``variant − base``.

    ``base[i]`` and ``variant[i]`` are replication *i* of each run. Returns None when no
    replication has both values. With one pair the interval and p-value are None; when every
    difference is equal the interval is that value and p is 1 (no difference) or 0.
    """
    d = [v - b for b, v in zip(base, variant, strict=False) if _defined(b) and _defined(v)]
    if not d:
        return None
    return _t_interval(sum(d) / len(d), d, level)


def _t_interval(delta: float, d: Sequence[float], level: float) -> PairedDiff:
    """``delta`` with the Student-t interval and p-value from the spread of the pairs ``d``."""
    n = len(d)
    if n < 2:
        return PairedDiff(delta, None, None, None, n)
    mean = sum(d) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in d) / (n - 1))
    if sd <= 1e-12 * max(1.0, abs(delta)):
        return PairedDiff(delta, delta, delta, 1.0 if delta == 0 else 0.0, n)
    se = sd / math.sqrt(n)
    half = float(scipy_stats().t.ppf(0.5 + level / 2, n - 1)) * se
    p = float(2 * scipy_stats().t.sf(abs(delta) / se, n - 1))
    return PairedDiff(delta, delta - half, delta + half, p, n)


def paired_entries(base: KpiSummary | Mapping | None,
                   variant: KpiSummary | Mapping | None) -> PairedDiff | None:
    """Variant minus base for two KPI summaries (or ``kpis.json`` entries).

    A ratio KPI (an entry with ``weights``, each replication's denominator) is compared as the
    difference of the two ratios of totals — the same quantity as the levels printed beside it
    — with a paired delta-method interval; any other KPI by :func:`paired_diff`.
    """
    a, b = as_summary(base), as_summary(variant)
    if a is None or b is None:
        return None
    if a.weights and b.weights:
        return paired_ratio_diff(list(a.values), list(a.weights), list(b.values),
                                 list(b.weights))
    return paired_diff(list(a.values), list(b.values))


def paired_ratio_diff(base: Sequence, base_w: Sequence, variant: Sequence, variant_w: Sequence,
                      level: float = LEVEL) -> PairedDiff | None:
    """R_variant − R_base for ratios of totals R = Σ value·weight / Σ weight, replication i of
    both runs paired (common random numbers).

    Linearised (delta method): u_i = (a_i − R·w_i) / w̄ per run, d_i = u_variant,i − u_base,i;
    Var(Δ) ≈ s_d² / n, with a Student-t interval on n − 1 degrees of freedom.
    """
    def parts(values, weights):
        w = [0.0 if x is None else float(x) for x in weights]
        a = [0.0 if not _defined(v) or wi == 0 else float(v) * wi for v, wi in zip(values, w,
                                                                                  strict=True)]
        return a, w
    ab, wb = parts(base, base_w)
    av, wv = parts(variant, variant_w)
    n = min(len(ab), len(av))
    ab, wb, av, wv = ab[:n], wb[:n], av[:n], wv[:n]
    if n == 0 or sum(wb) == 0 or sum(wv) == 0:
        return None
    rb, rv = sum(ab) / sum(wb), sum(av) / sum(wv)
    mb, mv = sum(wb) / n, sum(wv) / n
    d = [(a2 - rv * w2) / mv - (a1 - rb * w1) / mb for a1, w1, a2, w2 in zip(ab, wb, av, wv,
                                                                           strict=True)]
    return _t_interval(rv - rb, d, level)


def unpaired_half_width(base: KpiSummary | Mapping | None, variant: KpiSummary | Mapping | None,
                        level: float = LEVEL) -> float | None:
    """Half-width of the Welch interval on the difference (what pairing is compared with)."""
    xa = [v for v in (as_summary(base) or KpiSummary(None, None, None)).values if _defined(v)]
    xb = [v for v in (as_summary(variant) or KpiSummary(None, None, None)).values
          if _defined(v)]
    if len(xa) < 2 or len(xb) < 2:
        return None
    va, vb = _var(xa) / len(xa), _var(xb) / len(xb)
    se2 = va + vb
    if se2 == 0:
        return 0.0
    df = se2 ** 2 / ((va ** 2) / (len(xa) - 1) + (vb ** 2) / (len(xb) - 1))
    return float(scipy_stats().t.ppf(0.5 + level / 2, df)) * math.sqrt(se2)


def _var(x: list[float]) -> float:
    m = sum(x) / len(x)
    return sum((v - m) ** 2 for v in x) / (len(x) - 1)
