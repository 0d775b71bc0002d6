"""``hotline check``: offered load against seats, hour by hour, before anything runs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.arrivals import offered_erlangs_by_hour
from sim.scenario.plan import build_plans
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


def input_warnings(scenario: Scenario, loads: list[CentreLoad] | None = None) -> list[str]:
    """Inputs whose effects cross centres or lines, said before anything runs.

    Trunks (中继线) below the seats (callers get a busy signal with seats idle, redial, and
    their redials and transfers load the region's other lines); a seats ``minimum`` above the
    ``peak`` (the minimum wins every hour); offered load at or above the seats; and the
    centres a disaster, an incidents block, an outage, borrowing and the bot reach.
    """
    out = []
    plans = build_plans(scenario)
    for plan in plans:
        seats = int(plan.seats_by_hour.max()) if len(plan.seats_by_hour) else 0
        if plan.trunks is not None and plan.trunks < seats:
            out.append(f"{plan.key}: trunks {plan.trunks} < {seats} seats on duty at most: "
                       "callers beyond the trunks get a busy signal with seats idle; their "
                       "redials and transfers load this region's other lines")
        spec = scenario.centres[plan.key].seats
        if spec.peak is not None and spec.minimum > spec.peak:
            out.append(f"{plan.key}: seats minimum {spec.minimum} > peak {spec.peak}: the "
                       f"minimum holds every hour, so the centre has {spec.minimum} seats "
                       "throughout")
    over = [r for r in (loads if loads is not None else centre_loads(scenario)) if r.warning]
    if over:
        names = ", ".join(r.key for r in over[:8]) + (f" and {len(over) - 8} more"
                                                      if len(over) > 8 else "")
        out.append(f"{len(over)} centre(s) have hours with offered load ≥ seats (queues grow, "
                   f"callers abandon and redial): {names}")
    return out + reach_notes(scenario, plans)


def reach_notes(scenario: Scenario, plans=None) -> list[str]:
    """Which centres each disaster, incidents block, outage, borrowing rule and the bot reach."""
    plans = plans if plans is not None else build_plans(scenario)
    regions = sorted({p.region for p in plans})
    out = []
    for d in scenario.disasters:
        hit = [p.key for p in plans if p.region in d.regions and (p.line in d.lines
                                                                 or d.suppression)]
        out.append(f"disaster {d.name!r} reaches {len(hit)} centre(s): regions "
                   + ", ".join(f"{c} ×{x:g}" for c, x in d.regions.items())
                   + f"; lines {', '.join(d.lines)}"
                   + ("; suppression on every line there" if d.suppression else ""))
    for line, spec in scenario.incidents.items():
        if spec.regions is None:
            out.append(f"incidents of {line} reach every region ({len(regions)}): add "
                       f"incidents.{line}.regions to scope them")
        else:
            out.append(f"incidents of {line} reach {len(spec.regions)} region(s): "
                       + ", ".join(spec.regions))
    for o in scenario.outages:
        out.append(f"outage of {o.centre} from {o.start_hours:g} h to {o.end_hours:g} h: its "
                   f"calls go to {', '.join(o.fallback) or 'its neighbours, then the province'}")
    for b in scenario.borrowing:
        if b.enabled:
            out.append(f"remote-seat borrowing for {b.line}: every {b.line} centre may borrow "
                       f"(cap {b.cap}) and lend")
    if scenario.bot is not None and scenario.bot.enabled and scenario.bot.lines:
        out.append(f"bot on {', '.join(scenario.bot.lines)} ({scenario.bot.when}) at every "
                   "centre of those lines")
    return out
