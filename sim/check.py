"""``hotline check``: offered load against seats, hour by hour, before anything runs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.arrivals import offered_erlangs_by_hour
from sim.plan import build_plans
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class CentreLoad:
    """One centre's peak offered load and its seats, and the hours where load ≥ seats."""

    key: str
    calls_per_day: float
    peak_erlangs: float
    seats_at_peak: int
    mean_erlangs: float
    mean_seats: float
    overloaded_hours: tuple[int, ...]

    @property
    def warning(self) -> bool:
        """True when some hour offers at least as many Erlangs as there are seats."""
        return bool(self.overloaded_hours)


def centre_loads(scenario: Scenario) -> list[CentreLoad]:
    """Per centre: offered Erlangs per hour (calls/hour × mean handle time) against seats."""
    rows = []
    hours = int(np.ceil(scenario.horizon_hours))
    for plan in build_plans(scenario):
        load = offered_erlangs_by_hour(plan, scenario)
        seats = plan.seats_by_hour[:hours].astype(float)
        peak = int(np.argmax(load)) if len(load) else 0
        over = tuple(int(h) for h in np.flatnonzero((load >= seats) & (load > 0)))
        rows.append(CentreLoad(plan.key, plan.calls_per_day, float(load[peak]),
                               int(seats[peak]), float(load.mean()), float(seats.mean()), over))
    return rows


def format_loads(rows: list[CentreLoad]) -> str:
    """The check as a table, warnings flagged, with a closing count."""
    head = f"{'centre 中心':<16}{'calls/day':>10}{'peak Erl':>10}{'seats@peak':>11}" \
           f"{'mean Erl':>10}{'mean seats':>11}  overloaded hours 超负荷小时"
    out = [head, "-" * len(head)]
    for r in rows:
        hours = _ranges(r.overloaded_hours)
        out.append(f"{r.key:<16}{r.calls_per_day:>10.0f}{r.peak_erlangs:>10.1f}"
                   f"{r.seats_at_peak:>11d}{r.mean_erlangs:>10.1f}{r.mean_seats:>11.1f}  "
                   + (f"WARNING load ≥ seats in hours {hours}" if hours else "ok"))
    n = sum(r.warning for r in rows)
    out.append(f"{n} of {len(rows)} centres have hours where offered load ≥ seats.")
    return "\n".join(out)


def _ranges(hours: tuple[int, ...], limit: int = 6) -> str:
    if not hours:
        return ""
    spans, start, prev = [], hours[0], hours[0]
    for h in hours[1:] + (None,):
        if h is not None and h == prev + 1:
            prev = h
            continue
        spans.append(f"{start}" if start == prev else f"{start}-{prev}")
        if h is not None:
            start = prev = h
    more = f" (+{len(spans) - limit} more)" if len(spans) > limit else ""
    return ", ".join(spans[:limit]) + more
