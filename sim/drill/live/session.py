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

from sim.domain.api_errors import ApiError
from sim.domain.taxonomy import NO_OWNER, OWNERS
from sim.drill.live.clock import ENDED, READY, RUNNING, DrillClock
from sim.drill.live.files import DrillFiles
from sim.drill.live.store import Store

TARGET_LINES = tuple(o for o in OWNERS if o != NO_OWNER)
HEARTBEAT_S = 0.5
"""Real seconds between saves of a running clock: the most a kill -9 can set the clock back."""


class DecisionError(ApiError):
    """A refused decision: HTTP status, a stable code, a message and the field at fault."""


@dataclass(frozen=True)
class Submission:
    """A decision as a trainee's console sends it (the server adds the time)."""

    decision_id: str
    inject_id: int
    category: str
    handling: str
    target_line: str
    first_dispatch: str


class LiveDrill:
    """A drill directory played live: the clock, the key, the decisions and their store."""

    def __init__(self, files: DrillFiles, store: Store, speed: float, grace_s: float,
                 real: Callable[[], float] = time.monotonic, held: bool = False) -> None:
        self.key, self.injects = files.key, files.injects
        self.meta, self.phases = files.meta, files.phases
        self.trainees = sorted({i["trainee"] for i in self.injects.values()},
                               key=lambda t: (len(t), t))
        self.store, self.grace_s, self.real = store, grace_s, real
        status, drill_s = store.clock()
        drill_s = max([drill_s, *(d.decided_at_s for d in store.decisions())])
        self.clock = DrillClock(speed, float(self.meta["duration_s"]), status, drill_s, real, held)
        self.decisions = {d.inject_id: d for d in store.decisions()}
        self.version = 0
        self._signature = self.signature()
        self._saved_at = real()

    def serving(self) -> None:
        """The server accepts connections: a held clock (a resumed running drill) runs on."""
        self.clock.release()

    def now(self) -> float:
        """Drill seconds now."""
        return self.clock.now()

    def delivered(self, inject_id: int, now: float | None = None) -> bool:
        """Has this inject rung yet?"""
        now = self.now() if now is None else now
        return self.clock.status != READY and float(self.injects[inject_id]["offset_s"]) <= now

    def missed(self, inject_id: int, now: float | None = None) -> bool:
        """Undecided past its target plus the grace period, or at the end of the drill."""
        if inject_id in self.decisions:
            return False
        now = self.now() if now is None else now
        deadline = float(self.injects[inject_id]["offset_s"]) + self.key[inject_id]["target_s"]
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
