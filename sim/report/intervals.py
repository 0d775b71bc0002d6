"""Per-centre interval tables a spreadsheet opens: ``intervals.csv`` (the run's interval,
15 min by default) and ``intervals-30min.csv``, linked from ``report.html``.

Columns: centre code and name, region, line, local date, weekday, time, then calls offered,
answered, abandoned and blocked, the service level at the centre's target (answered within the
target seconds / offered), the average speed of answer (s), seats on duty (own and borrowed)
and callers waiting, all means over replications.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from sim.report.html import write_atomic
from sim.report.tables import place_label
from sim.results.rundata import Series

COLUMNS = ("centre", "name", "region", "line", "date", "weekday", "time", "offered", "answered",
           "abandoned", "blocked", "service_level", "asa_s", "seats", "borrowed", "waiting")


def _num(x: float, digits: int = 2) -> str:
    return "" if np.isnan(x) else f"{x:.{digits}f}".rstrip("0").rstrip(".")


def intervals_csv(series: Series, start: str) -> str:
    """The table as CSV text (UTF-8 with a BOM, so spreadsheet programs read the names)."""
    base = datetime.fromisoformat(start).replace(tzinfo=None)
    stamps = [base + timedelta(seconds=float(t)) for t in series.t]
    col = {c: j for j, c in enumerate(series.columns)}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for i, key in enumerate(series.centres):
        name, v = place_label(key), series.values[i]
        offered, answered = v[:, col["offered"]], v[:, col["answered"]]
        with np.errstate(invalid="ignore", divide="ignore"):
            sl = np.where(offered > 0, v[:, col["answered_in_target"]] / offered, np.nan)
            asa = np.where(answered > 0, v[:, col["wait_sum"]] / answered, np.nan)
        for j, when in enumerate(stamps):
            w.writerow([key, name, series.regions[i], series.lines[i], when.date().isoformat(),
                        when.strftime("%a"), when.strftime("%H:%M"), _num(offered[j]),
                        _num(answered[j]), _num(v[j, col["abandoned"]]),
                        _num(v[j, col["blocked"]]), _num(sl[j], 4), _num(asa[j], 1),
                        _num(v[j, col["seats"]]), _num(v[j, col["borrowed"]]),
                        _num(v[j, col["queue"]])])
    return "\ufeff" + buf.getvalue()


def merge(series: Series, factor: int) -> Series:
    """Intervals ``factor`` times longer: counts summed, levels averaged."""
    from sim.results.rundata import LEVEL_COLUMNS

    n = len(series.t) // factor
    v = series.values[:, : n * factor, :].reshape(len(series.centres), n, factor, -1)
    out = v.sum(axis=2)
    levels = [j for j, c in enumerate(series.columns) if c in LEVEL_COLUMNS]
    out[:, :, levels] = v[:, :, :, levels].mean(axis=2)
    return Series(series.centres, series.regions, series.lines, series.t[: n * factor: factor],
                  series.columns, out, series.start)


def write_intervals(series: Series, start: str, run_dir: Path) -> list[str]:
    """Write the interval CSVs into ``run_dir``; return their names (for the report's links)."""
    names = [write_atomic(run_dir / "intervals.csv", intervals_csv(series, start)).name]
    factor = round(1800 / series.step)
    if factor > 1 and abs(factor * series.step - 1800) < 1e-6:
        names.append(write_atomic(run_dir / "intervals-30min.csv",
                                  intervals_csv(merge(series, factor), start)).name)
    return names
