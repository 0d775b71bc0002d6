"""A first attempt answered at once without its ``Call`` (``Centre.arrive_first``, and
``Centre.arrive_settled`` where its routing is settled at answer) leaves the very records and
orders the full path (``Call`` and ``arrive``) leaves: every field, every leg."""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import pytest

from sim.bench.core import erlang_a_scenario
from sim.domain.streams import replication_seeds
from sim.model.calls import ABANDONED, ANSWERED, NOT_JOINED, WAITING
from sim.model.centre import Centre
from sim.model.loop import ModelEnvironment
from sim.model.network import Network, simulate
from sim.scenario import load_scenario
from sim.scenario.schema import Scenario

SMALL = {
    "name": "at-once", "horizon_hours": 5, "drain_hours": 0, "replications": 1, "seed": 7,
    "lines": {"110": {
        "talk": {"dist": "exponential", "mean": 120},
        "patience": {"dist": "exponential", "mean": 60},
        "redial": {"after_abandon": 0.6, "after_blocked": 0.8, "max_attempts": 3,
                   "delay": {"dist": "exponential", "mean": 60}},
    }, "119": {
        "talk": {"dist": "deterministic", "value": 60},  # ties: seats free at one time
        "patience": {"dist": "deterministic", "value": 30},
    }},
    "centres": {
        # a trunk limit, and seats that change every hour (busy seats leave after their call)
        "620100/110": {"calls_per_day": 2400, "trunks": 14,
                       "seats": {"hourly": [9, 3, 12, 6, 10, 4] * 4}},
        "620200/119": {"calls_per_day": 1800, "seats": 2},
    },
}


Seen = tuple[type, str, Callable[..., bool]]
"""A situation a test means to exercise: a method of a class and when a call of it shows the
situation (called with the method's arguments, before it runs)."""

LEFT_SEAT: Seen = (Centre, "_own_freed", lambda centre, _arg: centre.own_leaving > 0)
"""A leg settled at answer frees a seat that went off duty while it was busy."""
SETTLED_TIE: Seen = (ModelEnvironment, "tie", lambda _env, _at, _priority, fn, _arg: getattr(
    fn, "__name__", "") in ("_talked", "_talked_ordering", "_own_freed"))
"""A settled leg's talk end or wrap-up end falls at the time of another entry of the loop."""


def _records(scenario: Scenario, at_once: bool, monkeypatch,
             counted: tuple[str, ...] = ("_seat_freed",), seen: tuple[Seen, ...] = ()
             ) -> tuple[dict, list[int], dict, list[int]]:
    """The sealed columns of one replication, how many times each handler ``counted`` ran (a
    seat freeing after a leg answered at once, a talk ending for a leg settled at answer: 0
    when ``at_once`` is off and every leg takes the full path), the order columns (empty
    without linkage), and how many times each situation ``seen`` came about."""
    freed = [0] * len(counted)
    times = [0] * len(seen)

    def counting(tally, i, handler, when=None):
        @functools.wraps(handler)
        def handle(self, *args):
            if when is None or when(self, *args):
                tally[i] += 1
            return handler(self, *args)
        return handle

    for i, name in enumerate(counted):  # (bound when a centre is built)
        monkeypatch.setattr(Centre, name, counting(freed, i, getattr(Centre, name)))
    for i, (owner, name, when) in enumerate(seen):
        monkeypatch.setattr(owner, name, counting(times, i, getattr(owner, name), when))
    seq = replication_seeds(scenario.seed, 1)[0]
    net = Network(scenario, seq)
    for centre in net.unique_centres:
        centre.at_once = centre.at_once and at_once
        centre.settles = centre.settles and at_once
    result = simulate(scenario, seq, network=net)
    monkeypatch.undo()
    orders = result.orders.columns() if result.orders else {}
    return result.records.columns(), freed, orders, times


def _assert_same(scenario: Scenario, monkeypatch,
                 counted: tuple[str, ...] = ("_seat_freed",),
                 seen: tuple[Seen, ...] = ()) -> dict:
    """Short path on and off leave the same records and orders; the short path's handlers
    ``counted`` ran with it on only, and each situation ``seen`` came about with it on.
    Returns the records' columns."""
    fast, freed, fast_orders, times = _records(scenario, True, monkeypatch, counted, seen)
    full, none, full_orders, _ = _records(scenario, False, monkeypatch, counted)
    assert min(freed) > 0 and max(none) == 0  # both paths were taken where they should be
    assert all(times), dict(zip((name for _, name, _ in seen), times, strict=True))
    for fast_columns, full_columns in ((fast, full), (fast_orders, full_orders)):
        assert fast_columns.keys() == full_columns.keys()
        for name in fast_columns:
            a, b = fast_columns[name], full_columns[name]
            assert a.dtype == b.dtype, name
            if a.dtype == object:
                assert a.tolist() == b.tolist(), name
            else:
                assert np.array_equal(a, b, equal_nan=True), name
    return fast


def test_erlang_a_bench_model(monkeypatch):
    _assert_same(erlang_a_scenario(4000, 3), monkeypatch)


@pytest.mark.parametrize("wrapup", [None, {"dist": "deterministic", "value": 0},
                                    {"dist": "exponential", "mean": 20}])
def test_trunks_shifts_redials_and_ties(write_scenario, monkeypatch, wrapup):
    data = {**SMALL, "lines": {k: dict(v) for k, v in SMALL["lines"].items()}}
    if wrapup is not None:  # (a wrap-up of 0 takes the short path, any other the full one)
        data["lines"]["119"]["wrapup"] = wrapup
    _assert_same(load_scenario(write_scenario(data)), monkeypatch)


def test_earthquake_without_linkage(monkeypatch):
    """Surges, patience and redial multipliers, remote seat borrowing, several centres (three
    lines with no wrap-up take the short path, two with wrap-up the full one)."""
    scenario = load_scenario("scenarios/jishishan-earthquake.yaml", [
        "horizon_hours=8", "drain_hours=1", *(f"lines.{line}.wrapup.value=0"
                                              for line in ("12345", "110", "119"))])
    scenario = scenario.model_copy(update={"linkage": None, "bot": None, "incidents": {}})
    _assert_same(scenario, monkeypatch)


def test_wrapup_without_linkage_takes_the_settled_path(write_scenario, monkeypatch):
    """Legs with wrap-up and no linkage: resolved on the call, answered without a ``Call``."""
    data = {**SMALL, "lines": {k: dict(v) for k, v in SMALL["lines"].items()}}
    data["lines"]["119"]["wrapup"] = {"dist": "deterministic", "value": 15}
    _assert_same(load_scenario(write_scenario(data)), monkeypatch, ("_talked",))


@pytest.mark.parametrize("overrides", [
    [],  # lognormal talk, deterministic wrap-up, trunks, redials, orders, transfers
    # deterministic talk: legs answered at one time (an hour's seats) end at one time (ties)
    ["lines.119.talk={dist: deterministic, value: 60}",
     "lines.120.talk={dist: deterministic, value: 60}"],
])
def test_linkage_legs_settled_at_answer(monkeypatch, overrides):
    """Linkage (routing, orders, three-way calls): first attempts whose routing is settled
    when answered (``rules.settled_at_answer``: resolved on the call, or orders opened when
    the talk ends) leave the full path's records and orders."""
    scenario = load_scenario("scenarios/gansu-baseline.yaml",
                             ["horizon_hours=10", "drain_hours=2", *overrides])
    assert scenario.linkage is not None
    _assert_same(scenario, monkeypatch, ("_talked", "_talked_ordering"))


def test_merged_lines_settled_at_answer(monkeypatch):
    """S18: a merged line's calls reach its region's 12345 seats, whose case applies."""
    scenario = load_scenario("scenarios/utility-merge.yaml", [
        "horizon_hours=10", "drain_hours=2",
        "merge={lines: [water, power, gas, heating], into: '12345'}"])
    assert scenario.merge is not None
    _assert_same(scenario, monkeypatch, ("_talked", "_talked_ordering"))


SETTLED = ("_talked", "_talked_ordering")
"""The handlers of a leg settled at answer (its talk's end, with orders to open or without)."""
# seats that come and go every hour, going down while most are busy
HOURLY = "{hourly: [3, 1, 4, 1, 5, 2, 6, 1, 3, 2, 5, 1, 4, 2, 6, 1, 3, 1, 5, 2, 4, 1, 6, 2]}"
DAYTIME = "start='2024-06-03T09:00:00+08:00'"  # (busy hours: seats busy when they go)


def test_settled_legs_on_seats_that_leave(monkeypatch):
    """Linkage, with a busy centre's seats going down every other hour while they are busy:
    legs settled at answer finish on seats that went off duty (``own_leaving``)."""
    scenario = load_scenario("scenarios/gansu-baseline.yaml", [
        "horizon_hours=6", "drain_hours=1", DAYTIME,
        f"centres.620100/110.seats={HOURLY}", f"centres.620100/12345.seats={HOURLY}"])
    _assert_same(scenario, monkeypatch, SETTLED, (LEFT_SEAT,))


def test_linkage_with_tied_talk_patience_and_wrapup(monkeypatch):
    """Linkage with deterministic talk and patience (patience: talk plus wrap-up) on four
    lines, and bursts of callers at one second at two busy centres whose seats go down every
    other hour: legs answered together end their talk and their wrap-up together, callers
    give up at the moment seats free, and seats free on the hour, as the shifts change."""
    lines = {"110": (60, 20), "12345": (60, 30), "119": (60, 20), "120": (60, 30)}
    ties = [override for line, (talk, wrap) in lines.items() for override in (
        f"lines.{line}.talk={{dist: deterministic, value: {talk}}}",
        f"lines.{line}.patience={{dist: deterministic, value: {talk + wrap}}}")]
    busy = []
    for line in ("110", "12345"):  # bursts whose first seats free every 5 minutes
        talk, wrap = lines[line]
        bursts = [float(t - talk - wrap) for t in range(300, 4 * 3600 + 1, 300)
                  for _ in range(6)]
        busy += [f"centres.620100/{line}.arrival_times={bursts}",
                 f"centres.620100/{line}.seats={HOURLY}"]
    scenario = load_scenario("scenarios/gansu-baseline.yaml",
                             ["horizon_hours=4", "drain_hours=1", DAYTIME, *ties, *busy])
    records = _assert_same(scenario, monkeypatch, SETTLED, (SETTLED_TIE,))
    answered, centre = records["outcome"] == ANSWERED, records["centre"]

    def times(legs: np.ndarray, field: str) -> list[tuple[int, float]]:
        return list(zip(centre[legs].tolist(), records[field][legs].tolist(), strict=True))

    wrapped = answered & (records["released"] > records["talk_end"])
    for legs, field in ((answered, "talk_end"), (wrapped, "released")):  # at one centre
        assert len(set(times(legs, field))) < len(times(legs, field)), field
    # callers giving up at a centre at the moment one of its seats frees
    assert set(times(records["outcome"] == ABANDONED, "ended")) & set(times(wrapped, "released"))


NO_BOT = ["bot.enabled=false"]  # (a bot turns the short path off network-wide)
DISASTERS = {
    "earthquake": ("scenarios/jishishan-earthquake.yaml", ["horizon_hours=5"]),
    # the flood from the first hour (not the 18th), its KPI window dropped with the hours
    "flood": ("scenarios/flood.yaml", ["horizon_hours=5", "disasters.0.start_hours=0.5",
                                       "kpi_windows=[]"]),
    # the surge's later peaks brought into the first hours
    "epidemic": ("scenarios/epidemic-consult-surge.yaml", [
        "horizon_hours=5", "disasters.0.lines.12345.table=[[0, 3], [2, 7], [6, 5]]"]),
}


def _disaster(name: str, seed: int | None = None) -> Scenario:
    path, overrides = DISASTERS[name]
    scenario = load_scenario(path, [*overrides, "drain_hours=1", *NO_BOT])
    assert scenario.linkage is not None and scenario.bot is not None
    assert not scenario.bot.enabled and any(b.enabled for b in scenario.borrowing)
    return scenario if seed is None else scenario.model_copy(update={"seed": seed})


BORROWED: Seen = (Centre, "_answer", lambda centre, _call, _now:
                  centre.own_busy >= centre.own_seats)
"""A leg answered on a borrowed (remote) seat."""
TRANSFERRED: Seen = (Centre, "arrive", lambda centre, call: call.leg > 0 and centre.settles)
"""A transferred leg reaching a centre that takes settled legs too."""


@pytest.mark.parametrize("name", sorted(DISASTERS))
def test_disasters_without_the_bot(monkeypatch, name):
    """Surges, incidents, remote seat borrowing (lent seats leave while busy) and transfers
    into centres that also take legs settled at answer."""
    _assert_same(_disaster(name), monkeypatch, SETTLED, (BORROWED, TRANSFERRED, LEFT_SEAT))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_earthquake_seeds(monkeypatch, seed):
    """The earthquake without the bot on other seeds (other arrivals, categories, draws)."""
    _assert_same(_disaster("earthquake", seed), monkeypatch, SETTLED,
                 (BORROWED, TRANSFERRED, LEFT_SEAT))


RING_TIE: Seen = (Centre, "_talked_ordering", lambda centre, leg: leg[0] == 0 and any(
    deadline == centre.env.now and call.link is not None and call.state == WAITING
    for deadline, _, call in centre.deadlines))
"""A leg settled at answer with orders and no wrap-up ends its talk (its seat frees) at the
moment a three-way conference leg waiting for that seat stops ringing."""


def test_conference_not_joined_as_a_settled_leg_ends(monkeypatch):
    """110 callers about noise (scope unclear: a three-way call to 12345 now and then, else a
    system-dispatched order) answered at once every 5 minutes, and 12345's three seats filled
    ``ring`` seconds later by housing callers (a work order, no wrap-up): their talk ends
    when a conference leg from 110 stops ringing in 12345's queue. The seat that frees then
    finds that leg not joined, and the first receiver opens its order: after the settled
    leg's own orders, as on the full path (``after_talk`` before the seat frees), so the order
    ids are the full path's."""
    ring, talk = 20, 60
    times = [float(t) for t in range(300, 4 * 3600, 300)]
    centres = {"620100/110": {"calls_per_day": 0, "seats": {"constant": 6},
                              "arrival_times": times},
               "620100/12345": {"calls_per_day": 0, "seats": {"constant": 3},
                                "arrival_times": [t + ring for t in times for _ in range(3)]}}
    scenario = load_scenario("scenarios/gansu-baseline.yaml", [
        "horizon_hours=4", "drain_hours=1", f"centres={centres}",
        "linkage.mix={'110': {G-NOISE: 1}, '12345': {G-HOUSING: 1}}",
        f"linkage.three_way.ring_seconds={ring}",
        *(f"lines.{line}.talk={{dist: deterministic, value: {talk}}}" for line in ("110", "12345")),
        "lines.12345.wrapup={dist: deterministic, value: 0}"])
    records = _assert_same(scenario, monkeypatch, SETTLED, (RING_TIE,))
    assert (records["outcome"] == NOT_JOINED).any()
