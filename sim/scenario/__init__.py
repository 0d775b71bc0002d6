"""Scenarios: the typed schema and the loader."""

from sim.scenario.loader import dump_resolved, load_scenario, resolve_path, with_overrides
from sim.scenario.schema import LINES, CentreSpec, LineSpec, Provenance, Scenario, Seats

__all__ = ["LINES", "CentreSpec", "LineSpec", "Provenance", "Scenario", "Seats", "dump_resolved",
           "load_scenario", "resolve_path", "with_overrides"]
