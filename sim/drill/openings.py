"""What the caller says: a short opening per inject, from templates with variation in place.

Templates per category kind, personas, places, emotions and English details live in
``sim/drill/data/openings.yaml`` (this module is its only reader). Every draw comes from the
drill's generator, the same indices for either language, so ``--lang zh`` and ``--lang en`` give
the same injects. No two openings of one script are alike: a repeat is drawn again, and after
:data:`MAX_TRIES` repeats the caller adds a call-back number.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from sim.domain.regions import load_regions
from sim.domain.taxonomy import Category

DATA = Path(__file__).resolve().parent / "data" / "openings.yaml"
LANGS = ("zh", "en")
MAX_TRIES = 12
MISDIALLED_REMARK = 0.5
"""Chance a misdialled caller says they were unsure which number to call."""


@dataclass(frozen=True)
class Caller:
    """The caller of one inject: who they are, how they sound, what they say first."""

    persona: str
    emotion: str
    opening: str


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    return yaml.safe_load(DATA.read_text(encoding="utf-8"))


def _pick(rng: np.random.Generator, items: list[Any]) -> Any:
    return items[int(rng.integers(len(items)))]


class OpeningWriter:
    """Writes callers for one script, remembering its openings so none repeats."""

    def __init__(self, lang: str) -> None:
        if lang not in LANGS:
            raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
        self.lang = lang
        self.data = _data()
        self.regions = load_regions()
        self.seen: set[str] = set()

    def write(self, rng: np.random.Generator, category: Category, line: str, region: str,
              challenge: str) -> Caller:
        """A caller for an inject of ``category`` dialled at ``line`` from ``region``."""
        caller = self._draw(rng, category, line, region, challenge)
        tries = 1
        while caller.opening in self.seen and tries < MAX_TRIES:
            caller = self._draw(rng, category, line, region, challenge)
            tries += 1
        if caller.opening in self.seen:
            number = f"1{int(rng.integers(30, 99))}{int(rng.integers(10**7, 10**8))}"
            extra = f"(回拨号码 {number})" if self.lang == "zh" else f" (call-back {number})"
            caller = Caller(caller.persona, caller.emotion, caller.opening + extra)
        self.seen.add(caller.opening)
        return caller

    def _draw(self, rng: np.random.Generator, category: Category, line: str, region: str,
              challenge: str) -> Caller:
        d, lang = self.data, self.lang
        persona = _pick(rng, d["personas"])[lang]
        group = "hostile" if category.kind == "harassment" else category.urgency
        emotion = _pick(rng, d["emotions"][group])
        slots = {"place": self._place(rng, region), "detail": self._detail(rng, category),
                 "emotion": emotion[f"say_{lang}"], "line": line,
                 "n": str(int(rng.integers(2, 31)))}
        template = _pick(rng, d["openings"][category.kind])[lang]
        text = template.format(**slots)
        text = self._remark(rng, text, challenge)
        return Caller(persona, emotion[lang], text)

    def _remark(self, rng: np.random.Generator, text: str, challenge: str) -> str:
        sep = "" if self.lang == "zh" else " "
        if challenge == "ambiguous":
            return text + sep + _pick(rng, self.data["ambiguous"])[self.lang]
        if challenge == "misdialled" and rng.random() < MISDIALLED_REMARK:
            return text + sep + _pick(rng, self.data["misdialled"])[self.lang]
        return text

    def _place(self, rng: np.random.Generator, region: str) -> str:
        place = _pick(rng, self.data["places"])[self.lang]
        name = region
        if region in self.regions:
            found = self.regions.get(region)
            name = found.zh if self.lang == "zh" else found.en
        return place.format(region=name, n=int(rng.integers(1, 41)))

    def _detail(self, rng: np.random.Generator, category: Category) -> str:
        index = int(rng.integers(len(category.items)))
        if self.lang == "zh":
            return category.items[index]
        english = self.data["details_en"].get(category.code)
        if not english:
            return category.en
        return english[index % len(english)]
