"""Remote seat borrowing (S12): 上级统筹协调其他地区远程话务座席.

A coordinator per line (12345's by the provincial 12345 body, 110's by the police) looks at
every centre of its line each ``check_minutes``. A centre whose service level over the last
``window_minutes`` is under the trigger level, or whose callers waiting per seat exceed the
trigger, for ``hold_minutes`` running, asks for seats. Donors are the line's other centres
in regions no disaster has struck, comfortably above their own target with nobody waiting;
each keeps a floor of its scheduled seats and the seats its own expected calls need to meet its
target (Erlang A), and takes its seats back if it falls under its own
target; when seats are scarce the centre with the lowest service level is served
first. Lent seats leave the donor at once and answer at the recipient after
``activation_minutes``; they talk longer there. When the recipient has been above the release
level, with its calls in progress fitting in its own seats, for ``hold_minutes`` (hysteresis),
every borrowed seat goes home (finishing its call).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

from sim.domain.lines import HOUR, MINUTE
from sim.model.arrivals import offered_erlangs_by_hour
from sim.model.events import Callback
from sim.queueing.inverse import servers_for_service_level
from sim.scenario.disasters import Borrowing

if TYPE_CHECKING:
    from sim.model.centre import Centre
    from sim.model.loop import ModelEnvironment
    from sim.scenario.schema import Scenario


class SeatEvent(NamedTuple):
    """One change of seats: ``lend`` (the donor's seats leave it), ``arrive`` (they answer at the
    recipient), ``release`` (the recipient sends them home), ``recall`` (a donor under its own
    target takes them back)."""

    t: float
    kind: str
    recipient: int
    donor: int  # -1: the provincial pool
    seats: int
    donor_sl: float
    recipient_sl: float
    answering: bool = False  # release: the seats had arrived and were answering


class Coordinator:
    """One line's borrowing policy, run every ``check_minutes``.

    ``centres``: the centre answering each centre index (merged lines share one); ``end``: the
    end of observation, after which no check is scheduled.
    """

    def __init__(self, env: ModelEnvironment, spec: Borrowing, centres: list[Centre],
                 scenario: Scenario, end: float) -> None:
        self.env = env
        self.spec = spec
        self.scenario = scenario
        self.end = end
        self.by_index = centres
        seen: set[int] = set()
        self.centres: list[Centre] = []
        for c in centres:
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
        self._tick = Callback(self._check)
        self._struck: set[str] = set()
        self._need: dict[tuple[int, int], int] = {}
        self._load: dict[int, object] = {}
        self._every = spec.check_minutes * MINUTE
        self._base: dict[int, int] = {}  # per centre: where window_sl found the window's start

    def start(self) -> None:
        """Schedule the first check."""
        if self.spec.enabled and self.centres:
            self._schedule(self._every)

    def _schedule(self, delay: float) -> None:
        self._tick.after(self.env, delay)

    # -- observation ---------------------------------------------------------------------------
    def window_sl(self, c: Centre, now: float) -> tuple[float, int]:
        """Answered within target / offered over the last window (1.0 with nothing offered),
        and the number offered."""
        hist = self.history[c.index]
        since = now - self.spec.window_minutes * MINUTE + 1e-9
        # the last check at or before the window's start: checks come in time order and the
        # window moves forward, so the search goes on from where it ended last time
        i = self._base.get(c.index, -1)
        while i + 1 < len(hist) and hist[i + 1][0] <= since:
            i += 1
        if i >= 0 and hist[i][0] > since:  # (a window looked at further back than before)
            i = next((j for j in range(i, -1, -1) if hist[j][0] <= since), -1)
        self._base[c.index] = i
        base = (hist[i][1], hist[i][2]) if i >= 0 else (0, 0)
        offered = c.offered_n - base[0]
        return ((c.in_target_n - base[1]) / offered if offered > 0 else 1.0), offered

    def struck(self, now: float) -> set[str]:
        """Regions of every disaster that has begun: their centres do not lend seats."""
        return {code for d in self.scenario.disasters if d.start_hours * HOUR <= now
                for code, x in d.regions.items() if x > 0}

    def waiting_per_seat(self, c: Centre) -> float:
        """Callers waiting now per seat on duty."""
        seats = c.own_seats + c.borrowed_seats
        waiting = c.queue_length()
        return waiting / seats if seats else (math.inf if waiting else 0.0)

    # -- the check ------------------------------------------------------------------------------
    def _check(self, _event) -> None:
        now = self.env.now
        windows = {c.index: self.window_sl(c, now) for c in self.centres}
        levels = {k: sl for k, (sl, _) in windows.items()}
        self._struck = self.struck(now)
        for c in self.centres:
            self.history[c.index].append((now, c.offered_n, c.in_target_n))
        for c in self.centres:  # a donor falling under its own target takes its seats back
            if c.lent and levels[c.index] < c.plan.target.level \
                    and windows[c.index][1] >= self.spec.trigger.min_calls:
                self._recall(c, now)
        # The worst-off centre is served first when seats are scarce.
        for c in sorted(self.centres, key=lambda c: (levels[c.index], c.index)):
            self._update(c, levels, windows[c.index][1], now)
        if now + self._every < self.end:
            self._schedule(self._every)

    def _update(self, c: Centre, levels: dict[int, float], offered: int, now: float) -> None:
        spec = self.spec
        sl, wps = levels[c.index], self.waiting_per_seat(c)
        bad = (sl < spec.trigger.service_level_below and offered >= spec.trigger.min_calls) \
            or wps > spec.trigger.waiting_per_seat_above
        busy = c.in_progress()
        good = (sl >= spec.release.service_level_above
                and wps < spec.release.waiting_per_seat_below
                and busy <= spec.release.own_occupancy_below * c.own_seats)
        self.bad_since = _track(self.bad_since, c.index, bad, now)
        self.good_since = _track(self.good_since, c.index, good, now)
        if bad and now - self.bad_since[c.index] >= spec.trigger.hold_minutes * MINUTE:
            self._borrow(c, levels, now)
        elif good and c.index in self.loans and \
                now - self.good_since[c.index] >= spec.release.hold_minutes * MINUTE:
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
                and d.plan.region not in self._struck
                and levels[d.index] >= d.plan.target.level + margin and d.queue_length() == 0]

    def _spare(self, donor: Centre) -> int:
        scheduled = donor.scheduled_seats()
        keep = max(self.spec.donor_min_seats, math.ceil(self.spec.donor_floor * scheduled),
                   self._needed(donor))
        return max(0, scheduled - donor.lent - keep)

    def _needed(self, donor: Centre) -> int:
        """Seats the donor's own expected calls need, this hour and the next, to meet its
        target by Erlang A (Erlang C without patience) — it keeps at least these."""
        hour = int(self.env.now // HOUR)
        key = (donor.index, hour)
        if key not in self._need:
            plan = donor.plan
            if donor.index not in self._load:
                self._load[donor.index] = offered_erlangs_by_hour(plan, self.scenario)
            load = self._load[donor.index]
            erlangs = max(load[min(h, len(load) - 1)] for h in (hour, hour + 1))
            patience = plan.patience.mean
            level = min(0.999, plan.target.level + self.spec.donor_margin)
            self._need[key] = 0 if erlangs <= 0 else servers_for_service_level(
                erlangs / plan.mean_handle, plan.mean_handle, plan.target.seconds, level,
                mean_patience=patience if math.isfinite(patience) else None)
        return self._need[key]

    def _lend(self, c: Centre, donor: int, seats: int, donor_sl: float, sl: float,
              now: float) -> None:
        loan = [donor, seats, False]
        self.loans.setdefault(c.index, []).append(loan)
        self.events.append(SeatEvent(now, "lend", c.index, donor, seats, donor_sl, sl))
        Callback(lambda _e: self._arrive(c, loan)).after(self.env,
                                                         self.spec.activation_minutes * MINUTE)

    def _arrive(self, c: Centre, loan: list) -> None:
        if loan not in self.loans.get(c.index, ()):
            return  # released before it arrived
        loan[2] = True
        c.set_seats(borrowed=c.borrowed_seats + loan[1])
        self.events.append(SeatEvent(self.env.now, "arrive", c.index, loan[0], loan[1],
                                     math.nan, math.nan))

    def _release(self, c: Centre, sl: float, now: float) -> None:
        for donor, seats, arrived in self.loans.pop(c.index):
            if arrived:
                c.set_seats(borrowed=c.borrowed_seats - seats)
            if donor >= 0:
                d = self.by_index[donor]
                d.lent -= seats
                d.set_seats(own=max(0, d.scheduled_seats() - d.lent))
            else:
                self.pool += seats
            self.events.append(SeatEvent(now, "release", c.index, donor, seats, math.nan, sl,
                                         arrived))

    def _recall(self, donor: Centre, now: float) -> None:
        for recipient, loans in list(self.loans.items()):
            for loan in [loan for loan in loans if loan[0] == donor.index]:
                loans.remove(loan)
                _, seats, arrived = loan
                if arrived:
                    r = self.by_index[recipient]
                    r.set_seats(borrowed=r.borrowed_seats - seats)
                donor.lent -= seats
                self.events.append(SeatEvent(now, "recall", recipient, donor.index, seats,
                                             math.nan, math.nan, arrived))
            if not loans:
                del self.loans[recipient]
        donor.set_seats(own=max(0, donor.scheduled_seats() - donor.lent))


def _track(since: dict[int, float], key: int, condition: bool, now: float) -> dict[int, float]:
    if condition:
        since.setdefault(key, now)
    else:
        since.pop(key, None)
    return since
