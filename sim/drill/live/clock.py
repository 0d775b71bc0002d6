"""The drill clock (演练时钟): drill seconds that run at ``speed`` × real time while running.

States: ``ready`` (not started) → ``running`` ⇄ ``paused`` → ``ended`` (stopped by the trainer,
or the drill's duration reached). The real clock is passed in, so tests drive it by hand.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

READY, RUNNING, PAUSED, ENDED = "ready", "running", "paused", "ended"
TRANSITIONS = {"start": ({READY}, RUNNING), "pause": ({RUNNING}, PAUSED),
               "resume": ({PAUSED}, RUNNING), "stop": ({READY, RUNNING, PAUSED}, ENDED)}
"""Trainer action → (states it is allowed from, state it leads to)."""


class ClockError(Exception):
    """An action not allowed in the clock's state (the API answers 409)."""


@dataclass
class DrillClock:
    """Drill time from a status, the drill time at the last change and the real time then."""

    speed: float
    duration_s: float
    status: str = READY
    base_s: float = 0.0
    real: Callable[[], float] = time.monotonic
    held: bool = False
    """Held: reads ``base_s`` whatever its status, until :meth:`release` (a server starting up)."""

    def __post_init__(self) -> None:
        self.base_real = self.real()

    def now(self) -> float:
        """Drill seconds now, never past the duration."""
        if self.status != RUNNING or self.held:
            return self.base_s
        return min(self.duration_s, self.base_s + (self.real() - self.base_real) * self.speed)

    def release(self) -> None:
        """Let a held clock run on from ``base_s`` as of now (no real time before counts)."""
        if self.held:
            self.held = False
            self.base_real = self.real()

    def act(self, action: str) -> str:
        """Apply a trainer action (start, pause, resume, stop); the new status."""
        if action not in TRANSITIONS:
            raise ClockError(f"unknown action {action!r}; expected one of {', '.join(TRANSITIONS)}")
        allowed, after = TRANSITIONS[action]
        if self.status not in allowed:
            raise ClockError(f"cannot {action} a drill that is {self.status}")
        self._set(after)
        self.held = False  # _set read the held clock and restarted real time from now
        return after

    def tick(self) -> bool:
        """End the drill when its duration is reached; True when that happened now."""
        if self.status == RUNNING and self.now() >= self.duration_s:
            self._set(ENDED)
            return True
        return False

    def _set(self, status: str) -> None:
        self.base_s = self.now()
        self.base_real = self.real()
        self.status = status
