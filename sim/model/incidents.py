"""Incidents: one event, several callers (several people report the same fire).

Incidents arrive as a Poisson process per centre (``rate_per_day``, multiplied during a
disaster by its surge curve and ``incident_factor``); each has a caller count (at least one)
and its callers ring in over the next minutes. Every record of those calls carries the
incident's id. A block with ``regions`` happens only at the centres of those regions.
"""

from __future__ import annotations

import math

import numpy as np

from sim.domain.lines import DAY, HOUR
from sim.model.surges import affecting, surge_shape
from sim.scenario.plan import CentrePlan
from sim.scenario.schema import Scenario


def incident_calls(plan: CentrePlan, scenario: Scenario, codes: dict[str, int],
                   rng: np.random.Generator, first_id: int
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(times, category ids, incident ids) of incident callers at one centre."""
    spec = scenario.incidents.get(plan.line)
    empty = (np.empty(0), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))
    if spec is None or spec.rate_per_day <= 0 or not spec.reaches(plan.region):
        return empty
    step = 600.0
    n = math.ceil(scenario.horizon / step)
    mids = (np.arange(n) + 0.5) * step / HOUR
    rate = np.full(n, spec.rate_per_day * step / DAY)
    for disaster, x in affecting(scenario, plan):
        surge = disaster.lines.get(plan.line)
        if surge is not None:
            level = x * np.clip(surge_shape(surge, mids - disaster.start_hours), 0, None)
            rate *= 1.0 + (disaster.incident_factor - 1.0) * level
    counts = rng.poisson(rate)
    starts = np.repeat(np.arange(n) * step, counts) + rng.random(int(counts.sum())) * step
    if len(starts) == 0:
        return empty
    callers = np.maximum(1, np.ceil(spec.callers.sample(rng, len(starts)))).astype(np.int64)
    names = list(spec.categories)
    p = np.asarray(list(spec.categories.values()), dtype=float)
    cats = np.asarray([codes[c] for c in names])[rng.choice(len(names), len(starts), p=p / p.sum())]
    ids = first_id + np.arange(len(starts))
    delays = spec.spread.sample(rng, int(callers.sum()))
    first = np.cumsum(callers) - callers  # index of each incident's first caller
    delays[first] = 0.0  # the first caller rings when it happens
    times = np.repeat(starts, callers) + delays
    keep = times < scenario.horizon
    return times[keep], np.repeat(cats, callers)[keep], np.repeat(ids, callers)[keep]
