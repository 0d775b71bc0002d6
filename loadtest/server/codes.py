"""The region and category codes the API accepts.

Region codes are GB/T 2260 codes from ``scenarios/data/regions.yaml`` (``sim.domain.regions``);
category codes are those of the diversion list (``sim.domain.taxonomy``). Both are read once.
"""

from __future__ import annotations

from functools import lru_cache

from sim.domain.regions import load_regions
from sim.domain.taxonomy import category_codes as taxonomy_category_codes


@lru_cache(maxsize=1)
def region_codes() -> frozenset[str]:
    """Every known region code (the province included)."""
    return frozenset(load_regions().codes)


@lru_cache(maxsize=1)
def category_codes() -> frozenset[str]:
    """Every category code of the diversion list (分流转办事项清单)."""
    return frozenset(taxonomy_category_codes())
