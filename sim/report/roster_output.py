"""``hotline roster``: read a staffing directory, roster every centre, write and verify.

Reads ``staffing.csv`` (which centres were staffed) and ``staffing-override.yaml`` (their seats
per hour) from a ``hotline staff`` directory; writes ``roster.csv`` (one row per shift pattern
with agents on it), ``roster-coverage.csv`` (per centre and hour: required seats and agents on a
seat) and ``roster-scenario.yaml`` (the staffed scenario with seats that follow the roster).
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
import yaml

from sim.domain.errors import InputError
from sim.planning.roster import CentreRoster, ShiftRules, roster_all, wraps
from sim.report.html import write_atomic
from sim.results.stats import KpiSummary

OVERRIDE = "staffing-override.yaml"


@dataclass
class StaffingInput:
    """What the roster needs from a staffing directory."""

    directory: Path
    scenario: object  # the staffed Scenario
    data: dict  # staffing-override.yaml as plain data
    required: dict[str, np.ndarray]  # centre key -> seats per hour of the horizon
    targets: list[str]  # the ``--target`` texts of ``hotline staff``


def read_staffing(directory: Path) -> StaffingInput:
    """Load a ``hotline staff`` output directory; exit-2 errors name the missing file."""
    from sim.scenario import load_scenario
    from sim.scenario.plan import build_plans

    directory = Path(directory)
    csv_path, yaml_path = directory / "staffing.csv", directory / OVERRIDE
    for path in (csv_path, yaml_path):
        if not path.exists():
            raise InputError(f"not a staffing directory (no {path.name}; run `hotline staff` "
                             "first)", source=directory)
    text = yaml_path.read_text(encoding="utf-8")
    scn = load_scenario(yaml_path)
    plans = {p.key: p for p in build_plans(scn)}
    keys = staffed_centres(csv_path, set(plans))
    hours = scn.horizon_whole_hours
    required = {k: plans[k].seats_by_hour[:hours].astype(np.int64) for k in keys}
    head = re.search(r"for targets (.+?);", text)
    targets = [t.strip() for t in head.group(1).split(",")] if head else []
    return StaffingInput(directory, scn, yaml.safe_load(text), required, targets)


def staffed_centres(path: Path, centres: set[str]) -> list[str]:
    """The centres of ``staffing.csv``, in order; exit-2 errors name the row and column."""
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in ("centre", "required") if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(f"expected the columns centre and required (as `hotline staff` "
                             f"writes them), missing {', '.join(missing)}", source=path)
        rows = list(reader)
    if not rows:
        raise InputError("no centre rows under the header (run `hotline staff` again)",
                         source=path)
    for n, row in enumerate(rows, start=2):  # file line: the header is line 1
        if row["centre"] not in centres:
            raise InputError(f"centre {row['centre']!r} is not a centre of the staffed "
                             f"scenario {OVERRIDE}", source=path, line=n, key="centre")
        value = (row["required"] or "").strip()
        if not re.fullmatch(r"[0-9]+", value):
            raise InputError(f"expected a whole number of seats >= 0, got {value!r}",
                             source=path, line=n, key="required")
    return list(dict.fromkeys(row["centre"] for row in rows))


def roster_csv(rosters: Sequence[CentreRoster], start, rules: ShiftRules) -> str:
    """One row per centre and shift pattern used: start, length, break, agents."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["centre", "start", "start_hour", "length_h", "break_start", "break_h", "agents"])
    for r in rosters:
        for shift, agents in r.shifts:
            brk = "" if shift.break_at is None else (
                start + timedelta(hours=shift.start + shift.break_at)).isoformat()
            w.writerow([r.key, (start + timedelta(hours=shift.start)).isoformat(), shift.start,
                        shift.length, brk, 0 if shift.break_at is None else rules.break_hours,
                        agents])
    return buf.getvalue()


def coverage_csv(rosters: Sequence[CentreRoster], start) -> str:
    """Per centre and hour: the seats required and the agents the roster puts on a seat."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["centre", "hour", "time", "required", "on_seat"])
    for r in rosters:
        for t, (need, have) in enumerate(zip(r.required, r.coverage, strict=True)):
            w.writerow([r.key, t, (start + timedelta(hours=t)).isoformat(), int(need), int(have)])
    return buf.getvalue()


def roster_scenario(inp: StaffingInput, rosters: Sequence[CentreRoster], out: Path) -> str:
    """The staffed scenario with every rostered centre's seats = agents on a seat each hour."""
    from sim.planning.staffing import hourly_list

    data = dict(inp.data)
    parent = (inp.directory / data["extends"]).resolve()
    data["extends"] = os.path.relpath(parent, Path(out).resolve())
    data["name"] = f"{inp.scenario.name.removesuffix('-staffed')}-roster"
    centres = dict(data.get("centres") or {})
    for r in rosters:
        seats = {"constant": None, "peak": None, "minimum": 0,
                 "hourly": list(hourly_list(r.coverage.astype(np.int64), inp.scenario))}
        centres[r.key] = {**(centres.get(r.key) or {}), "seats": seats}
    data["centres"] = centres
    head = "# Written by `hotline roster`: seats follow the roster (agents on a seat per hour).\n"
    return head + yaml.safe_dump(data, allow_unicode=True, sort_keys=False,
                                 default_flow_style=None, width=100)


def make_rosters(inp: StaffingInput, rules: ShiftRules, time_limit: float = 5.0
                 ) -> list[CentreRoster]:
    """Roster every staffed centre (``time_limit`` seconds each at most)."""
    return roster_all(inp.required, inp.scenario.start.hour, rules, time_limit)


def write_roster(inp: StaffingInput, rosters: Sequence[CentreRoster], rules: ShiftRules,
                 out: Path) -> Path:
    """Write roster.csv, roster-coverage.csv and roster-scenario.yaml; return the scenario."""
    out.mkdir(parents=True, exist_ok=True)
    start = inp.scenario.start
    write_atomic(out / "roster.csv", roster_csv(rosters, start, rules))
    write_atomic(out / "roster-coverage.csv", coverage_csv(rosters, start))
    return write_atomic(out / "roster-scenario.yaml", roster_scenario(inp, rosters, out))


def _fte_text(value: float | None, width: int = 7) -> str:
    return f"{'—':>{width}}" if value is None else f"{value:>{width}.1f}"


def wrap_note(rosters: Sequence[CentreRoster]) -> str | None:
    """A warning when the period is not whole days (no wrap, no FTE), else ``None``."""
    hours = len(rosters[0].required) if rosters else 0
    if not rosters or wraps(hours):
        return None
    return (f"warning: the staffing covers {hours} h, not whole days, so the roster does not "
            "repeat: shifts do not wrap around the day (a shift running past the end covers "
            "nothing beyond it, its hours there are still paid) and no FTE is given. Run "
            "`hotline staff` with horizon_hours a multiple of 24 for a repeating roster.")


def format_roster(rosters: Sequence[CentreRoster], rules: ShiftRules) -> str:
    """FTEs, agent-hours and the gap to the LP bound per centre, and the total."""
    from sim.report.tables import place_label

    head = (f"{'centre 中心':<40}{'shifts':>7}{'agent-h':>9}{'LP bound':>10}{'gap':>7}"
            f"{'FTE':>7}{'covered':>9}")
    out = [head, "-" * len(head)]
    for r in rosters:
        ok = bool((r.coverage >= r.required).all())
        out.append(f"{place_label(r.key):<40}{sum(n for _, n in r.shifts):>7}"
                   f"{r.agent_hours:>9.0f}{r.lp_bound:>10.1f}{100 * r.gap:>6.1f}%"
                   f"{_fte_text(r.fte(rules))}{'yes' if ok else 'NO':>9}")
    total, bound = sum(r.agent_hours for r in rosters), sum(r.lp_bound for r in rosters)
    gap = 0.0 if bound <= 0 else total / bound - 1
    ftes = [r.fte(rules) for r in rosters]
    fte_total = None if any(f is None for f in ftes) else sum(ftes)
    out.append(f"{'all':<40}{'':>7}{total:>9.0f}{bound:>10.1f}{100 * gap:>6.1f}%"
               f"{_fte_text(fte_total)}")
    out.append(f"FTE = weekly agent-hours / ({rules.contract_hours:g} h × (1 − shrinkage "
               f"{rules.shrinkage:g})); gap = agent-hours over the LP relaxation's bound "
               "(small centres pay for covering breaks).")
    note = wrap_note(rosters)
    if note:
        out.append(note)
    return "\n".join(out)


def verify(scenario_path: Path, inp: StaffingInput, rosters: Sequence[CentreRoster], out: Path,
           *, replications: int | None, seed: int | None, jobs: int,
           on_done=None) -> list[tuple[str, str, str, str]]:
    """Simulate the roster scenario; per rostered centre and target: (centre, target, value,
    verdict) with verdict ``met``, ``not distinguishable``, ``missed`` (95 % CI) or ``no calls``
    (no service level: neither met nor missed)."""
    from sim.experiments.runner import prepare, run_scenario
    from sim.planning.staff_targets import parse_target
    from sim.report.html import fmt_kpi
    from sim.scenario.plan import build_plans

    result = run_scenario(prepare(scenario_path, replications=replications, seed=seed),
                          jobs=jobs, out_dir=out, on_done=on_done)
    scn = result.scenario
    targets = [parse_target(t, set(scn.lines), set(scn.centres)) for t in inp.targets]
    plans = {p.key: p for p in build_plans(scn)}
    rows = []
    for r in rosters:
        for t in (t for t in targets if t.applies_to(plans[r.key])):
            entry = result.document.centres[r.key].get(t.kpi)
            kpi = entry or KpiSummary(None, None, None)
            mean, ends = kpi.mean, [v for v in (kpi.low, kpi.high) if v is not None]
            verdict = ("no calls" if mean is None else "met" if t.meets(mean) else
                       "not distinguishable" if any(t.meets(v) for v in ends) else "missed")
            rows.append((r.key, str(t), fmt_kpi(t.kpi, entry), verdict))
    return rows
