"""Categories as the model uses them: integer ids, per-line arrival mixes, per-category factors."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.domain.errors import ScenarioError
from sim.domain.lines import EMERGENCY_CLASS, ORDINARY_CLASS
from sim.domain.taxonomy import Category, Taxonomy, load_taxonomy
from sim.scenario.schema import Scenario

NO_CATEGORY = "-"
"""The category code of calls in a scenario without linkage."""


@dataclass(frozen=True)
class CategoryTable:
    """The diversion list bound to one scenario: ids, mixes per line, priorities, talk factors."""

    codes: tuple[str, ...]
    categories: tuple[Category | None, ...]
    mixes: dict[str, tuple[np.ndarray, np.ndarray]]  # line -> (category ids, probabilities)
    talk_factor: tuple[float, ...]
    priority: tuple[int, ...]  # queue class (sim.domain.lines): emergencies, the rest

    def draw(self, line: str, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` category ids for calls arriving at ``line``."""
        if line not in self.mixes:
            return np.zeros(n, dtype=np.int64)
        ids, p = self.mixes[line]
        return ids[rng.choice(len(ids), size=n, p=p)]


def plain_table() -> CategoryTable:
    """No linkage: a single category ``-``, resolved where it is answered."""
    return CategoryTable((NO_CATEGORY,), (None,), {}, (1.0,), (2,))


def category_table(scenario: Scenario) -> CategoryTable:
    """The scenario's categories (the diversion list, its mix or the scenario's mix)."""
    if scenario.linkage is None:
        return plain_table()
    taxonomy = load_taxonomy(scenario.linkage.diversion_list)
    return _bind(taxonomy, scenario)


def _bind(taxonomy: Taxonomy, scenario: Scenario) -> CategoryTable:
    codes = taxonomy.codes
    index = {code: i for i, code in enumerate(codes)}
    overrides = scenario.linkage.mix or {}
    mixes = {}
    for line in scenario.lines:
        if line in overrides:
            weights = overrides[line]
            unknown = [c for c in weights if c not in index]
            if unknown:
                raise ScenarioError(f"unknown category code {unknown[0]!r} (see "
                                    "scenarios/data/diversion-list.yaml)",
                                    key=f"linkage.mix.{line}", source=scenario.name)
            names, p = tuple(weights), np.asarray(list(weights.values()), dtype=float)
            if p.sum() <= 0:
                raise ScenarioError("weights sum to zero", key=f"linkage.mix.{line}",
                                    source=scenario.name)
            p = p / p.sum()
        elif line in taxonomy.lines:
            names, p = taxonomy.mix(line)
        else:
            raise ScenarioError(f"line {line!r} has no category mix in the diversion list; give "
                                f"linkage.mix.{line}", key=f"linkage.mix.{line}",
                                source=scenario.name)
        mixes[line] = (np.asarray([index[n] for n in names], dtype=np.int64), p)
    cats = tuple(taxonomy.get(c) for c in codes)
    return CategoryTable(
        codes=codes, categories=cats, mixes=mixes,
        talk_factor=tuple(c.talk_factor for c in cats),
        priority=tuple(EMERGENCY_CLASS if c.urgency == "emergency" else ORDINARY_CLASS
                       for c in cats),
    )
