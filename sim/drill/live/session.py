"""The rules of a live drill: when injects ring, when a call is missed, what a decision may be.

One :class:`LiveDrill` owns the clock, the answer key and the store. An inject is *delivered*
(rings at its trainee's console) once the drill clock reaches its offset; it is *missed* when no
decision came within its target time plus a grace period, or when the drill ended without one.
A decision is checked (its own inject, delivered, not decided, not missed, codes from the lists),
stamped with the server's drill time, committed, and only then acknowledged. Scores come from
:func:`sim.drill.score.score_responses`, the code of ``hotline drill score``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.drill.live.clock import ENDED, READY, RUNNING, DrillClock
from sim.drill.live.store import Store
from sim.drill.play import load_drill
from sim.drill.score import load_key
from sim.errors import InputError
from sim.taxonomy import NO_OWNER, OWNERS

TARGET_LINES = tuple(o for o in OWNERS if o != NO_OWNER)
HEARTBEAT_S = 0.5
"""Real seconds between saves of a running clock: the most a kill -9 can set the clock back."""


class DecisionError(Exception):
    """A refused decision: HTTP status, a stable code, a message and the field at fault."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


@dataclass(frozen=True)
class Submission:
    """A decision as a trainee's console sends it (the server adds the time)."""

    decision_id: str
    inject_id: int
    category: str
    handling: str
    target_line: str
    first_dispatch: str


@dataclass(frozen=True)
class DrillFiles:
    """A drill directory's ``drill.json`` and answer key, checked against each other."""

    meta: dict[str, Any]
    phases: list[dict[str, Any]]
    injects: dict[int, dict[str, Any]]
    key: dict[int, dict[str, Any]]

    @classmethod
    def read(cls, directory: Path) -> DrillFiles:
        """Read and check (``InputError`` naming the file and inject when they disagree)."""
        doc = load_drill(directory)
        key = load_key(directory)
        injects = _checked(directory, doc, key)
        return cls(doc["meta"], doc.get("phases", []), injects, key)


class LiveDrill:
    """A drill directory played live: the clock, the key, the decisions and their store."""

    def __init__(self, files: DrillFiles, store: Store, speed: float, grace_s: float,
                 real: Callable[[], float] = time.monotonic) -> None:
        self.key, self.injects = files.key, files.injects
        self.meta, self.phases = files.meta, files.phases
        self.trainees = sorted({i["trainee"] for i in self.injects.values()},
                               key=lambda t: (len(t), t))
        self.store, self.grace_s, self.real = store, grace_s, real
        status, drill_s = store.clock()
        drill_s = max([drill_s, *(d.decided_at_s for d in store.decisions())])
        self.clock = DrillClock(speed, float(self.meta["duration_s"]), status, drill_s, real)
        self.decisions = {d.inject_id: d for d in store.decisions()}
        self.version = 0
        self._signature = self.signature()
        self._saved_at = real()

    def now(self) -> float:
        """Drill seconds now."""
        return self.clock.now()

    def delivered(self, inject_id: int, now: float | None = None) -> bool:
        """Has this inject rung yet?"""
        now = self.now() if now is None else now
        return self.clock.status != READY and int(self.injects[inject_id]["offset_s"]) <= now

    def missed(self, inject_id: int, now: float | None = None) -> bool:
        """Undecided past its target plus the grace period, or at the end of the drill."""
        if inject_id in self.decisions:
            return False
        now = self.now() if now is None else now
        deadline = int(self.injects[inject_id]["offset_s"]) + self.key[inject_id]["target_s"]
        return (self.clock.status == ENDED and self.delivered(inject_id, now)) or \
            (self.delivered(inject_id, now) and now > deadline + self.grace_s)

    def signature(self) -> tuple:
        """What the pages show apart from the running time: pushes go out when it changes."""
        now = self.now()
        return (self.clock.status, len(self.decisions),
                sum(self.delivered(i, now) for i in self.injects),
                sum(self.missed(i, now) for i in self.injects))

    def tick(self) -> bool:
        """Advance: end at the duration, save the running clock; True when pages must update."""
        ended = self.clock.tick()
        if ended or (self.clock.status == RUNNING and self.real() - self._saved_at >= HEARTBEAT_S):
            self.save_clock()
        return self._changed() or ended

    def act(self, action: str) -> str:
        """A trainer's clock action (raises ``ClockError`` when not allowed now)."""
        status = self.clock.act(action)
        self.save_clock()
        self._changed(force=True)
        return status

    def save_clock(self) -> None:
        """Save the clock's status and reading now."""
        self.store.save_clock(self.clock.status, round(self.clock.now(), 3))
        self._saved_at = self.real()

    def _changed(self, force: bool = False) -> bool:
        signature = self.signature()
        if force or signature != self._signature:
            self._signature = signature
            self.version += 1
            return True
        return False


INJECT_KEYS = ("inject_id", "trainee", "offset_s", "clock", "line", "region", "region_name",
               "persona", "emotion", "opening")
KEY_KEYS = ("trainee", "offset_s", "target_s", "category", "handling", "target_line",
            "first_dispatch")


def _checked(directory: Path, doc: dict, key: dict[int, dict]) -> dict[int, dict]:
    """drill.json's injects by id, checked against the answer key (``InputError`` otherwise)."""
    drill_path, key_path = Path(directory) / "drill.json", Path(directory) / "answers.json"
    meta = doc.get("meta")
    if not isinstance(meta, dict) or not isinstance(meta.get("duration_s"), int | float):
        raise InputError("expected meta.duration_s, a number of seconds", source=drill_path,
                         key="meta.duration_s")
    injects = {}
    for n, inject in enumerate(doc["injects"]):
        missing = [k for k in INJECT_KEYS if not isinstance(inject, dict) or k not in inject]
        if missing:
            raise InputError(f"missing {', '.join(missing)}", source=drill_path,
                             key=f"injects[{n}]")
        injects[int(inject["inject_id"])] = inject
    if set(injects) != set(key):
        raise InputError(f"the answer key has injects {sorted(set(key) ^ set(injects))[:5]} "
                         "that drill.json has not (or the other way round)", source=key_path)
    for i, row in key.items():
        missing = [k for k in KEY_KEYS if k not in row]
        if missing:
            raise InputError(f"missing {', '.join(missing)}", source=key_path,
                             key=f"injects[inject_id={i}]")
    return injects
