"""What a centre needs from the rest of the model: ``CentreHost``.

A ``Centre`` runs its trunks, queue and seats by itself. It reads the clock and schedules on
the host's environment, appends each finished leg to the host's record sink, reads the talk
and wrap-up distributions of the line a caller dialled, and hands three decisions back:
what a seat does after talking (routing), what follows a busy signal and what follows a caller
giving up (redials, a conference not joined). ``sim.model.network.Network`` is the host of a
replication; a test can drive a centre with a few lines of fake host instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from sim.model.loop import ModelEnvironment

if TYPE_CHECKING:
    from sim.domain.distributions import Distribution
    from sim.model.calls import Call
    from sim.model.centre import Centre


class CentreHost(Protocol):
    """The narrow interface between a ``Centre`` and the model around it."""

    env: ModelEnvironment
    """The event loop: ``now``, ``schedule``."""
    talk: Sequence[Distribution]
    """Talk time by centre index (the line a leg dialled: ``call.centre``)."""
    wrapup: Sequence[Distribution]
    """Wrap-up time by centre index."""
    redial_watch: Sequence[bool]
    """By the centre a call first dialled (``call.origin``): whether a redial may follow an
    abandonment, so the moment a caller gives up must be settled exactly."""
    resolves_all: bool
    """Optional (read once, when a centre is built; absent means False): every answered leg
    is resolved on the call and wrap-up follows at once, i.e. ``after_talk`` would set the
    disposition ``RESOLVED`` and return 0.0 for every leg, so a centre need not ask it."""

    def record(self, leg: bytes) -> None:
        """Take the record of a leg that ended, packed (``sim.model.record.PACKED``: its
        fields in ``CallLeg`` order; ``unpack_record`` gives the tuple)."""

    def open_orders(self, routes: tuple, call_id: int) -> None:
        """Optional (only for legs whose ``Feed.settled`` outcome has orders): open the orders
        of call ``call_id``'s leg whose talk ends now, along ``routes`` (those ``after_talk``
        would open for it: ``sim.model.linkage.settled``, ``OrderSystem.open_all``)."""

    def after_talk(self, call: Call, centre: Centre, now: float) -> float | None:
        """What the seat does after talking: extra seconds held before wrap-up, or None to
        keep the seat until the router releases it (a three-way conference)."""

    def on_blocked(self, call: Call, at: float) -> None:
        """A leg heard the busy signal at ``at`` (its record is written already)."""

    def on_expire(self, call: Call, at: float) -> None:
        """A waiting leg's time ran out at ``at`` (the host writes its record)."""
