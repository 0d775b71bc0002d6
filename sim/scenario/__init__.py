"""Scenarios: the typed schema and the loader."""

from sim.scenario.loader import dump_resolved, load_scenario, resolve_path
from sim.scenario.schema import LINES, CentreSpec, LineSpec, Scenario, Seats

__all__ = ["LINES", "CentreSpec", "LineSpec", "Scenario", "Seats", "dump_resolved",
           "load_scenario", "resolve_path"]
