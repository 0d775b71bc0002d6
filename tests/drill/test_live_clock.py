"""The drill clock on a hand-driven real clock: exact readings through every transition."""

from __future__ import annotations

import pytest

from sim.drill.live.clock import ClockError, DrillClock
from sim.drill.score import format_table, table_rows


class Real:
    def __init__(self) -> None:
        self.t = 50.0

    def __call__(self) -> float:
        return self.t


def test_the_clock_runs_at_speed_and_stands_still_when_paused():
    real = Real()
    clock = DrillClock(speed=10.0, duration_s=600.0, real=real)
    log = []
    for step, action in ((5, None), (0, "start"), (3, "pause"), (100, "resume"), (2, None),
                         (0, "stop"), (9, None)):
        real.t += step
        if action:
            clock.act(action)
        log.append((clock.status, clock.now()))
    assert log == [("ready", 0.0), ("running", 0.0), ("paused", 30.0), ("running", 30.0),
                   ("running", 50.0), ("ended", 50.0), ("ended", 50.0)]


def test_the_clock_ends_at_the_duration_and_resumes_from_a_saved_reading():
    real = Real()
    clock = DrillClock(speed=60.0, duration_s=600.0, status="running", base_s=590.0, real=real)
    real.t += 0.1
    assert clock.now() == pytest.approx(596.0) and not clock.tick()
    real.t += 1
    assert clock.now() == 600.0 and clock.tick() and clock.status == "ended"
    assert not clock.tick()


@pytest.mark.parametrize(("status", "action"), [("ready", "pause"), ("ready", "resume"),
                                                ("running", "start"), ("paused", "pause"),
                                                ("ended", "stop"), ("running", "rewind")])
def test_an_action_not_allowed_now_is_refused(status, action):
    clock = DrillClock(speed=1.0, duration_s=60.0, status=status, real=Real())
    with pytest.raises(ClockError):
        clock.act(action)
    assert clock.status == status


def test_the_dashboard_cells_are_the_cells_of_the_score_table():
    row = {"injects": 4, "answered": 3, "category_pct": 56.25, "routing_pct": 100.0,
           "first_dispatch_pct": None, "on_time_pct": 12.5, "mean_decision_s": 7.25,
           "score_pct": 56.25}
    doc = {"trainees": {"T1": row}, "overall": row}
    lines = format_table(doc).splitlines()[2:]
    for line, cells in zip(lines, table_rows(doc), strict=True):
        assert line.replace(" ", "") == "".join(cells)
    assert table_rows(doc)[0][2] == f"{56.25:.1f}%"


def test_a_held_clock_stands_still_until_released_then_runs_from_then():
    real = Real()
    clock = DrillClock(speed=60.0, duration_s=600.0, status="running", base_s=100.0, real=real,
                       held=True)
    real.t += 5  # the server is still starting: nobody can reach it
    assert clock.now() == 100.0 and not clock.tick()
    clock.release()
    real.t += 1
    assert clock.now() == 160.0
    clock.release()  # a second release changes nothing
    assert clock.now() == 160.0
