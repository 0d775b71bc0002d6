"""hotline roster: shifts from the staffing optimiser's seats, by integer programming."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from sim.domain.errors import InputError
from sim.planning.roster import Shift, ShiftRules, patterns, solve_centre

DIURNAL = {  # one 110 centre over a day: quiet night, busy afternoon; Erlang-A-like callers
    "name": "diurnal", "seed": 5, "start": "2024-06-03T00:00:00+08:00", "horizon_hours": 24,
    "warmup_hours": 0, "drain_hours": 1, "replications": 4, "service_level_seconds": [20],
    "lines": {"110": {"talk": {"dist": "exponential", "mean": 120},
                      "patience": {"dist": "exponential", "mean": 90},
                      "target": {"seconds": 20, "level": 0.8},
                      "hour_profile": [1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 7, 7, 8, 8, 8, 7,
                                       6, 5, 4, 3, 2, 1]}},
    "centres": {"620100/110": {"calls_per_day": 4000, "seats": 20}},
}


def test_a_shift_covers_its_hours_except_its_break_and_wraps_around():
    assert Shift(20, 8, 3).on_seat(24, 1) == [20, 21, 22, 0, 1, 2, 3]
    assert Shift(0, 4, None).on_seat(24, 1) == [0, 1, 2, 3]
    rules = ShiftRules(lengths=(8,), start_hours=(6, 14, 22))
    assert {(s.start, s.break_at) for s in patterns(24, 0, rules)} == {
        (h, b) for h in (6, 14, 22) for b in (3, 4)}
    with pytest.raises(InputError, match="--shift"):
        ShiftRules(lengths=(30,))
    with pytest.raises(InputError, match="--break"):
        ShiftRules(lengths=(6,), break_hours=1).break_offsets(6)  # 3 h margins leave no room


def test_exact_roster_of_a_flat_requirement_without_breaks():
    # 3 seats around the clock with 8 h shifts and no break: 9 shifts, 72 agent-hours, the
    # LP bound itself.
    r = solve_centre("c", np.full(24, 3), 0, ShiftRules(lengths=(8,), break_hours=0))
    assert r.agent_hours == 72 and r.lp_bound == pytest.approx(72)
    assert (r.coverage == 3).all() and sum(n for _, n in r.shifts) == 9


def test_roster_covers_every_hour_close_to_the_lp_bound():
    hours = np.arange(168)
    need = np.maximum(2, np.round(30 * np.clip(np.sin(np.pi * ((hours % 24) - 6) / 16), 0, None)))
    r = solve_centre("c", need.astype(int), 0, ShiftRules(lengths=(8, 12)), time_limit=20)
    assert (r.coverage >= need).all()
    assert r.agent_hours >= r.lp_bound - 1e-6 and r.gap <= 0.02


@pytest.mark.slow
def test_roster_of_the_staffing_output_covers_and_meets_the_target(rcli, write_scenario,
                                                                    tmp_path):
    scenario = write_scenario(DIURNAL, "diurnal.yaml")
    staff = tmp_path / "staff"
    result = rcli("staff", scenario, "--target", "110:sl20>=0.8", "-r", 4, "-j", 2, "--out",
                  staff, "-q")
    assert result.exit_code == 0, result.output
    result = rcli("roster", staff, "--shifts", "8,10,12", "--shrinkage", 0.3, "-r", 4, "-j", 2,
                  "-q")
    assert result.exit_code == 0, result.output
    cover = list(csv.DictReader((staff / "roster-coverage.csv").open()))
    assert len(cover) == 24 and all(int(c["on_seat"]) >= int(c["required"]) for c in cover)
    total = next(ln for ln in result.output.splitlines() if ln.startswith("all "))
    agent_h, bound = (float(x) for x in total.split()[1:3])
    assert agent_h <= 1.02 * bound
    shifts = list(csv.DictReader((staff / "roster.csv").open()))
    assert sum(int(s["agents"]) * int(s["length_h"]) for s in shifts) == agent_h
    assert "1 of 1 centre targets met" in result.output
    assert "110:sl20>=0.8" in result.output and "  met" in result.output


def test_roster_of_a_directory_without_staffing_is_exit_2(rcli, tmp_path):
    result = rcli("roster", tmp_path)
    assert result.exit_code == 2 and "staffing.csv" in result.output


def _on_seat_from_rows(rows: list[dict], hours: int) -> np.ndarray:
    """Agents on a seat per hour from roster.csv rows without breaks, computed here (not by
    sim.planning.roster) and without wrapping: hours past the period's end cover nothing."""
    cover = np.zeros(hours, dtype=int)
    for row in rows:
        assert row["break_h"] == "0"
        start, length = int(row["start_hour"]), int(row["length_h"])
        cover[start:min(hours, start + length)] += int(row["agents"])
    return cover


def test_a_period_of_whole_days_wraps_and_one_of_part_of_a_day_does_not():
    # 1 seat in hours 0-3 and 8-11 of a 12 h period, 8 h shifts without breaks: folding a shift
    # that starts at hour 8 onto hours 0-3 would cover everything with 8 agent-hours, but the
    # period does not repeat, so two shifts (16 agent-hours) are needed.
    need = np.array([1] * 4 + [0] * 4 + [1] * 4)
    rules = ShiftRules(lengths=(8,), break_hours=0)
    part = solve_centre("c", need, 0, rules)
    assert part.agent_hours == 16 and part.fte(rules) is None
    independent = np.zeros(12)
    for shift, n in part.shifts:
        independent[shift.start:min(12, shift.start + 8)] += n
    assert (part.coverage == independent).all() and (independent >= need).all()
    # The same hours in a day (0-3 and 20-23): one night shift starting 20:00 covers both.
    day = np.zeros(24, dtype=int)
    day[[0, 1, 2, 3, 20, 21, 22, 23]] = 1
    whole = solve_centre("c", day, 0, rules)
    assert whole.agent_hours == 8 and whole.fte(rules) == pytest.approx(8 * 7 / 28)
    assert Shift(8, 8, None).on_seat(12, 0, wrap=False) == [8, 9, 10, 11]


def _staffing_dir(tmp_path, write_scenario, horizon: int, hourly: list[int],
                  rows: list[str] | None = None):
    """A hand-made `hotline staff` directory over DIURNAL with the given hourly seats."""
    write_scenario({**DIURNAL, "horizon_hours": horizon}, "base.yaml")
    staff = tmp_path / "staff"
    staff.mkdir()
    (staff / "staffing-override.yaml").write_text(
        "# Written by `hotline staff` for targets 110:sl20>=0.8;\n"
        "extends: ../base.yaml\nname: base-staffed\n"
        f"centres:\n  620100/110:\n    seats: {{constant: null, peak: null, minimum: 0, "
        f"hourly: {hourly}}}\n", encoding="utf-8")
    head = "centre,region,line,interval,start,hours,current,erlang,required,verified\n"
    body = rows if rows is not None else ["620100/110,620100,110,0,x,1,20,3,4,yes"]
    (staff / "staffing.csv").write_text(head + "".join(r + "\n" for r in body),
                                        encoding="utf-8")
    return staff


def test_roster_of_a_12_hour_staffing_warns_and_covers_without_wrapping(rcli, write_scenario,
                                                                        tmp_path):
    hourly = [3, 3, 3, 3, 1, 1, 1, 1, 4, 4, 4, 4, 4]  # 12 h horizon + 1 h drain
    staff = _staffing_dir(tmp_path, write_scenario, 12, hourly)
    result = rcli("roster", staff, "--shifts", "8", "--break", 0, "--no-verify")
    assert result.exit_code == 0, result.output
    assert "not whole days" in result.output and "no FTE" in result.output
    fte_column = result.output.splitlines()[2].split()[-2]
    assert fte_column == "—"
    rows = list(csv.DictReader((staff / "roster.csv").open()))
    cover = list(csv.DictReader((staff / "roster-coverage.csv").open()))
    on_seat = _on_seat_from_rows(rows, 12)
    assert [int(c["on_seat"]) for c in cover] == list(on_seat)
    assert all(int(c["on_seat"]) >= int(c["required"]) for c in cover)
    assert [int(c["required"]) for c in cover] == hourly[:12]


@pytest.mark.parametrize(("rows", "where"), [
    ([], "no centre rows"),
    (["620100/110,620100,110,0,x,1,20,3,abc,yes"], "staffing.csv:2: required"),
    (["620100/110,620100,110,0,x,1,20,3,4,yes", "620100/110,620100,110,1,x,1,20,3,-3,yes"],
     "staffing.csv:3: required"),
    (["999999/110,999999,110,0,x,1,20,3,4,yes"], "staffing.csv:2: centre"),
])
def test_roster_of_a_broken_staffing_csv_is_exit_2(rcli, write_scenario, tmp_path, rows, where):
    staff = _staffing_dir(tmp_path, write_scenario, 24, [3] * 24, rows)
    result = rcli("roster", staff, "--no-verify")
    assert result.exit_code == 2, result.output
    assert where in result.output and not (staff / "roster.csv").exists()
