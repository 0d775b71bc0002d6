"""The directory of centres: which centre answers a line for a region, now.

A region's call to a line reaches the region's own centre of that line, else a neighbour's,
else the province's; while that centre is down (an outage) its fallback. Under an S18 merge a
utility line's calls reach the seats of its region's 12345 centre, so two centre indexes can
share one ``Centre``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.domain.regions import load_regions
from sim.domain.taxonomy import OWNERS
from sim.model.outages import OutageTable

if TYPE_CHECKING:
    from sim.model.centre import Centre
    from sim.model.loop import ModelEnvironment
    from sim.scenario.plan import CentrePlan
    from sim.scenario.schema import Scenario


class Directory:
    """The centres of one replication by index, and the lines and regions they serve."""

    def __init__(self, scenario: Scenario, plans: list[CentrePlan], env: ModelEnvironment) -> None:
        self.scenario = scenario
        self.plans = plans
        self.env = env
        self.line_names = list(dict.fromkeys([*scenario.lines, *OWNERS[:-1]]))
        self._line_index = {line: i for i, line in enumerate(self.line_names)}
        self._directory = {(p.region, p.line): p.index for p in plans}
        self._found: dict[tuple[str, str], int | None] = {}  # centre_for, looked up once
        self.outages = OutageTable(scenario, plans)
        self.has_outages = bool(self.outages)
        self.centres: list[Centre] = []
        """The centre answering each centre index (merged lines: the serving centre)."""
        self.unique_centres: list[Centre] = []
        self.serving: list[int] = []
        """Whose seats answer each centre's calls (its own index unless merged)."""

    def attach(self, centres: list[Centre]) -> None:
        """Take the replication's centres, one per plan, and apply the S18 merge."""
        self.centres[:] = centres
        merge = self.scenario.merge
        if merge is not None:
            keys = {p.key: p.index for p in self.plans}
            for p in self.plans:
                if p.line in merge.lines and f"{p.region}/{merge.into}" in keys:
                    serving = self.centres[keys[f"{p.region}/{merge.into}"]]
                    serving.lines.add(p.line)
                    self.centres[p.index] = serving
        self.unique_centres = list({id(c): c for c in self.centres}.values())
        self.serving = [c.index for c in self.centres]

    def line_index(self, line: str) -> int:
        """The integer id of a line name in records (``to_line``)."""
        return self._line_index[line]

    def centre_for(self, region: str, line: str) -> int | None:
        """The centre serving ``line`` for ``region``: its own, a neighbour's, the province's."""
        key = (region, line)
        try:
            return self._found[key]
        except KeyError:
            index = self._found[key] = self._centre_for(region, line)
            return index

    def _centre_for(self, region: str, line: str) -> int | None:
        index = self._directory.get((region, line))
        if index is not None:
            return index
        regions = load_regions()
        if region in regions.regions:
            for neighbour in regions.get(region).neighbours:
                index = self._directory.get((neighbour, line))
                if index is not None:
                    return index
        return self._directory.get((regions.province.code, line))

    def reachable(self, region: str, line: str) -> int | None:
        """The centre a leg for ``line`` from ``region`` reaches now: the directory's centre, or
        while that one is down its outage fallback (None: no centre can take it)."""
        try:
            index = self._found[(region, line)]
        except KeyError:
            index = self.centre_for(region, line)
        if index is None or not self.has_outages:
            return index
        return self.outages.route(index, self.env.now)
