"""Light SimPy events for callbacks: the model schedules these instead of generator processes.

SimPy's ``Environment.step`` needs an event to have ``callbacks``, ``_value`` and ``_ok``; a
slotted object with those is the cheapest thing it can run. ``Callback`` can be scheduled again
and again (for recurring work such as hour ticks and coordinator checks).
"""

from __future__ import annotations

from collections.abc import Callable

import simpy
from simpy.events import NORMAL


class Callback:
    """A reusable event that calls ``fn(event)`` each time it fires; ``tag`` is free for users."""

    __slots__ = ("callbacks", "_value", "fn", "tag")
    _ok = True  # read by SimPy's step(): this event always succeeds

    def __init__(self, fn: Callable[[Callback], None], tag: object = None) -> None:
        self.fn = fn
        self.tag = tag
        self.callbacks = None
        self._value = None

    def at(self, env: simpy.Environment, time: float) -> Callback:
        """Fire at absolute ``time``."""
        return self.after(env, time - env.now)

    def after(self, env: simpy.Environment, delay: float) -> Callback:
        """Fire ``delay`` seconds from now."""
        self.callbacks = (self.fn,)
        env.schedule(self, NORMAL, delay)
        return self
