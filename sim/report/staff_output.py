"""What ``hotline staff`` writes: ``staffing.csv``, ``staffing-override.yaml`` (a scenario that
``extends`` the original with the new hourly seats), ``plots/staffing.png|svg`` and a summary."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import numpy as np
import yaml

from sim.planning.staffing import MIN_CALLS, StaffResult, hourly_list
from sim.report.html import write_atomic
from sim.report.i18n import line_label
from sim.scenario.overrides import apply_override, parse_override
from sim.scenario.yamlsource import deep_merge


def current_by_hour(r: StaffResult, centre: int) -> np.ndarray:
    """The scenario's own seats for each hour of the horizon."""
    return r.plans[centre].seats_by_hour[: r.scenario.horizon_whole_hours].astype(np.int64)


def staffing_csv(r: StaffResult) -> str:
    """One row per centre and interval: current (mean over the interval), Erlang and required."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["centre", "region", "line", "interval", "start", "hours", "current", "erlang",
                "required", "verified"])
    for c in r.cells:
        plan = r.plans[c.centre]
        first = c.block * r.hours
        span = current_by_hour(r, c.centre)[first:first + r.hours]
        start = r.scenario.start + timedelta(hours=first)
        verified = "no" if c.passed is False else "yes" if c.judged else "pooled"
        w.writerow([plan.key, plan.region, plan.line, c.block, start.isoformat(), len(span),
                    f"{span.mean():g}", c.erlang, c.seats, verified])
    return buf.getvalue()


def override_yaml(r: StaffResult, scenario_file: Path, overrides: Sequence[str], out: Path) -> str:
    """A scenario file: ``extends`` the original, repeats the ``--set`` overrides, and gives every
    targeted centre its hourly seats; ``hotline run`` runs it as it is."""
    try:
        parent = os.path.relpath(Path(scenario_file).resolve(), out.resolve())
    except ValueError:  # another drive
        parent = str(Path(scenario_file).resolve())
    data: dict = {}
    for text in overrides:
        path, value = parse_override(text)
        data = apply_override(data, path, value)
    centres = {}
    for i in r.centres:
        hourly = list(hourly_list(r.required_by_hour(i), r.scenario))
        centres[r.plans[i].key] = {"seats": {"constant": None, "peak": None, "minimum": 0,
                                             "hourly": hourly}}
    data = deep_merge(data, {"centres": centres})
    data = {"extends": parent, "name": f"{r.scenario.name}-staffed", **data}
    head = (f"# Written by `hotline staff` for targets {', '.join(map(str, r.targets))};\n"
            f"# {r.hours} h intervals, {r.iterations} simulation round(s), "
            f"{'converged' if r.converged else 'NOT converged'}.\n")
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=None,
                          width=100)
    return head + body


def seat_hours(r: StaffResult) -> dict[str, tuple[float, float]]:
    """Per line and ``all``: (required, current) seat-hours over the horizon, targeted centres."""
    out: dict[str, tuple[float, float]] = {}
    frac = r.scenario.horizon_hours - (r.scenario.horizon_whole_hours - 1)
    for i in r.centres:
        weights = np.ones(r.scenario.horizon_whole_hours)
        weights[-1] = frac
        req = float(np.dot(r.required_by_hour(i), weights))
        cur = float(np.dot(current_by_hour(r, i), weights))
        for key in (r.plans[i].line, "all"):
            a, b = out.get(key, (0.0, 0.0))
            out[key] = (a + req, b + cur)
    return out


def format_staffing(r: StaffResult) -> str:
    """The printed summary: seat-hours required against current per line, and the verdict."""
    lines = [f"{r.scenario.name}: targets {', '.join(map(str, r.targets))}; {len(r.centres)} "
             f"centre(s), {r.hours} h intervals, {r.iterations} simulation round(s) of "
             f"{r.scenario.replications} replications",
             f"{'line':<30}{'required seat-h':>16}{'current seat-h':>16}{'change':>10}"]
    for key, (req, cur) in seat_hours(r).items():
        label = "all targeted centres" if key == "all" else line_label(key, "en")
        change = f"{100 * (req - cur) / cur:+.1f}%" if cur else "—"
        lines.append(f"{label:<30}{req:>16,.0f}{cur:>16,.0f}{change:>10}")
    failing = [c for c in r.cells if c.passed is False]
    unjudged = sum(1 for c in r.cells if not c.judged)
    if r.converged:
        lines.append("converged: the last simulation met every target at the 95 % CI's worse end "
                     f"in every interval ({unjudged} thin interval(s), < {MIN_CALLS} calls "
                     "expected, judged together per centre).")
    else:
        lines.append(f"NOT converged after {r.iterations} round(s): {len(failing)} interval(s) "
                     "still missed in the last simulation (seats were added after it).")
    return "\n".join(lines)


def write_staffing(r: StaffResult, scenario_file: Path, overrides: Sequence[str], out: Path,
                   lang: str = "en") -> list[Path]:
    """Write the CSV, the override scenario, the plot (PNG+SVG) and ``staffing.txt``."""
    from sim.report.fonts import configure_matplotlib, resolve_lang

    lang = resolve_lang(lang)
    configure_matplotlib(lang)
    from sim.report.plots_compare import plot_required_seats

    out.mkdir(parents=True, exist_ok=True)
    written = [write_atomic(out / "staffing.csv", staffing_csv(r)),
               write_atomic(out / "staffing-override.yaml",
                            override_yaml(r, scenario_file, overrides, out)),
               write_atomic(out / "staffing.txt", format_staffing(r) + "\n")]
    panels = {}
    for line in dict.fromkeys(r.plans[i].line for i in r.centres):
        members = [i for i in r.centres if r.plans[i].line == line]
        panels[line_label(line, lang)] = (sum(r.required_by_hour(i) for i in members),
                                          sum(current_by_hour(r, i) for i in members))
    hours = np.arange(r.scenario.horizon_whole_hours, dtype=float)
    written.append(plot_required_seats(hours, panels, out / "plots", "staffing", lang))
    return written
