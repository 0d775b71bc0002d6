"""Light events for callbacks: the model schedules these instead of generator processes.

A ``Callback`` fires through the loop's ``call_after`` (an entry of its function and itself,
``sim.model.loop``); it keeps ``callbacks``, ``_value`` and ``_ok``, so it is still an event
SimPy's ``schedule`` can run. It can be scheduled again and again (for recurring work such as
hour ticks and coordinator checks).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.model.loop import ModelEnvironment


class Callback:
    """A reusable event that calls ``fn(event)`` each time it fires; ``tag`` is free for users."""

    __slots__ = ("callbacks", "_value", "fn", "tag")
    _ok = True  # read by SimPy's step(): this event always succeeds

    def __init__(self, fn: Callable[[Callback], None], tag: object = None) -> None:
        self.fn = fn
        self.tag = tag
        self.callbacks = None
        self._value = None

    def at(self, env: ModelEnvironment, time: float) -> Callback:
        """Fire at absolute ``time``."""
        return self.after(env, time - env.now)

    def after(self, env: ModelEnvironment, delay: float) -> Callback:
        """Fire ``delay`` seconds from now."""
        self.callbacks = (self.fn,)  # (a SimPy event still: ``env.schedule`` may run it too)
        env.call_after(delay, self.fn, self)
        return self
