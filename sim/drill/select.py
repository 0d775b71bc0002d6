"""Which calls become injects, for whom, and of which category and challenge.

- **Thinning to the trainees' pace.** A window of ``duration`` seconds for ``trainees`` people
  holds at most ``trainees × duration / pace`` injects (default pace: one inject per trainee
  every 120 s). When the window has more calls, that many are drawn at random without
  replacement, so busy stretches (a surge) still bring more injects than quiet ones.
- **Trainees.** Injects go round-robin in time order (T1, T2, …). One trainee's injects are at
  least :data:`MIN_GAP_S` apart: an inject that would come sooner waits; one pushed past the end
  of the window is dropped.
- **Challenge (难度).** Each inject draws a challenge with the difficulty's shares: *emergency*
  (the category's urgency is emergency), *misdialled* (错拨: another line owns it, not an
  emergency), *ambiguous* (职责不清: a category with ``scope_unclear`` > 0; answered by a
  three-way call) or *routine* (the line dialled owns it, or no line does).
- **Category.** The call record's category when it is a diversion-list code, else one drawn from
  the line's mix (``Taxonomy.mix``) — the fallback while the model writes ``-``. When that
  category does not fit the challenge, it is redrawn from the line's mix restricted to the
  categories that fit (the whole list, evenly, when the line's mix has none). Invalid calls
  (无效呼叫) are kept or drawn at :data:`INVALID_WEIGHT` of their weight: silence trains little.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.domain.lines import GOVERNMENT_LINE, POLICE_LINE
from sim.domain.taxonomy import Category, Taxonomy
from sim.drill.traffic import WindowCall

CHALLENGES = ("routine", "emergency", "misdialled", "ambiguous")
DIFFICULTY: dict[str, dict[str, float]] = {
    "easy": {"ambiguous": 0.05, "misdialled": 0.10, "emergency": 0.10},
    "mixed": {"ambiguous": 0.15, "misdialled": 0.20, "emergency": 0.20},
    "hard": {"ambiguous": 0.25, "misdialled": 0.30, "emergency": 0.25},
}
"""Share of each challenge per difficulty; the rest is routine."""
DEFAULT_PACE_S = 120.0
MIN_GAP_S = 45
INVALID_WEIGHT = 0.2


@dataclass(frozen=True)
class Slot:
    """A selected call, placed in the drill: its trainee and its offset from the drill start."""

    call: WindowCall
    trainee: str
    offset_s: int


@dataclass(frozen=True)
class Drawn:
    """The category of an inject, its challenge and where the category came from."""

    category: Category
    challenge: str
    source: str  # "record", "mix" (fallback draw) or "reshaped" (redrawn for the challenge)


def thin(rng: np.random.Generator, calls: Sequence[WindowCall], trainees: int,
         duration: float, pace: float) -> list[WindowCall]:
    """At most ``trainees × duration / pace`` of ``calls``, drawn at random, in time order."""
    limit = max(1, math.floor(trainees * duration / pace))
    if len(calls) <= limit:
        return list(calls)
    chosen = np.sort(rng.choice(len(calls), size=limit, replace=False))
    return [calls[int(i)] for i in chosen]


def assign(calls: Sequence[WindowCall], trainees: int, start: float,
           duration: float) -> list[Slot]:
    """Round-robin trainees in time order, each trainee's injects ``MIN_GAP_S`` apart."""
    last: dict[str, int] = {}
    slots = []
    for k, call in enumerate(calls):
        trainee = f"T{k % trainees + 1}"
        offset = int(call.arrival - start)
        if trainee in last:
            offset = max(offset, last[trainee] + MIN_GAP_S)
        if offset >= duration:
            continue
        last[trainee] = offset
        slots.append(Slot(call, trainee, offset))
    return sorted(slots, key=lambda s: (s.offset_s, int(s.trainee[1:])))


def fits(category: Category, line: str, challenge: str) -> bool:
    """Whether a call of ``category`` dialled at ``line`` poses ``challenge``."""
    emergency = category.urgency == "emergency"
    if challenge == "emergency":
        return emergency
    if challenge == "misdialled":
        return category.transferred_from(line) and not emergency
    if challenge == "ambiguous":
        # As in the model (sim/model/linkage/routing.py): a three-way call over an unclear scope is a
        # 12345↔110 matter, for a matter some line owns (S1 exclusions get guidance).
        return category.scope_unclear > 0 and not category.out_of_scope \
            and line in (GOVERNMENT_LINE, POLICE_LINE)
    return not emergency and not category.transferred_from(line)


def natural_challenge(category: Category, line: str) -> str:
    """The challenge a call of ``category`` at ``line`` poses without an ambiguity draw."""
    for challenge in ("emergency", "misdialled"):
        if fits(category, line, challenge):
            return challenge
    return "routine"


def draw_challenge(rng: np.random.Generator, difficulty: str) -> str:
    """One challenge with the difficulty's shares."""
    shares = DIFFICULTY[difficulty]
    p = [1.0 - sum(shares.values()), shares["emergency"], shares["misdialled"],
         shares["ambiguous"]]
    return CHALLENGES[int(rng.choice(len(CHALLENGES), p=p))]


def _weights(taxonomy: Taxonomy, line: str, keep) -> tuple[list[str], np.ndarray]:
    codes, p = taxonomy.mix(line) if line in taxonomy.lines else (taxonomy.codes, None)
    if p is None:
        p = np.ones(len(codes))
    w = np.array([p[i] * (INVALID_WEIGHT if taxonomy.get(c).kind == "invalid" else 1.0)
                  * keep(taxonomy.get(c)) for i, c in enumerate(codes)])
    return list(codes), w


def _draw_from(rng: np.random.Generator, taxonomy: Taxonomy, line: str, keep) -> Category | None:
    codes, w = _weights(taxonomy, line, keep)
    if w.sum() <= 0:
        codes = [c for c in taxonomy.codes if keep(taxonomy.get(c))]
        if not codes:
            return None
        w = np.ones(len(codes))
    return taxonomy.get(codes[int(rng.choice(len(codes), p=w / w.sum()))])


def draw_category(rng: np.random.Generator, taxonomy: Taxonomy, call: WindowCall,
                  difficulty: str) -> Drawn:
    """The category and challenge of the inject made from ``call`` (rules in the docstring)."""
    challenge = draw_challenge(rng, difficulty)
    if call.category in taxonomy:
        category, source = taxonomy.get(call.category), "record"
    else:
        category = _draw_from(rng, taxonomy, call.line, lambda c: 1.0)
        source = "mix"
    assert category is not None  # the whole list is never empty
    # Drawn categories already carry the invalid weight; recorded ones are thinned here.
    keep_invalid = (source != "record" or category.kind != "invalid"
                    or rng.random() < INVALID_WEIGHT)
    if fits(category, call.line, challenge) and keep_invalid:
        return Drawn(category, challenge, source)
    redrawn = _draw_from(rng, taxonomy, call.line,
                         lambda c: float(fits(c, call.line, challenge)))
    if redrawn is None:
        return Drawn(category, natural_challenge(category, call.line), source)
    return Drawn(redrawn, challenge, "reshaped")
