"""The stream of first attempts for one replication: every centre's Poisson arrivals and
incident callers, with their categories (shifted during a disaster), merged in time order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.domain.lines import HOUR, MINUTE
from sim.domain.streams import Streams
from sim.model.arrivals import arrival_times
from sim.model.incidents import incident_calls
from sim.model.linkage.categories import CategoryTable
from sim.model.surges import affecting, surge_multiple, surge_shape
from sim.scenario.plan import CentrePlan
from sim.scenario.schema import Scenario


@dataclass
class Feed:
    """First attempts in time order (plain lists: the hot loop reads them one by one).

    Besides when, where and what, each caller brings its own draws, made per centre in that
    centre's arrival order (so they belong to the caller whatever happens later: common random
    numbers, sim.domain.draws): its random ``keys``, its ``patience`` (before any disaster factor),
    and the ``talk`` and ``wraps`` of its first leg. ``settled``: where asked for
    (``build_feed``'s ``settle``), what its first leg comes to if answered at once
    (``sim.model.linkage.settled``'s outcome; None where routing may do more).
    """

    times: list[float]
    centres: list[int]
    categories: list[int]
    incidents: list[int]
    keys: list[int]
    patience: list[float]
    talk: list[float]
    wraps: list[float]
    settled: list[tuple | None] | None = None


def shift_mix(plan: CentrePlan, scenario: Scenario, table: CategoryTable, times: np.ndarray,
              cats: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """During a surge, a share of calls (growing with the curve) takes the disaster's mix."""
    index = {c: i for i, c in enumerate(table.codes)}
    for disaster, x in affecting(scenario, plan):
        surge = disaster.lines.get(plan.line)
        if surge is None or not surge.mix_shift:
            continue
        level = x * surge_level_one(surge, times / HOUR - disaster.start_hours)
        swap = rng.random(len(times)) < level * surge.mix_shift_share
        names = [c for c in surge.mix_shift if c in index]
        p = np.asarray([surge.mix_shift[c] for c in names], dtype=float)
        if swap.any() and p.sum() > 0:
            picks = rng.choice(len(names), int(swap.sum()), p=p / p.sum())
            cats = cats.copy()
            cats[swap] = np.asarray([index[n] for n in names])[picks]
    return cats


def surge_level_one(surge, hours: np.ndarray) -> np.ndarray:
    """The surge curve (0..1) of one surge spec."""
    return np.clip(surge_shape(surge, hours), 0, 1) if surge.table is None else \
        np.clip(surge_shape(surge, hours) / max(max(m for _, m in surge.table) - 1, 1e-9), 0, 1)


Settle = Callable[[np.ndarray, np.ndarray, np.ndarray], list]
"""``DiversionRouter.settled_first``: outcomes from the centres, categories and keys."""


def build_feed(plans: list[CentrePlan], scenario: Scenario, table: CategoryTable,
               streams: Streams, settle: Settle | None = None) -> Feed:
    """Every centre's first attempts, merged and sorted by time (ties keep centre order);
    ``settle`` fills ``Feed.settled``."""
    parts = []
    next_incident = 0
    for p in plans:
        t = arrival_times(p, scenario, streams(f"arrivals:{p.key}"))
        rng = streams(f"categories:{p.key}")
        cats = shift_mix(p, scenario, table, t, table.draw(p.line, len(t), rng), rng)
        it, ic, ii = incident_calls(p, scenario, {c: i for i, c in enumerate(table.codes)},
                                    streams(f"incidents:{p.key}"), next_incident)
        next_incident += len(np.unique(ii)) if len(ii) else 0
        n = len(t) + len(it)
        parts.append((np.concatenate([t, it]), np.full(n, p.index),
                      np.concatenate([cats, ic]).astype(np.int64),
                      np.concatenate([np.full(len(t), -1), ii]).astype(np.int64),
                      *caller_draws(p, n, streams)))
    if not parts:
        return Feed([], [], [], [], [], [], [], [])
    columns = [np.concatenate(x) for x in zip(*parts, strict=True)]
    times = columns[0]
    if not np.all(times[:-1] <= times[1:]):  # (in order already, as one centre's arrivals are:
        order = np.argsort(times, kind="stable")  # the stable sort would change nothing)
        columns = [c[order] for c in columns]
    settled = None if settle is None else settle(columns[1], columns[2], columns[4])
    return Feed(*(c.tolist() for c in columns), settled=settled)


def caller_draws(plan: CentrePlan, n: int, streams: Streams) -> tuple[np.ndarray, ...]:
    """Keys, patience, first talk and first wrap-up of a centre's ``n`` first attempts."""
    return (streams(f"callers:{plan.key}").integers(0, 1 << 63, n, dtype=np.int64),
            plan.patience.sample(streams(f"patience:{plan.key}"), n),
            plan.talk.sample(streams(f"service:{plan.key}"), n),
            plan.wrapup.sample(streams(f"wrapup:{plan.key}"), n))


def minute_grids(plans: list[CentrePlan], scenario: Scenario) -> dict[str, dict[int, np.ndarray]]:
    """Per affected centre, per minute: the surge multiple, patience and redial multipliers."""
    grids: dict[str, dict[int, np.ndarray]] = {"multiple": {}, "patience": {}, "redial": {}}
    minutes = (np.arange(int(np.ceil(scenario.horizon / MINUTE))) + 0.5) / MINUTE
    for p in plans:
        found = [(d, x) for d, x in affecting(scenario, p) if p.line in d.lines]
        if not found:
            continue
        multiple = np.ones_like(minutes)
        patience = np.ones_like(minutes)
        redial = np.ones_like(minutes)
        for disaster, x in found:
            surge = disaster.lines[p.line]
            since = minutes - disaster.start_hours
            multiple *= surge_multiple(surge, x, since)
            level = x * surge_level_one(surge, since)
            patience *= 1 + (surge.patience_factor - 1) * level
            redial *= 1 + (surge.redial_factor - 1) * level
        grids["multiple"][p.index] = multiple
        grids["patience"][p.index] = patience
        grids["redial"][p.index] = redial
    return grids
