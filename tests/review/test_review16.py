"""Review of issue 16's speed work (46d2ee4..main): each test names a behaviour the change
altered against the code before it (46d2ee4), or a claim of the change that does not hold."""

from __future__ import annotations

import numpy as np

from sim.domain.distributions import Deterministic
from sim.domain.streams import Streams
from sim.model.events import Callback
from sim.model.linkage.orders import OrderSystem
from sim.model.loop import ModelEnvironment
from sim.scenario.linkage import Orders

NAN = float("nan")


def _orders(env: ModelEnvironment, sign: float = 10.0) -> OrderSystem:
    spec = Orders(sign_delay=Deterministic(value=sign), processing=Deterministic(value=1e6),
                  processing_by_urgency={u: Deterministic(value=1e6)
                                         for u in ("emergency", "urgent", "normal")})
    return OrderSystem(env, spec, 1e9, Streams(np.random.SeedSequence(1)))


def _signed(order) -> float:
    """An open order's sign-off time (a state dict before 46d2ee4..main, a slotted object or
    its record so far since), so the same test runs against both."""
    return order["signed"] if isinstance(order, dict) else order.signed


def test_an_order_timer_tied_with_another_entry_runs_in_scheduling_order():
    """Order B's sign-off (scheduled at t=1 for t=11) must run before entry E (scheduled later,
    at t=2, for t=11), as SimPy's (time, priority, event id) rule and 46d2ee4 ran them. On main
    the orders' single wake-up is re-armed for t=11 only when A's sign-off runs at t=10, so it
    lands behind E in t=11's bucket: E sees B unsigned."""
    env = ModelEnvironment()
    system = _orders(env)
    seen: list[float] = []
    for call_id in (0, 1):  # order A at t=0 (signs at 10), order B at t=1 (signs at 11)
        Callback(lambda e: system.create("work_order", e.tag, "r", "12345", "d", "C", "normal"),
                 call_id).at(env, float(call_id))
    Callback(lambda e: Callback(lambda e2: seen.append(_signed(system.order(1)))).at(env, 11.0)
             ).at(env, 2.0)
    env.run(until=100.0)
    assert seen == [11.0]  # main: [nan]


def test_fixed_with_no_decimals_prints_as_percent_0f():
    """``csvtext.fixed(values, decimals)`` claims ``%.{decimals}f`` per cell; with
    ``decimals=0`` it prints a trailing point ("516." where ``%.0f`` gives "516")."""
    from sim.results.csvtext import csv_rows, fixed

    values = np.array([516.0, -680.25, 0.5, 1.5, 2.4999])
    got = b"".join(csv_rows([fixed(values, 0)])).decode()
    assert got == "".join(f"{v:.0f}\n" for v in values.tolist())  # what %.0f prints


def _record(call_id: int, leg: int) -> tuple:
    from sim.model.record import FIELD, INT, LEG_FIELDS

    row = [0 if f.dtype == INT else 0.0 for f in LEG_FIELDS]
    row[FIELD["call_id"]], row[FIELD["leg"]] = call_id, leg
    return tuple(row)


def _packed(call_id: int, leg: int) -> bytes:
    """The record as the model hands it over (``sim.model.record.PACKED``)."""
    from sim.model.record import PACKED

    return PACKED.pack(*_record(call_id, leg))


def test_record_log_slices_like_the_list_it_replaced():
    """``ReplicationResult.records`` was a ``list[tuple]`` (sorted); the ``RecordLog`` that
    replaced it indexes with ints only: ``records[0:2]`` raises TypeError ('<=' between int and
    slice)."""
    from sim.model.record_log import RecordLog

    log = RecordLog()
    rows = [_record(i, 0) for i in (3, 1, 2)]
    for r in rows:
        log.append(_packed(*r[:2]))
    log.seal()
    assert log[0:2] == sorted(rows)[0:2]


def test_a_copied_record_log_keeps_its_own_records():
    """``RecordLog.append`` is the bound ``append`` of its row list, which ``copy.deepcopy``
    treats as atomic: the copy's ``append`` still writes into the original's rows (the copy
    stays short, the original grows)."""
    import copy

    from sim.model.record_log import RecordLog

    log = RecordLog()
    log.append(_packed(0, 0))
    twin = copy.deepcopy(log)
    twin.append(_packed(1, 0))
    assert (len(log), len(twin)) == (1, 2)


def test_replication_kpis_of_some_centres_only():
    """``replication_kpis(cols, plans, ...)`` took any plans (a centre's legs picked by
    ``np.isin(centre, p.index)``); main finds each centre's legs by ``rows_by(centre,
    len(plans))``, so plans that are not all the run's centres, e.g. the second centre alone,
    raise IndexError instead of giving that centre's KPIs."""
    from sim.model.network import simulate
    from sim.results.kpis import replication_kpis
    from sim.results.records import to_columns
    from sim.scenario.loader import load_scenario
    from sim.scenario.plan import build_plans

    scenario = load_scenario("validation/jackson-ff", ["horizon_hours=1", "warmup_hours=0"])
    plans = build_plans(scenario)
    cols = to_columns(simulate(scenario, np.random.SeedSequence(3)).records)
    staffed = np.full(len(plans), 3600.0)
    full = replication_kpis(cols, plans, scenario, staffed)
    second = replication_kpis(cols, plans[1:], scenario, staffed)
    assert second.centres[plans[1].key] == full.centres[plans[1].key]
