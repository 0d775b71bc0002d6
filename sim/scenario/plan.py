"""Per-centre plans: a centre's line defaults and its own overrides, resolved once.

The model, ``hotline check`` and the staffing tools all read these plans, so the merging of
line defaults with centre overrides happens in exactly one place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from sim.domain.distributions import Distribution
from sim.scenario.schema import CentreSpec, LineSpec, Redial, Scenario, Target

FLAT_DAY = np.full(24, 1 / 24)


@dataclass(frozen=True)
class CentrePlan:
    """Everything the model needs about one centre (one line in one region)."""

    index: int
    key: str
    region: str
    line: str
    calls_per_day: float
    arrival_times: tuple[float, ...]
    seats_by_hour: np.ndarray  # own seats on duty, one value per hour from the start
    trunks: int | None
    talk: Distribution
    wrapup: Distribution
    patience: Distribution
    redial: Redial
    target: Target
    hour_profile: np.ndarray  # 24 shares summing to 1
    day_profile: np.ndarray  # 7 factors with mean 1, Monday first
    busyness_variance: float

    def seats_at(self, hour: int) -> int:
        """Own seats on duty in hour ``hour`` from the start (the last hour repeats after)."""
        return int(self.seats_by_hour[min(hour, len(self.seats_by_hour) - 1)])

    @property
    def mean_handle(self) -> float:
        """Mean seat time per answered call (talk plus wrap-up), seconds."""
        return self.talk.mean + self.wrapup.mean


def _pick(centre: CentreSpec, line: LineSpec, key: str):
    value = getattr(centre, key)
    return getattr(line, key) if value is None else value


def _normalised(values, n: int, mean_one: bool) -> np.ndarray:
    if values is None:
        return np.ones(n) if mean_one else np.full(n, 1 / n)
    arr = np.asarray(values, dtype=float)
    return arr / arr.mean() if mean_one else arr / arr.sum()


def seat_schedule(centre: CentreSpec, line: LineSpec, hours: int, start_hour: int) -> np.ndarray:
    """Own seats on duty for each hour of the run (``hours`` values)."""
    seats = centre.seats
    if seats.constant is not None:
        return np.full(hours, seats.constant, dtype=np.int64)
    if seats.peak is not None:
        shape = _pick(centre, line, "seat_shape")
        shape = np.ones(24) if shape is None else np.asarray(shape, dtype=float) / max(shape)
        day = np.maximum(seats.minimum, np.ceil(seats.peak * shape - 1e-9)).astype(np.int64)
        return day[(start_hour + np.arange(hours)) % 24]
    hourly = np.asarray(seats.hourly, dtype=np.int64)
    if len(hourly) in (24, 168):
        return hourly[(start_hour + np.arange(hours)) % len(hourly)] if len(hourly) == 24 \
            else hourly[np.arange(hours) % 168]
    if len(hourly) >= hours:
        return hourly[:hours]
    # The loader checked that the horizon is covered; the drain keeps the last hour's seats.
    return np.concatenate([hourly, np.full(hours - len(hourly), hourly[-1], dtype=np.int64)])


def build_plans(scenario: Scenario) -> list[CentrePlan]:
    """One plan per centre, in the scenario's order."""
    hours = math.ceil(scenario.horizon_hours + scenario.drain_hours)
    start_hour = scenario.start.hour
    plans = []
    for index, (key, centre) in enumerate(scenario.centres.items()):
        region, _, line_name = key.partition("/")
        line = scenario.lines[line_name]
        plans.append(CentrePlan(
            index=index, key=key, region=region, line=line_name,
            calls_per_day=centre.calls_per_day, arrival_times=centre.arrival_times,
            seats_by_hour=seat_schedule(centre, line, hours, start_hour),
            trunks=centre.trunks,
            talk=_pick(centre, line, "talk"), wrapup=_pick(centre, line, "wrapup"),
            patience=_pick(centre, line, "patience"), redial=_pick(centre, line, "redial"),
            target=_pick(centre, line, "target"),
            hour_profile=_normalised(_pick(centre, line, "hour_profile"), 24, mean_one=False),
            day_profile=_normalised(_pick(centre, line, "day_profile"), 7, mean_one=True),
            busyness_variance=_pick(centre, line, "busyness_variance"),
        ))
    return merged(plans, scenario)


def merged(plans: list[CentrePlan], scenario: Scenario) -> list[CentrePlan]:
    """S18: a merged utility line's seats join its region's 12345 centre (calls follow them in
    the network); the utility centre keeps its calls' identity but no seats of its own."""
    merge = scenario.merge
    if merge is None:
        return plans
    out = list(plans)
    keys = {p.key: p.index for p in plans}
    for p in plans:
        into = keys.get(f"{p.region}/{merge.into}")
        if p.line in merge.lines and into is not None:
            host = out[into]
            out[into] = replace(host, seats_by_hour=host.seats_by_hour + p.seats_by_hour)
            out[p.index] = replace(p, seats_by_hour=np.zeros_like(p.seats_by_hour))
    return out


def expected_calls_by_hour(plan: CentrePlan, scenario: Scenario) -> np.ndarray:
    """Mean first-attempt calls in each hour of the horizon (before any busyness factor)."""
    hours = math.ceil(scenario.horizon_hours)
    offset = scenario.start.hour + np.arange(hours)
    dow = (scenario.start.weekday() + offset // 24) % 7
    counts = plan.calls_per_day * plan.day_profile[dow] * plan.hour_profile[offset % 24]
    last = scenario.horizon_hours - (hours - 1)
    counts[-1] *= last  # a partial last hour
    return counts
