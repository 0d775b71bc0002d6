"""Disaster curves: how much a disaster multiplies a centre's calls at each moment.

A surge's shape rises linearly to 1 over ``rise_hours`` (after ``delay_hours``) and decays
with ``half_life_hours``; at intensity x the volume multiple is ``1 + x (peak - 1) shape``. A
suppression (base stations down) lets only part of the calls through for some hours, then
recovers linearly; a share of the calls that could not get through are made in the recovery.
"""

from __future__ import annotations

import numpy as np

from sim.domain.lines import HOUR
from sim.scenario.disasters import Disaster, Suppression, Surge
from sim.scenario.plan import CentrePlan
from sim.scenario.schema import Scenario


def surge_shape(surge: Surge, hours_since_start: np.ndarray) -> np.ndarray:
    """The surge curve in [0, 1] (or the table's multiple minus one, for a table surge)."""
    t = np.asarray(hours_since_start, dtype=float)
    if surge.table is not None:
        xs, ys = zip(*surge.table, strict=True)
        return np.interp(t, xs, ys, left=1.0, right=ys[-1]) - 1.0
    t = t - surge.delay_hours
    rise = np.clip(t / surge.rise_hours, 0, 1) if surge.rise_hours > 0 else (t >= 0) * 1.0
    decay = np.exp2(-np.clip(t - surge.rise_hours, 0, None) / surge.half_life_hours)
    return np.where(t < 0, 0.0, rise * decay)


def surge_multiple(surge: Surge, intensity: float, hours_since_start: np.ndarray) -> np.ndarray:
    """Volume multiple at the given hours after the disaster's start."""
    shape = surge_shape(surge, hours_since_start)
    if surge.table is not None:
        return 1.0 + intensity * shape
    return 1.0 + intensity * (surge.peak - 1.0) * shape


def suppression_factor(s: Suppression, intensity: float, hours: np.ndarray) -> np.ndarray:
    """Share of calls getting through (1 = all) at hours after the disaster's start."""
    t = np.asarray(hours, dtype=float) - s.delay_hours
    through = np.ones_like(t)
    low = 1.0 - intensity * (1.0 - s.factor)
    down = (t >= 0) & (t < s.hours)
    through[down] = low
    rec = (t >= s.hours) & (t < s.hours + s.recovery_hours)
    through[rec] = low + (1 - low) * (t[rec] - s.hours) / s.recovery_hours
    return through


def affecting(scenario: Scenario, plan: CentrePlan) -> list[tuple[Disaster, float]]:
    """The disasters touching this centre's region and line, with their intensity there."""
    return [(d, d.regions[plan.region]) for d in scenario.disasters
            if plan.region in d.regions and (plan.line in d.lines or d.suppression)]


def expected_on_grid(plan: CentrePlan, scenario: Scenario, hourly: np.ndarray,
                     step: float) -> np.ndarray:
    """Expected calls per grid bin (``step`` seconds) with every disaster applied."""
    per_bin = int(round(HOUR / step))
    base = np.repeat(hourly / per_bin, per_bin)
    n = int(np.ceil(scenario.horizon / step))
    base = base[:n]
    mids = (np.arange(n) + 0.5) * step / HOUR
    out = base.copy()
    for disaster, x in affecting(scenario, plan):
        since = mids - disaster.start_hours
        surge = disaster.lines.get(plan.line)
        if surge is not None:
            out = out * surge_multiple(surge, x, since)
        if disaster.suppression is not None:
            through = suppression_factor(disaster.suppression, x, since)
            lost = float((out * (1 - through)).sum()) * disaster.suppression.rebound
            s = disaster.suppression
            rec = (since >= s.delay_hours + s.hours) & (since < s.delay_hours + s.hours
                                                        + s.recovery_hours)
            out = out * through
            if rec.any() and lost > 0:
                weight = out[rec] / out[rec].sum() if out[rec].sum() > 0 else 1 / rec.sum()
                out[rec] += lost * weight
    return out
