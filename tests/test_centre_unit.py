"""A ``Centre`` on its own: driven by a fake host (``sim.model.host.CentreHost``), no network.

Each test feeds callers with fixed talk times and patience at fixed moments and checks the
exact log of what the centre decided and when: who is answered, who gives up at their deadline,
who hears the busy signal, when seats free, and the records it writes.
"""

from __future__ import annotations

import ast
import importlib.util
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.domain.distributions import Deterministic, Never
from sim.domain.lines import EMERGENCY_CLASS, ORDINARY_CLASS, TRANSFER_CLASS
from sim.model.calls import ABANDONED, ANSWERED, BLOCKED, OWN_SEAT, Call, CallLeg
from sim.model.centre import PRIORITIES, Centre
from sim.model.events import Callback
from sim.model.loop import ModelEnvironment
from sim.model.record import PACKED, unpack_record
from sim.scenario.plan import CentrePlan
from sim.scenario.schema import Redial, Target

INF = math.inf


def plan(seats: int, trunks: int | None = None, wrapup: float = 10.0) -> CentrePlan:
    """One centre (index 0) with ``seats`` own seats all day."""
    return CentrePlan(
        index=0, key="620100/12345", region="620100", line="12345", calls_per_day=0.0,
        arrival_times=(), seats_by_hour=np.full(2, seats), trunks=trunks,
        talk=Deterministic(value=999.0), wrapup=Deterministic(value=wrapup), patience=Never(),
        redial=Redial(), target=Target(seconds=15.0, level=0.8),
        hour_profile=np.full(24, 1 / 24), day_profile=np.ones(7), busyness_variance=0.0)


class FakeHost:
    """Just what a centre needs: a loop, a record sink, three decisions, two tables."""

    def __init__(self, p: CentrePlan, watch: bool = True) -> None:
        self.env = ModelEnvironment()
        self.talk = [p.talk]
        self.wrapup = [p.wrapup]
        self.redial_watch = [watch]
        self.records: list[CallLeg] = []
        self.log: list[tuple] = []

    def record(self, leg: tuple) -> None:
        self.records.append(CallLeg._make(unpack_record(leg)))

    def after_talk(self, call: Call, centre: Centre, now: float) -> float | None:
        self.log.append((now, "talked", call.call_id))
        return 0.0

    def on_blocked(self, call: Call, at: float) -> None:
        self.log.append((self.env.now, "blocked", call.call_id, at))

    def on_expire(self, call: Call, at: float) -> None:
        self.log.append((self.env.now, "gave up", call.call_id, at))
        self.record(call.record(math.nan, at, ABANDONED))


def caller(host: FakeHost, centre: Centre, call_id: int, at: float, talk: float,
           patience: float = INF, priority: int = ORDINARY_CLASS) -> Call:
    """A caller reaching ``centre`` at ``at`` who talks ``talk`` s if answered."""
    call = Call(call_id, call_id, 1, 0, 0, at, at + patience, priority, talk=talk)

    def arrive(_event: Callback) -> None:
        host.log.append((host.env.now, "arrives", call_id))
        centre.arrive(call)
    Callback(arrive).at(host.env, at)
    return call


def answered(host: FakeHost) -> list[tuple]:
    """(call, answered, talk_end, released) of each answered leg, by call id."""
    return sorted((r.call_id, r.answered, r.talk_end, r.released) for r in host.records
                  if r.outcome == ANSWERED)


def test_two_seats_three_callers_one_gives_up_at_the_deadline():
    # Seats free at 110 (A: talk 100 + wrap 10) and 70 (B: 50 + 10). C waits from 20 with
    # 30 s of patience: gone at 50, before any seat frees. D waits from 30 and takes B's seat.
    p = plan(seats=2)
    host = FakeHost(p)
    centre = Centre(host, p)
    caller(host, centre, 0, 0.0, talk=100.0)
    caller(host, centre, 1, 10.0, talk=50.0)
    caller(host, centre, 2, 20.0, talk=40.0, patience=30.0)
    caller(host, centre, 3, 30.0, talk=20.0, patience=100.0)
    host.env.run()
    assert host.log == [
        (0.0, "arrives", 0), (10.0, "arrives", 1), (20.0, "arrives", 2), (30.0, "arrives", 3),
        (50.0, "gave up", 2, 50.0),  # the watchdog settles it at its deadline exactly
        (60.0, "talked", 1), (90.0, "talked", 3), (100.0, "talked", 0),
    ]
    assert answered(host) == [(0, 0.0, 100.0, 110.0), (1, 10.0, 60.0, 70.0),
                              (3, 70.0, 90.0, 100.0)]
    gone = next(r for r in host.records if r.call_id == 2)
    assert (gone.outcome, gone.ended, gone.deadline, math.isnan(gone.answered)) == \
        (ABANDONED, 50.0, 50.0, True)
    assert all(r.seat == OWN_SEAT for r in host.records if r.outcome == ANSWERED)
    # every seat and trunk given back; two of three answered within the 15 s target
    assert (centre.own_busy, centre.talking, centre.waiting) == (0, 0, 0)
    assert (centre.offered_n, centre.in_target_n) == (4, 2)


def test_without_a_watch_an_abandonment_is_settled_at_the_next_look():
    # No redial can follow, so nobody watches C's deadline (50): the centre notices when a
    # seat frees at 70, and still records the abandonment at 50.
    p = plan(seats=1, wrapup=0.0)
    host = FakeHost(p, watch=False)
    centre = Centre(host, p)
    caller(host, centre, 0, 0.0, talk=70.0)
    caller(host, centre, 1, 20.0, talk=5.0, patience=30.0)
    host.env.run()
    assert host.log == [(0.0, "arrives", 0), (20.0, "arrives", 1), (70.0, "talked", 0),
                        (70.0, "gave up", 1, 50.0)]
    assert [(r.call_id, r.outcome, r.ended) for r in host.records] == \
        [(0, ANSWERED, 70.0), (1, ABANDONED, 50.0)]


def test_a_freed_seat_serves_emergency_then_transfer_then_ordinary():
    # One seat, busy until 100. While it talks an ordinary caller (10), an emergency (20) and
    # a transferred leg (30) queue; the seat serves them by class, not by arrival.
    assert PRIORITIES == 3
    p = plan(seats=1, wrapup=0.0)
    host = FakeHost(p)
    centre = Centre(host, p)
    caller(host, centre, 0, 0.0, talk=100.0)
    caller(host, centre, 1, 10.0, talk=10.0, priority=ORDINARY_CLASS)
    caller(host, centre, 2, 20.0, talk=10.0, priority=EMERGENCY_CLASS)
    caller(host, centre, 3, 30.0, talk=10.0, priority=TRANSFER_CLASS)
    caller(host, centre, 4, 40.0, talk=10.0, priority=ORDINARY_CLASS)
    host.env.run()
    assert answered(host) == [(0, 0.0, 100.0, 100.0), (1, 120.0, 130.0, 130.0),
                              (2, 100.0, 110.0, 110.0), (3, 110.0, 120.0, 120.0),
                              (4, 130.0, 140.0, 140.0)]  # FIFO within the ordinary class
    assert [e for e in host.log if e[1] == "talked"] == [
        (100.0, "talked", 0), (110.0, "talked", 2), (120.0, "talked", 3),
        (130.0, "talked", 1), (140.0, "talked", 4)]


def test_full_trunks_give_a_busy_signal_and_the_host_decides_what_follows():
    # Two trunks, one seat: A talks, B waits, C finds both trunks held at 20.
    p = plan(seats=1, trunks=2, wrapup=0.0)
    host = FakeHost(p)
    centre = Centre(host, p)
    caller(host, centre, 0, 0.0, talk=60.0)
    caller(host, centre, 1, 10.0, talk=10.0)
    caller(host, centre, 2, 20.0, talk=10.0)
    host.env.run()
    assert (20.0, "blocked", 2, 20.0) in host.log
    blocked = next(r for r in host.records if r.call_id == 2)
    assert (blocked.outcome, blocked.ended) == (BLOCKED, 20.0)
    assert answered(host) == [(0, 0.0, 60.0, 60.0), (1, 60.0, 70.0, 70.0)]


def test_seats_going_off_duty_finish_their_call_first():
    # Two seats busy; at 30 the shift drops to one: the seat that finishes first (at 50)
    # goes home, so the waiting caller is answered only when the second call ends (80).
    p = plan(seats=2, wrapup=0.0)
    host = FakeHost(p)
    centre = Centre(host, p)
    caller(host, centre, 0, 0.0, talk=50.0)
    caller(host, centre, 1, 0.0, talk=80.0)
    caller(host, centre, 2, 10.0, talk=5.0)
    Callback(lambda _e: centre.set_seats(own=1)).at(host.env, 30.0)
    host.env.run()
    assert answered(host) == [(0, 0.0, 50.0, 50.0), (1, 0.0, 80.0, 80.0),
                              (2, 80.0, 85.0, 85.0)]
    assert (centre.own_busy, centre.own_leaving, centre.own_seats) == (0, 0, 1)


@pytest.mark.parametrize("module", [
    "sim.model.centre", "sim.model.bot", "sim.model.coordination", "sim.model.linkage.orders",
    "sim.model.linkage.routing", "sim.model.callers", "sim.model.directory", "sim.model.shifts",
    "sim.model.audit"])
def test_the_parts_of_the_model_do_not_import_the_network(module):
    code = f"import sys, {module}; print('sim.model.network' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False"
    # not even for type checking: no import of the network anywhere in the module
    tree = ast.parse(Path(importlib.util.find_spec(module).origin).read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert "sim.model.network" not in imported


def test_only_the_loop_touches_simpys_clock_and_heap():
    root = Path(__file__).resolve().parent.parent / "sim"
    private = ("._now", "._queue", "._eid")
    found = [f"{p.relative_to(root)}:{i}" for p in root.rglob("*.py")
             if p.name != "loop.py" or p.parent.name != "model"
             for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if any(name in line for name in private)]
    assert found == []


class ResolvingHost(FakeHost):
    """A host that says every leg is resolved with no hold: the centre skips ``after_talk``."""

    resolves_all = True

    def after_talk(self, call: Call, centre: Centre, now: float) -> float | None:
        raise AssertionError("a centre told resolves_all must not ask after_talk")


@pytest.mark.parametrize("wrapup", [0.0, 10.0])
def test_resolves_all_gives_the_records_of_asking_after_talk(wrapup):
    # The same callers (some queued, one giving up) through a host that is asked after each
    # talk and one that says it resolves everything: identical records, field by field.
    def run(host_type: type[FakeHost]) -> list[CallLeg]:
        p = plan(seats=2, wrapup=wrapup)
        host = host_type(p)
        centre = Centre(host, p)
        for i, (at, talk, patience) in enumerate([(0.0, 100.0, INF), (10.0, 50.0, INF),
                                                   (20.0, 40.0, 30.0), (30.0, 20.0, 100.0),
                                                   (35.0, 0.0, 200.0)]):
            caller(host, centre, i, at, talk=talk, patience=patience)
        host.env.run()
        assert (centre.own_busy, centre.talking, centre.waiting) == (0, 0, 0)
        return sorted(host.records)

    asked, resolved = run(FakeHost), run(ResolvingHost)
    assert [r.outcome for r in resolved].count(ANSWERED) == 4
    assert _same(asked, resolved)


def _same(a: list[CallLeg], b: list[CallLeg]) -> bool:
    """Equal records, NaN equal to NaN."""
    return len(a) == len(b) and all(
        all(x == y or (x != x and y != y) for x, y in zip(r, s, strict=True))
        for r, s in zip(a, b, strict=True))


def test_the_record_getter_reads_every_field_in_layout_order():
    from operator import attrgetter

    from sim.model.calls import RECORD_OF
    from sim.model.record import LEG_NAMES
    call = Call(7, 3, 2, 0, 5, 1.5, 9.0, TRANSFER_CLASS, 4, 6, key=11, talk=2.0, wrap=1.0)
    call.answered, call.talk_end = 2.0, 4.0
    call.record(5.0, 4.0, ANSWERED)
    assert _same([unpack_record(RECORD_OF(call))], [attrgetter(*LEG_NAMES)(call)])
    assert len(RECORD_OF(call)) == PACKED.size


def test_the_loop_keeps_now_equal_to_simpys_clock():
    # ``now`` is a slot the loop sets with SimPy's ``_now``: both through ``step`` (run) and
    # through the arrivals the loop feeds in.
    env = ModelEnvironment()
    seen = []
    Callback(lambda _e: seen.append(("event", env.now, env._now))).at(env, 5.0)
    env.run_with_arrivals([1.0, 7.0], lambda i: seen.append(("arrival", env.now, env._now)))
    assert seen == [("arrival", 1.0, 1.0), ("event", 5.0, 5.0), ("arrival", 7.0, 7.0)]
    Callback(lambda _e: seen.append(("late", env.now, env._now))).after(env, 3.0)
    env.run()
    assert seen[-1] == ("late", 10.0, 10.0)
