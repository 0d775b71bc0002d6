"""Remote seat borrowing (S12): 上级统筹协调其他地区远程话务座席.

A coordinator per line (12345's by the provincial 12345 body, 110's by the police) looks at
every centre of its line each ``check_minutes``. A centre whose service level over the last
``window_minutes`` is under the trigger level, or whose callers waiting per seat exceed the
trigger, for ``hold_minutes`` running, asks for seats. Donors are the line's other centres
that are comfortably above their own target with nobody waiting; each keeps a floor of its
scheduled seats. Lent seats leave the donor at once and answer at the recipient after
``activation_minutes``; they talk longer there. When the recipient has been above the release
level for ``hold_minutes`` (hysteresis), every borrowed seat goes home (finishing its call).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

from simpy.events import NORMAL

from sim.scenario.disasters import Borrowing

if TYPE_CHECKING:
    from sim.centre import Centre
    from sim.network import Network


class SeatEvent(NamedTuple):
    """One change of seats: ``kind`` is ``request``, ``arrive``, ``lend``, ``release``."""

    t: float
    kind: str
    recipient: int
    donor: int  # -1: the provincial pool
    seats: int
    donor_sl: float
    recipient_sl: float
    answering: bool = False  # release: the seats had arrived and were answering


class _Tick:
    __slots__ = ("callbacks", "_value", "fn")
    _ok = True

    def __init__(self, fn) -> None:
        self.fn = fn
        self.callbacks = None
        self._value = None


class Coordinator:
    """One line's borrowing policy, run every ``check_minutes``."""

    def __init__(self, net: Network, spec: Borrowing) -> None:
        self.net = net
        self.spec = spec
        seen: set[int] = set()
        self.centres: list[Centre] = []
        for c in net.centres:
            if c.plan.line == spec.line and id(c) not in seen:
                seen.add(id(c))
                self.centres.append(c)
                c.borrowed_talk_factor = spec.talk_factor
        self.history: dict[int, list[tuple[float, int, int]]] = {c.index: [] for c in self.centres}
        self.bad_since: dict[int, float] = {}
        self.good_since: dict[int, float] = {}
        self.loans: dict[int, list[list]] = {}  # recipient -> [donor, seats, arrived]
        self.pool = spec.pool_seats
        self.events: list[SeatEvent] = []
        self._tick = _Tick(self._check)
        self._every = spec.check_minutes * 60.0

    def start(self) -> None:
        """Schedule the first check."""
        if self.spec.enabled and self.centres:
            self._schedule(self._every)

    def _schedule(self, delay: float) -> None:
        self._tick.callbacks = (self._tick.fn,)
        self.net.env.schedule(self._tick, NORMAL, delay)

    # -- observation ---------------------------------------------------------------------------
    def window_sl(self, c: Centre, now: float) -> float:
        """Answered within target / offered over the last window (1.0 with nothing offered)."""
        hist = self.history[c.index]
        since = now - self.spec.window_minutes * 60.0
        base = next(((o, a) for t, o, a in reversed(hist) if t <= since + 1e-9), (0, 0))
        offered = c.offered_n - base[0]
        return (c.in_target_n - base[1]) / offered if offered > 0 else 1.0

    def waiting_per_seat(self, c: Centre) -> float:
        """Callers waiting now per seat on duty."""
        seats = c.own_seats + c.borrowed_seats
        waiting = c.queue_length()
        return waiting / seats if seats else (math.inf if waiting else 0.0)

    # -- the check ------------------------------------------------------------------------------
    def _check(self, _event) -> None:
        now = self.net.env._now
        levels = {c.index: self.window_sl(c, now) for c in self.centres}
        for c in self.centres:
            self.history[c.index].append((now, c.offered_n, c.in_target_n))
            self._update(c, levels, now)
        if now + self._every < self.net.horizon + self.net.scenario.drain_hours * 3600.0:
            self._schedule(self._every)

    def _update(self, c: Centre, levels: dict[int, float], now: float) -> None:
        spec = self.spec
        sl, wps = levels[c.index], self.waiting_per_seat(c)
        bad = sl < spec.trigger.service_level_below or wps > spec.trigger.waiting_per_seat_above
        good = sl >= spec.release.service_level_above and wps < spec.release.waiting_per_seat_below
        self.bad_since = _track(self.bad_since, c.index, bad, now)
        self.good_since = _track(self.good_since, c.index, good, now)
        if bad and now - self.bad_since[c.index] >= spec.trigger.hold_minutes * 60.0:
            self._borrow(c, levels, now)
        elif good and c.index in self.loans and \
                now - self.good_since[c.index] >= spec.release.hold_minutes * 60.0:
            self._release(c, levels[c.index], now)

    def _borrow(self, c: Centre, levels: dict[int, float], now: float) -> None:
        held = sum(loan[1] for loan in self.loans.get(c.index, ()))
        need = min(self.spec.step, self.spec.cap - held)
        if need <= 0:
            return
        for donor in sorted(self._donors(c, levels), key=lambda d: -self._spare(d)):
            take = min(need, self._spare(donor))
            if take > 0:
                self._lend(c, donor.index, take, levels[donor.index], levels[c.index], now)
                donor.lent += take
                donor.set_seats(own=max(0, donor.scheduled_seats() - donor.lent))
                need -= take
            if need == 0:
                break
        if need > 0 and self.pool > 0:
            take = min(need, self.pool)
            self.pool -= take
            self._lend(c, -1, take, math.nan, levels[c.index], now)

    def _donors(self, c: Centre, levels: dict[int, float]) -> list[Centre]:
        margin = self.spec.donor_margin
        return [d for d in self.centres
                if d is not c and d.index not in self.loans and d.index not in self.bad_since
                and levels[d.index] >= d.plan.target.level + margin and d.queue_length() == 0]

    def _spare(self, donor: Centre) -> int:
        scheduled = donor.scheduled_seats()
        keep = max(self.spec.donor_min_seats, math.ceil(self.spec.donor_floor * scheduled))
        return max(0, scheduled - donor.lent - keep)

    def _lend(self, c: Centre, donor: int, seats: int, donor_sl: float, sl: float,
              now: float) -> None:
        loan = [donor, seats, False]
        self.loans.setdefault(c.index, []).append(loan)
        self.events.append(SeatEvent(now, "lend", c.index, donor, seats, donor_sl, sl))
        arrive = _Tick(lambda _e: self._arrive(c, loan))
        arrive.callbacks = (arrive.fn,)
        self.net.env.schedule(arrive, NORMAL, self.spec.activation_minutes * 60.0)

    def _arrive(self, c: Centre, loan: list) -> None:
        if loan not in self.loans.get(c.index, ()):
            return  # released before it arrived
        loan[2] = True
        c.set_seats(borrowed=c.borrowed_seats + loan[1])
        self.events.append(SeatEvent(self.net.env._now, "arrive", c.index, loan[0], loan[1],
                                     math.nan, math.nan))

    def _release(self, c: Centre, sl: float, now: float) -> None:
        for donor, seats, arrived in self.loans.pop(c.index):
            if arrived:
                c.set_seats(borrowed=c.borrowed_seats - seats)
            if donor >= 0:
                d = self.net.centres[donor]
                d.lent -= seats
                d.set_seats(own=max(0, d.scheduled_seats() - d.lent))
            else:
                self.pool += seats
            self.events.append(SeatEvent(now, "release", c.index, donor, seats, math.nan, sl,
                                         arrived))


def _track(since: dict[int, float], key: int, condition: bool, now: float) -> dict[int, float]:
    if condition:
        since.setdefault(key, now)
    else:
        since.pop(key, None)
    return since
