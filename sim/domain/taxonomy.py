"""The call taxonomy and the diversion list (分流转办事项清单, design S6).

The data lives in ``scenarios/data/diversion-list.yaml``; ``load_taxonomy`` validates it once
(the reader and its checks: ``sim.domain.diversion_list``) into frozen objects: every call
category with the line that owns it (S1, S2, S10), how that line handles it, how it is
transferred when it reaches another line (S3-S5), the flags the routing rules read (S7-S9,
S11), and the baseline mix of categories arriving at each line. Every problem raises :class:`sim.domain.errors.InputError` naming the
key path (``categories[3].owner``, ``mix.110.P-CRIME``) and the file line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal, get_args

import numpy as np

from sim.domain import datafiles
from sim.domain.lines import LINES, UTILITY_LINES
from sim.domain.paths import DATA_DIR

DEFAULT_PATH = DATA_DIR / "diversion-list.yaml"

NO_OWNER = "none"
"""Owner of matters no line takes: S1 exclusions (guidance only) and invalid calls."""
OWNERS = (*LINES, *UTILITY_LINES, NO_OWNER)
MIX_TOLERANCE = 1e-3
"""How far a line's raw mix weights may sum from 1 before the file is rejected."""

Kind = Literal["consultation", "help", "complaint", "report", "suggestion", "emergency",
               "harassment", "out_of_scope", "invalid"]
"""咨询 求助 投诉 举报 建议 (12345's request types), plus emergency, harassment (骚扰),
out_of_scope (S1 exclusions) and invalid (无效呼叫: silent, misdial, hang-up)."""
Urgency = Literal["emergency", "urgent", "normal"]
Handling = Literal["resolve", "work_order", "police_order", "dispatch", "guidance", "dual"]
TransferMode = Literal["one_key", "three_way", "system_dispatch"]
KINDS: tuple[str, ...] = get_args(Kind)
URGENCIES: tuple[str, ...] = get_args(Urgency)
HANDLINGS: tuple[str, ...] = get_args(Handling)
TRANSFER_MODES: tuple[str, ...] = get_args(TransferMode)


@dataclass(frozen=True)
class Category:
    """One call category of the diversion list and the rules that route it.

    ``owner`` is the line that handles it (``"none"``: the receiving line handles it itself and
    never transfers it). ``transfer_mode`` is how another line passes it on: ``one_key``
    (一键携号转接, S3), ``three_way`` (三方通话, S4) or ``system_dispatch`` (系统派件, S5).
    ``scope_unclear`` is the chance the call-taker cannot tell the owner and opens a three-way
    call. ``talk_factor`` multiplies the line's mean talk time.
    """

    code: str
    zh: str
    en: str
    items: tuple[str, ...]
    owner: str
    kind: Kind
    urgency: Urgency
    handling: Handling
    transfer_mode: TransferMode | None = None
    danger: bool = False
    violent_dispute: bool = False
    harassment: bool = False
    outage: bool = False
    scope_unclear: float = 0.0
    department: str | None = None
    talk_factor: float = 1.0

    @property
    def out_of_scope(self) -> bool:
        """True when no line owns the matter (S1 exclusions, invalid calls)."""
        return self.owner == NO_OWNER

    def transferred_from(self, line: str) -> bool:
        """True when a call of this category arriving at ``line`` must go to its owner."""
        return self.owner not in (line, NO_OWNER)


@dataclass(frozen=True)
class Taxonomy:
    """All categories (in file order) and the baseline category mix arriving at each line."""

    categories: Mapping[str, Category]
    raw_mix: Mapping[str, Mapping[str, float]]
    source: str = ""

    def __contains__(self, code: object) -> bool:
        return code in self.categories

    def __len__(self) -> int:
        return len(self.categories)

    @property
    def codes(self) -> tuple[str, ...]:
        """Every category code, in file order."""
        return tuple(self.categories)

    @property
    def lines(self) -> tuple[str, ...]:
        """The lines that have a baseline mix, in file order."""
        return tuple(self.raw_mix)

    def get(self, code: str) -> Category:
        """The category with this code; ``KeyError`` if unknown."""
        try:
            return self.categories[code]
        except KeyError:
            raise KeyError(f"unknown call category {code!r}") from None

    def index(self, code: str) -> int:
        """Position of ``code`` in :attr:`codes` (the integer id a call record may carry)."""
        try:
            return self.codes.index(code)
        except ValueError:
            raise KeyError(f"unknown call category {code!r}") from None

    def owner_of(self, code: str) -> str:
        """The line that owns ``code`` (``"none"`` for out-of-scope and invalid calls)."""
        return self.get(code).owner

    def mix(self, line: str) -> tuple[tuple[str, ...], np.ndarray]:
        """Category codes arriving at ``line`` and their probabilities (a fresh array, sum 1)."""
        try:
            weights = self.raw_mix[line]
        except KeyError:
            raise KeyError(f"no category mix for line {line!r}; lines: {self.lines}") from None
        p = np.fromiter(weights.values(), dtype=float, count=len(weights))
        return tuple(weights), p / p.sum()


def _parse(path: Path) -> Taxonomy:
    from sim.domain.diversion_list import parse  # it builds this module's objects

    return parse(path)


@lru_cache(maxsize=1)
def _default() -> Taxonomy:
    return _parse(DEFAULT_PATH)


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Load and validate a diversion list; ``None`` gives the shipped one (cached).

    Raises :class:`sim.domain.errors.InputError` naming the key path and line of the first problem.
    """
    if datafiles.current() is not None:  # in a cluster task: the text the client sent
        where = Path(path or DEFAULT_PATH)
        return _bundled(where, datafiles.read_text(where))
    if path is None:
        return _default()
    return _parse(Path(path))


@lru_cache(maxsize=4)
def _bundled(path: Path, text: str) -> Taxonomy:
    """A bundled diversion list, parsed once per worker process for each text sent."""
    return _parse(path)  # reads ``text`` again from the bundle in this context


def category_codes() -> frozenset[str]:
    """The category codes of the shipped diversion list (for other modules' validation)."""
    return frozenset(_default().categories)
