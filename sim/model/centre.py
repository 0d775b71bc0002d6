"""A centre (话务中心): trunks, a priority queue, seats on a shift schedule.

Events are callbacks on SimPy's event loop rather than a generator process per call, and
abandonment is settled lazily: a waiting caller whose patience has run out left at
``arrival + patience``, which the centre notes the next time it looks at its queue (an arrival,
a seat freeing, an observer). Only when the moment matters to the future (a redial follows an
abandonment) does the centre arm one watchdog event at its earliest deadline.
"""

from __future__ import annotations

import heapq
from collections import deque
from heapq import heappush
from typing import TYPE_CHECKING

from simpy.events import NORMAL

from sim.domain.draws import TALK, TALK_ON, WRAPUP, uniform
from sim.domain.errors import SimulationError
from sim.domain.lines import EMERGENCY_CLASS, HOUR, ORDINARY_CLASS, TRANSFER_CLASS
from sim.model.calls import (
    ANSWERED,
    BLOCKED,
    BORROWED_SEAT,
    GONE,
    NAN,
    OWN_SEAT,
    RECORD_OF,
    RESOLVED,
    RESOLVED_NOW,
    SERVED,
    UNFINISHED,
    WAITING,
    Call,
)
from sim.model.events import Callback
from sim.model.short_paths import UNLIMITED_TRUNKS, ShortPaths

if TYPE_CHECKING:
    from sim.model.host import CentreHost
    from sim.scenario.plan import CentrePlan

PRIORITIES = max(EMERGENCY_CLASS, TRANSFER_CLASS, ORDINARY_CLASS) + 1
"""Queue classes (sim.domain.lines): emergencies, transferred calls, everything else; a seat
that frees serves the lowest class first, FIFO within a class."""

INF = float("inf")


class Centre(ShortPaths):
    """One line in one region: the state of its trunks, queue and seats.

    Own seats and borrowed (remote) seats are two pools: a free seat of either pool answers,
    own seats first. ``own_busy`` counts busy seats on duty; a seat that goes off duty while
    busy (shift end, lent away, a remote seat sent home) moves to ``own_leaving`` and goes home
    when its call ends, so seats coming on duty meanwhile are free at once. ``talking`` counts
    callers connected to a seat, including a caller held on a three-way conference; with
    ``waiting`` and the bot's calls they hold trunks.
    """

    # Slots for the state (the interpreter specialises slot reads; a dict of more than 30
    # attributes would not be shared and reads would be slower), and a ``__dict__`` for the rest.
    __slots__ = ("host", "env", "plan", "index", "lines", "trunks", "own_seats",
                 "borrowed_seats", "own_busy", "borrowed_busy", "own_leaving",
                 "borrowed_leaving", "talking", "waiting", "bot_busy", "queues", "deadlines",
                 "watched", "_due", "_seq", "_talk", "_wrapup", "borrowed_talk_factor",
                 "_redial_watch", "_watch_at", "_watch_gen", "lent", "offered_n",
                 "in_target_n", "target_seconds", "record", "resolves_all", "_inline_answer",
                 "_on_talk_done", "_on_wrapped", "_heap", "_timers", "at_once",
                 "_on_seat_freed", "_freed_entry", "settles", "_on_talked",
                 "_on_talked_ordering", "_on_own_freed", "_own_freed_entry", "__dict__")

    inline_answer = True
    """Whether ``arrive`` may answer without calling ``_answer`` (False where a subclass
    hooks ``_answer``, as ``AuditedCentre`` does)."""

    def __init__(self, host: CentreHost, plan: CentrePlan) -> None:
        self.host = host
        self.env = host.env
        self.plan = plan
        self.index = plan.index
        self.lines = {plan.line}  # lines whose calls these seats answer (S18 adds merged ones)
        # no limit: more callers than a centre ever has, kept below 2**30 so the comparison on
        # every arrival stays the interpreter's fast small-int compare
        self.trunks = plan.trunks if plan.trunks is not None else UNLIMITED_TRUNKS
        self.own_seats = plan.seats_at(0)
        self.borrowed_seats = 0
        self.own_busy = 0
        self.borrowed_busy = 0
        self.own_leaving = 0
        self.borrowed_leaving = 0
        self.talking = 0
        self.waiting = 0
        self.bot_busy = 0
        self.queues: list[deque[Call]] = [deque() for _ in range(PRIORITIES)]
        self.deadlines: list[tuple[float, int, Call]] = []
        self._due = INF  # the earliest deadline in ``deadlines`` (INF when there is none)
        self.watched: list[tuple[float, int, Call]] = []
        self._seq = 0
        # Talk and wrap-up follow the line the caller dialled (``call.centre``'s plan), which is
        # this centre's own plan except where a merged line's calls reach these seats (S18);
        # a first attempt brings them drawn ahead, other legs draw by their key (sim.domain.draws).
        self._talk = host.talk
        self._wrapup = host.wrapup
        self.borrowed_talk_factor = 1.0
        self._redial_watch = host.redial_watch
        self._watch_at = INF
        self._watch_gen = 0
        self.lent = 0  # own seats lent to other centres (remote seat borrowing)
        self.offered_n = 0  # counters the coordinator reads
        self.in_target_n = 0
        self.target_seconds = plan.target.seconds
        self.record = host.record
        # Whether every answered leg is resolved on the call with no hold (the host's
        # ``after_talk`` would set RESOLVED and return 0.0): then the centre need not ask.
        self.resolves_all = getattr(host, "resolves_all", False)
        # (instance attributes read on the hot path; the interpreter specialises those)
        self._inline_answer = type(self).inline_answer
        # A leg's timer handlers, bound once (the loop calls ``handler(call)`` when it is due).
        self._on_talk_done = self._talk_done
        self._on_wrapped = self._release  # (at the end of wrap-up: ``now`` is the clock)
        self._heap = self.env.heap  # the hot path schedules its own timers (sim.model.loop)
        self._timers = self.env.due
        # Whether a first attempt answered at once may skip its ``Call`` (``arrive_first``):
        # every leg resolved on the call, and no subclass hooking the answer.
        self.at_once = self._inline_answer and self.resolves_all
        self._on_seat_freed = self._seat_freed
        self._freed_entry = (self._on_seat_freed, None)  # the loop entry of every such timer
        # Whether a first attempt whose routing is settled may skip its ``Call``
        # (``arrive_settled``): no subclass hooking the answer.
        self.settles = self._inline_answer
        self._on_talked = self._talked
        self._on_talked_ordering = self._talked_ordering
        self._on_own_freed = self._own_freed
        self._own_freed_entry = (self._on_own_freed, None)

    def talk_for(self, call: Call) -> float:
        """Talk after a three-way negotiation for ``call`` (for the line it dialled)."""
        return self._talk[call.centre].quantile(uniform(call.key, TALK_ON))

    def free_seat(self) -> bool:
        """Whether a seat of either pool is free to answer now."""
        return self.own_busy < self.own_seats or self.borrowed_busy < self.borrowed_seats

    def trunk_free(self) -> bool:
        """Whether a trunk line is free for one more caller now (abandonments settled)."""
        now = self.env.now
        if self._due <= now:
            self.expire(now)
        return self.talking + self.waiting + self.bot_busy < self.trunks

    def bot_took(self) -> None:
        """The bot took a call here and holds a trunk (a hook for ``AuditedCentre``)."""

    def in_progress(self) -> int:
        """Calls on seats now (on duty or finishing before going off duty)."""
        return self.own_busy + self.own_leaving + self.borrowed_busy + self.borrowed_leaving

    # -- arrivals ---------------------------------------------------------------------------
    def arrive(self, call: Call) -> None:
        """A call leg reaches the centre now: busy signal, a free seat, or the queue."""
        now = self.env.now
        self.offered_n += 1
        if self._due <= now:
            self.expire(now)
        if self.trunks < UNLIMITED_TRUNKS and \
                self.talking + self.waiting + self.bot_busy >= self.trunks:
            self.record(call.record(NAN, now, BLOCKED))
            self.host.on_blocked(call, now)
            return
        if self.own_busy >= self.own_seats:  # (kept a short jump: the interpreter then
            self._no_own_seat(call, now)      # specialises this comparison)
            return
        call.state = SERVED
        if self._inline_answer and call.link is None:
            # the common answer (``_answer`` inlined): an own seat, the talk drawn ahead
            # or by key
            call.answered = now
            if now - call.arrival <= self.target_seconds:
                self.in_target_n += 1
            self.talking += 1
            self.own_busy += 1
            call.seat = OWN_SEAT
            talk = call.talk
            if talk < 0.0:
                talk = self._talk[call.centre].quantile(uniform(call.key, TALK))
            talk *= call.talk_factor
            if talk < 0.0:
                raise SimulationError(f"negative talk time {talk:g} at t={now:g}")
            at = now + talk  # env.call_after, inlined (sim.model.loop)
            timers = self._timers
            if at in timers:
                self.env.tie(at, NORMAL, self._on_talk_done, call)
            else:
                timers[at] = (self._on_talk_done, call)
                heappush(self._heap, at)
        else:
            self._answer(call, now)

    def _no_own_seat(self, call: Call, now: float) -> None:
        """An arriving leg finds every own seat busy: a borrowed seat, or the queue."""
        if self.borrowed_busy < self.borrowed_seats:
            call.state = SERVED
            self._answer(call, now)
            return
        call.state = WAITING
        self.queues[call.priority].append(call)
        self.waiting += 1
        deadline = call.deadline
        if deadline < INF:
            self._seq += 1
            entry = (deadline, self._seq, call)
            heapq.heappush(self.deadlines, entry)
            self._due = self.deadlines[0][0]
            if self._redial_watch[call.origin] or call.link is not None:
                # something depends on the moment it gives up (a redial, a conference held
                # at the first receiver): settle it exactly
                heapq.heappush(self.watched, entry)
                if deadline < self._watch_at:
                    self._arm(deadline)

    # -- service ----------------------------------------------------------------------------
    def _answer(self, call: Call, now: float) -> None:
        call.answered = now
        if now - call.arrival <= self.target_seconds:
            self.in_target_n += 1
        self.talking += 1
        link = call.link
        if link is not None and link.next_talk >= 0:  # a three-way negotiation
            talk, link.next_talk = link.next_talk, -1.0
        else:
            talk = call.talk if call.talk >= 0 else \
                self._talk[call.centre].quantile(uniform(call.key, TALK))
            talk *= call.talk_factor
        if self.own_busy < self.own_seats:
            self.own_busy += 1
            call.seat = OWN_SEAT
        else:
            self.borrowed_busy += 1
            call.seat = BORROWED_SEAT
            talk *= self.borrowed_talk_factor
        if talk < 0.0:
            raise SimulationError(f"negative talk time {talk:g} at t={now:g}")
        # env.call_after, inlined; ``now`` may be a past deadline (not_joined), the clock is not
        at = self.env.now + talk
        timers = self._timers
        if at in timers:
            self.env.tie(at, NORMAL, self._on_talk_done, call)
        else:
            timers[at] = (self._on_talk_done, call)
            heappush(self._heap, at)

    def _talk_done(self, call: Call) -> None:
        now = self.env.now
        call.talk_end = now
        if self.resolves_all:  # what ResolveAll.after_talk does, without asking the host
            wrap = call.wrap
            if wrap < 0.0:
                wrap = self._wrapup[call.centre].quantile(uniform(call.key, WRAPUP))
            self.talking -= 1
            if wrap <= 0 and call.link is None and call.seat == OWN_SEAT and \
                    not self.own_leaving:
                # the common end of a leg, _release inlined: an own seat frees, the record
                # (the leg is referred to no more: its end fields go to the record only)
                self.own_busy -= 1
                record = self.record  # an attribute, not a method: read, then call (faster)
                record(RESOLVED_NOW(call, now, NAN))
                if self.waiting and (self.own_busy < self.own_seats
                                     or self.borrowed_busy < self.borrowed_seats):
                    self.serve_queue(now)
                return
            call.disposition = RESOLVED
        else:
            hold = self.host.after_talk(call, self, now)
            if hold is None:  # held on a three-way conference: the router ends the hold
                return
            wrap = (call.wrap if call.wrap >= 0 else
                    self._wrapup[call.centre].quantile(uniform(call.key, WRAPUP))) + hold
            self.talking -= 1
        if wrap > 0:
            at = now + wrap  # env.call_after, inlined (sim.model.loop)
            timers = self._timers
            if at in timers:
                self.env.tie(at, NORMAL, self._on_wrapped, call)
            else:
                timers[at] = (self._on_wrapped, call)
                heappush(self._heap, at)
        elif call.link is None and call.seat == OWN_SEAT and not self.own_leaving:
            # the common end of a leg, _release inlined: an own seat frees, the record
            self.own_busy -= 1
            call.released = now
            call.ended = now
            call.outcome = ANSWERED
            call.hold_end = call.negotiation_end = NAN
            record = self.record  # an attribute, not a method: read, then call (faster)
            record(RECORD_OF(call))
            if self.waiting and (self.own_busy < self.own_seats
                                 or self.borrowed_busy < self.borrowed_seats):
                self.serve_queue(now)
        else:
            self._release(call, now)

    def _wrap(self, call: Call, now: float) -> None:
        wrap = call.wrap if call.wrap >= 0 else \
            self._wrapup[call.centre].quantile(uniform(call.key, WRAPUP))
        if wrap > 0:
            self.env.call_after(wrap, self._on_wrapped, call)
        else:
            self._release(call, now)

    def continue_talk(self, call: Call, duration: float) -> None:
        """A seated call talks on for ``duration`` (after a three-way negotiation)."""
        self.env.call_after(duration, self._on_talk_done, call)

    def hand_over(self, old: Call, new: Call, now: float, duration: float) -> None:
        """``old``'s hold ends now and ``new`` (a later leg of the same call) keeps its seat.

        Used when a three-way call comes back to the first receiver: the seat and the trunk
        never free, so the two legs' busy times are contiguous and occupancy stays exact.
        """
        old.link.hold_end = now
        self.record(old.record(now, now, ANSWERED))
        new.answered = now
        new.seat = old.seat
        new.state = SERVED
        self.continue_talk(new, duration)

    def finish_held(self, call: Call, now: float) -> None:
        """End a held call's conference now (taken over, or kept), then wrap up."""
        call.link.hold_end = now
        self.talking -= 1
        self._wrap(call, now)

    def _release(self, call: Call, now: float | None = None) -> None:
        """The leg's seat frees at ``now`` (by default the clock: the end of its wrap-up, as
        the loop calls it), and its record is written."""
        if now is None:
            now = self.env.now
        if call.seat == OWN_SEAT:
            if self.own_leaving:  # a seat finishing past its duty goes home
                self.own_leaving -= 1
            else:
                self.own_busy -= 1
        elif self.borrowed_leaving:
            self.borrowed_leaving -= 1
        else:
            self.borrowed_busy -= 1
        link = call.link
        if link is None:  # call.record(now, call.talk_end, ANSWERED), inlined
            call.released = now
            call.ended = call.talk_end
            call.outcome = ANSWERED
            call.hold_end = call.negotiation_end = NAN
            self.record(RECORD_OF(call))
        else:
            held = link.hold_end == link.hold_end  # a three-way hold ended
            self.record(call.record(now, link.hold_end if held else call.talk_end, ANSWERED))
        if self.waiting and (self.own_busy < self.own_seats
                             or self.borrowed_busy < self.borrowed_seats):
            self.serve_queue(now)

    def serve_queue(self, now: float) -> None:
        """Answer waiting callers (highest priority first, FIFO within) while seats are free."""
        if self._due <= now:
            self.expire(now)
        queues = self.queues
        while self.waiting and (self.own_busy < self.own_seats
                                or self.borrowed_busy < self.borrowed_seats):
            for queue in queues:
                while queue:
                    call = queue.popleft()
                    if call.state == WAITING:
                        break
                else:
                    continue
                break
            call.state = SERVED
            self.waiting -= 1
            self._answer(call, now)

    # -- abandonment --------------------------------------------------------------------------
    def expire(self, now: float) -> None:
        """Settle every waiting caller whose patience (or ring time) ran out by ``now``."""
        deadlines = self.deadlines
        while deadlines and deadlines[0][0] <= now:
            deadline, _, call = heapq.heappop(deadlines)
            if call.state == WAITING:
                call.state = GONE
                self.waiting -= 1
                self.host.on_expire(call, deadline)
        self._due = deadlines[0][0] if deadlines else INF

    def _arm(self, at: float) -> None:
        self._watch_gen += 1
        self._watch_at = at
        Callback(self._watchdog, self._watch_gen).at(self.env, at)

    def _watchdog(self, event: Callback) -> None:
        if event.tag != self._watch_gen:
            return
        self._watch_at = INF
        self.expire(self.env.now)
        watched = self.watched
        while watched and watched[0][2].state != WAITING:
            heapq.heappop(watched)
        if watched:
            self._arm(watched[0][0])

    # -- seats ------------------------------------------------------------------------------
    def set_seats(self, own: int | None = None, borrowed: int | None = None) -> None:
        """Change seats on duty now; seats going off duty finish their call first."""
        if own is not None:
            self.own_seats = own
            if self.own_busy > own:
                self.own_leaving += self.own_busy - own
                self.own_busy = own
        if borrowed is not None:
            self.borrowed_seats = borrowed
            if self.borrowed_busy > borrowed:
                self.borrowed_leaving += self.borrowed_busy - borrowed
                self.borrowed_busy = borrowed
        if self.waiting:
            self.serve_queue(self.env.now)

    def scheduled_seats(self) -> int:
        """Own seats the shift schedule puts on duty now."""
        return self.plan.seats_at(int(self.env.now // HOUR))

    def queue_length(self) -> int:
        """Callers waiting now (abandonments settled first)."""
        self.expire(self.env.now)
        return self.waiting

    def drain_unfinished(self, end: float) -> None:
        """At the end of the run: record callers still waiting as unfinished (they waited
        until the end of observation ``end``, or arrived after it)."""
        for queue in self.queues:
            for call in queue:
                if call.state == WAITING:
                    call.state = GONE
                    self.record(call.record(NAN, max(end, call.arrival), UNFINISHED))
        self.waiting = 0
