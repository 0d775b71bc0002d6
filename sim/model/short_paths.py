"""Short paths of a first attempt answered at once, as mixed into ``sim.model.centre.Centre``.

``arrive_first`` (no wrap-up, the core's case) and ``arrive_settled`` (routing settled at
answer, ``sim.model.linkage.settled``) do what ``Centre.arrive(Call(...))`` does without
building the ``Call``, and write the leg's record at answer; the handlers below free its trunk
and seat when the full path would. Apart from ``Centre`` so that the centre's general path
stays one module; the methods read ``Centre``'s slots.
"""

from __future__ import annotations

from heapq import heappush

from simpy.events import NORMAL

from sim.domain.draws import TALK, WRAPUP, uniform
from sim.domain.errors import SimulationError
from sim.model.calls import ANSWERED, NAN, NO_MODE, OWN_SEAT, RESOLVED, VOICE, Call
from sim.model.record import PACKED

_pack = PACKED.pack
UNLIMITED_TRUNKS = (1 << 30) - 1  # "no trunk limit" (callers at once on a centre)
RESOLVED_OUTCOME = (RESOLVED, -1, None)
"""``arrive_settled``'s outcome of a leg resolved on the call (disposition, no ``to_line``, no
orders): every leg's where there is no linkage."""


class ShortPaths:
    """``Centre``'s short paths for first attempts answered at once (state: ``Centre``'s)."""

    __slots__ = ()

    def arrive_first(self, call_id: int, caller_id: int, centre: int, category: int,
                     priority: int, incident_id: int, key: int, arrival: float,
                     deadline: float, talk: float, wrap: float, talk_factor: float) -> None:
        """A first attempt (these fields: ``Call``'s, as ``sim.model.callers`` makes it) reaches
        this centre now, with no outage routing or bot on the way (only where ``at_once``).

        What ``arrive(Call(...))`` does, without the ``Call`` where the leg is answered now and
        needs no wrap-up: its whole record is known (resolved, released and ended when its talk
        ends), so it is written now and the timer only frees the seat (``_seat_freed``);
        records are sorted by ``(call_id, leg)``, so when they are written does not matter.
        """
        now = self.env.now
        if wrap == 0.0:
            self.offered_n += 1
            if self._due <= now:
                self.expire(now)
            if self.own_busy < self.own_seats and (
                    self.trunks >= UNLIMITED_TRUNKS
                    or self.talking + self.waiting + self.bot_busy < self.trunks):
                if now - arrival <= self.target_seconds:
                    self.in_target_n += 1
                self.talking += 1
                self.own_busy += 1
                if talk < 0.0:
                    talk = self._talk[centre].quantile(uniform(key, TALK))
                talk *= talk_factor
                if talk < 0.0:
                    raise SimulationError(f"negative talk time {talk:g} at t={now:g}")
                at = now + talk  # env.call_after, inlined (sim.model.loop)
                timers = self._timers
                if at in timers:
                    self.env.tie(at, NORMAL, self._on_seat_freed, None)
                else:
                    timers[at] = self._freed_entry
                    heappush(self._heap, at)
                record = self.record  # RESOLVED_NOW's record at ``at``, in LEG_FIELDS order
                record(_pack(call_id, 0, caller_id, 1, centre, category, VOICE, priority,
                             incident_id, arrival, now, at, at, at, ANSWERED, RESOLVED,
                             NO_MODE, -1, OWN_SEAT, -1, -1, NAN, NAN, deadline))
                return
            self.offered_n -= 1  # ``arrive`` counts it (and finds abandonments settled)
        else:  # wrap-up follows: resolved on the call all the same
            self.arrive_settled(call_id, caller_id, centre, category, priority, incident_id, key,
                                arrival, deadline, talk, wrap, talk_factor, RESOLVED_OUTCOME)
            return
        self.arrive(Call(call_id, caller_id, 1, centre, category, arrival, deadline, priority,
                         -1, incident_id, VOICE, key, talk, wrap, talk_factor))

    def arrive_settled(self, call_id: int, caller_id: int, centre: int, category: int,
                       priority: int, incident_id: int, key: int, arrival: float,
                       deadline: float, talk: float, wrap: float, talk_factor: float,
                       outcome: tuple[int, int, tuple | None]) -> None:
        """A first attempt (fields as for ``arrive_first``) reaches this centre now, with no
        outage routing or bot on the way, and if answered at once its leg here comes to
        ``outcome`` after its talk: ``(disposition, to_line, orders)``, what the host's
        ``after_talk`` would decide, with no hold or transfer, and the routes of the orders
        the host's ``open_orders`` opens when the talk ends, as ``after_talk`` would (None:
        none; ``sim.model.linkage.settled``; only where ``settles``).

        What ``arrive(Call(...))`` does, without the ``Call`` where the leg is answered now:
        its whole record is known (talk and wrap-up drawn ahead, routing settled), so it is
        written now. Its two timers are the full path's: the talk's end, scheduled now, frees
        the trunk (``_talked``), and schedules the end of wrap-up, which frees the seat
        (``_own_freed``): the loop's entries and their order are the full path's, and no draw
        is made elsewhere or in another order (those of the routing are by key).
        """
        now = self.env.now
        self.offered_n += 1
        if self._due <= now:
            self.expire(now)
        if self.own_busy < self.own_seats and (
                self.trunks >= UNLIMITED_TRUNKS
                or self.talking + self.waiting + self.bot_busy < self.trunks):
            if now - arrival <= self.target_seconds:
                self.in_target_n += 1
            self.talking += 1
            self.own_busy += 1
            if talk < 0.0:
                talk = self._talk[centre].quantile(uniform(key, TALK))
            talk *= talk_factor
            if talk < 0.0:
                raise SimulationError(f"negative talk time {talk:g} at t={now:g}")
            if wrap < 0.0:
                wrap = self._wrapup[centre].quantile(uniform(key, WRAPUP))
            disposition, to_line, orders = outcome
            if orders is None:
                entry = (self._on_talked, wrap)
            else:  # its orders open when its talk ends, as ``after_talk`` would open them
                entry = (self._on_talked_ordering, (wrap, call_id, orders))
            at = now + talk  # env.call_after, inlined (sim.model.loop)
            timers = self._timers
            if at in timers:
                self.env.tie(at, NORMAL, *entry)
            else:
                timers[at] = entry
                heappush(self._heap, at)
            record = self.record  # the record ``_release`` writes, in LEG_FIELDS order
            record(_pack(call_id, 0, caller_id, 1, centre, category, VOICE, priority,
                         incident_id, arrival, now, at, at + wrap if wrap > 0 else at, at,
                         ANSWERED, disposition, NO_MODE, to_line, OWN_SEAT, -1, -1, NAN, NAN,
                         deadline))
            return
        self.offered_n -= 1  # ``arrive`` counts it (and finds abandonments settled)
        self.arrive(Call(call_id, caller_id, 1, centre, category, arrival, deadline, priority,
                         -1, incident_id, VOICE, key, talk, wrap, talk_factor))

    def _talked(self, wrap: float) -> None:
        """The talk of a leg ``arrive_settled`` answered ends now: its trunk frees, and its
        seat after ``wrap`` (what ``_talk_done`` does for it, but the record)."""
        self.talking -= 1
        if wrap > 0:
            at = self.env.now + wrap  # env.call_after, inlined
            timers = self._timers
            if at in timers:
                self.env.tie(at, NORMAL, self._on_own_freed, None)
            else:
                timers[at] = self._own_freed_entry
                heappush(self._heap, at)
        else:
            self._own_freed(None)

    def _talked_ordering(self, leg: tuple[float, int, tuple]) -> None:
        """``_talked`` for a leg (``wrap``, call id, the routes of its orders) whose orders
        open now (what the host's ``after_talk`` would open for it, and all else it would
        do)."""
        wrap, call_id, routes = leg
        self.host.open_orders(routes, call_id)
        self._talked(wrap)

    def _own_freed(self, _arg: None) -> None:
        """The own seat of a leg ``arrive_settled`` answered frees now (its record is
        written): what ``_release`` does for it, but the record."""
        if self.own_leaving:  # a seat finishing past its duty goes home
            self.own_leaving -= 1
        else:
            self.own_busy -= 1
        if self.waiting and (self.own_busy < self.own_seats
                             or self.borrowed_busy < self.borrowed_seats):
            self.serve_queue(self.env.now)

    def _seat_freed(self, _arg: None) -> None:
        """The talk of a leg ``arrive_first`` answered at once ends now (its record is
        written): what ``_talk_done`` does for it, but the record."""
        self.talking -= 1
        if self.own_leaving:  # a seat finishing past its duty goes home
            self.own_leaving -= 1
        else:
            self.own_busy -= 1
        if self.waiting and (self.own_busy < self.own_seats
                             or self.borrowed_busy < self.borrowed_seats):
            self.serve_queue(self.env.now)

