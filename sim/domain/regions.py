"""Administrative regions (行政区划) with their GB/T 2260 codes, populations and neighbours.

The data lives in ``scenarios/data/regions.yaml``; this module is the only reader of that file.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from sim.domain import datafiles
from sim.domain.paths import DATA_DIR


@dataclass(frozen=True)
class Region:
    """One region: its code, names, census population (10 k people) and neighbour codes."""

    code: str
    zh: str
    en: str
    population_10k: float
    neighbours: tuple[str, ...] = ()


@dataclass(frozen=True)
class RegionTable:
    """All known regions, with the province they belong to."""

    province: Region
    regions: dict[str, Region]

    def __contains__(self, code: object) -> bool:
        return code == self.province.code or code in self.regions

    def get(self, code: str) -> Region:
        """The region with this code (the province included); KeyError if unknown."""
        if code == self.province.code:
            return self.province
        return self.regions[code]

    @property
    def codes(self) -> tuple[str, ...]:
        """Every known code, the province first."""
        return (self.province.code, *self.regions)


def load_regions(path: Path | None = None) -> RegionTable:
    """Load the region table (cached); ``path`` defaults to the shipped Gansu table. In a
    cluster task the table comes from the text the client sent (``sim.domain.datafiles``)."""
    path = path or DATA_DIR / "regions.yaml"
    if datafiles.current() is not None:
        return _parse(datafiles.read_text(path))
    return _load_file(path)


@lru_cache(maxsize=4)
def _load_file(path: Path) -> RegionTable:
    return _parse(path.read_text(encoding="utf-8"))


@lru_cache(maxsize=4)
def _parse(text: str) -> RegionTable:
    raw = yaml.safe_load(text)
    prov = raw["province"]
    province = Region(str(prov["code"]), prov["zh"], prov["en"], 0.0)
    regions = {
        str(code): Region(
            str(code), r["zh"], r["en"], float(r["population_10k"]),
            tuple(str(n) for n in r.get("neighbours", ())),
        )
        for code, r in raw["regions"].items()
    }
    total = sum(r.population_10k for r in regions.values())
    province = Region(province.code, province.zh, province.en, total)
    return RegionTable(province, regions)
