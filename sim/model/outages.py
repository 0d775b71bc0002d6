"""Centre outages: while a centre is down its new calls go to a fallback centre.

The fallback follows a routing table like NG911's policy routing: the outage's own list of
centres if given, else the same line's centre in each neighbouring region, then the province.
"""

from __future__ import annotations

from sim.domain.lines import HOUR
from sim.domain.regions import load_regions
from sim.scenario.plan import CentrePlan
from sim.scenario.schema import Scenario


class OutageTable:
    """When each centre is down and where its calls go meanwhile."""

    def __init__(self, scenario: Scenario, plans: list[CentrePlan]) -> None:
        index = {p.key: p.index for p in plans}
        self.windows: dict[int, list[tuple[float, float]]] = {}
        self.fallbacks: dict[int, list[int]] = {}
        regions = load_regions()
        for outage in scenario.outages:
            c = index[outage.centre]
            self.windows.setdefault(c, []).append((outage.start_hours * HOUR,
                                                   outage.end_hours * HOUR))
            plan = plans[c]
            keys = list(outage.fallback) or [
                f"{n}/{plan.line}" for n in (regions.get(plan.region).neighbours
                                             if plan.region in regions.regions else ())
            ] + [f"{regions.province.code}/{plan.line}"]
            self.fallbacks[c] = [index[k] for k in keys if k in index and index[k] != c]
        self.rerouted: dict[int, int] = {}

    def __bool__(self) -> bool:
        return bool(self.windows)

    def down(self, centre: int, now: float) -> bool:
        """Whether ``centre`` takes no new calls at ``now``."""
        return any(a <= now < b for a, b in self.windows.get(centre, ()))

    def route(self, centre: int, now: float) -> int | None:
        """The centre a new call to ``centre`` reaches now (None: nowhere, the call is lost)."""
        if centre not in self.windows or not self.down(centre, now):
            return centre
        for fallback in self.fallbacks[centre]:
            if not self.down(fallback, now):
                self.rerouted[centre] = self.rerouted.get(centre, 0) + 1
                return fallback
        return None
