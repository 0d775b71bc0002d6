"""Arrivals: non-homogeneous Poisson calls per centre, drawn in numpy blocks.

The rate is piecewise constant per hour: ``calls_per_day × day factor × hour share ×
busyness``, where busyness is a per-day gamma factor with mean 1 and the scenario's variance
(the "random day-level busyness" of the contact-centre literature). Within an hour a Poisson
count of calls is spread uniformly, which is exactly a Poisson process of that hour's rate.
"""

from __future__ import annotations

import math

import numpy as np

from sim.domain.lines import HOUR, MINUTE
from sim.model.surges import affecting, expected_on_grid
from sim.scenario.plan import CentrePlan, expected_calls_by_hour
from sim.scenario.schema import Scenario


def busyness_factors(days: int, variance: float, rng: np.random.Generator) -> np.ndarray:
    """One gamma factor (mean 1, given variance) per day; all ones when the variance is 0."""
    if variance <= 0:
        return np.ones(days)
    shape = 1.0 / variance
    return rng.gamma(shape, 1.0 / shape, days)


def arrival_times(plan: CentrePlan, scenario: Scenario, rng: np.random.Generator) -> np.ndarray:
    """Sorted first-attempt arrival times (seconds from the start) of one centre.

    Scripted ``arrival_times`` inside the horizon are merged with the Poisson arrivals.
    """
    scripted = np.asarray([t for t in plan.arrival_times if t < scenario.horizon], dtype=float)
    if plan.calls_per_day == 0:
        return np.sort(scripted, kind="stable")
    expected = expected_calls_by_hour(plan, scenario)
    hours = len(expected)
    day_of_hour = (scenario.start.hour + np.arange(hours)) // 24
    busy = busyness_factors(int(day_of_hour[-1]) + 1, plan.busyness_variance, rng)
    hourly = expected * busy[day_of_hour]
    # A disaster's curve changes within the hour: then the rate is constant per minute.
    step = MINUTE if affecting(scenario, plan) else HOUR
    if step < HOUR:
        hourly = hourly.copy()
        hourly[-1] /= max(scenario.horizon_hours - (hours - 1), 1e-9)  # undo the partial hour
        expected_bins = expected_on_grid(plan, scenario, hourly, step)
    else:
        expected_bins = hourly
    counts = rng.poisson(expected_bins)
    widths = np.full(len(counts), step)
    widths[-1] = scenario.horizon - (len(counts) - 1) * step
    starts = np.repeat(np.arange(len(counts)) * step, counts)
    times = starts + rng.random(starts.size) * np.repeat(widths, counts)
    times = np.concatenate([times, scripted])
    times.sort(kind="stable")
    return times


def offered_erlangs_by_hour(plan: CentrePlan, scenario: Scenario) -> np.ndarray:
    """Mean offered load (Erlangs) per hour: calls per hour × mean handle time / 3600.

    Disasters' surges and suppressions are included (at hourly resolution).
    """
    expected = expected_calls_by_hour(plan, scenario)
    if affecting(scenario, plan):
        hourly = expected.copy()
        hourly[-1] /= max(scenario.horizon_hours - (len(hourly) - 1), 1e-9)
        expected = expected_on_grid(plan, scenario, hourly, HOUR)
    if not math.isfinite(plan.mean_handle):
        raise ValueError(f"{plan.key}: talk or wrap-up has no finite mean")
    return expected * plan.mean_handle / HOUR
