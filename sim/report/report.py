"""``report.html`` and ``plots/`` of a run directory (``write_report``)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from sim.report.fonts import configure_matplotlib, resolve_lang
from sim.report.html import (
    data_uri,
    extra_section,
    fmt_value,
    kpi_label,
    kpi_table,
    render,
    target_rows,
    with_bot_share,
    write_atomic,
)
from sim.report.i18n import line_label, region_label, t
from sim.report.tables import place_label, sparse_warnings
from sim.results.document import KpiDocument, means
from sim.results.rundata import RunData, load_run

N_CENTRES = 3


@dataclass
class PlotEntry:
    """One plot of a report: written (``uri``) or absent with a note."""

    stem: str
    title: str
    uri: str | None = None
    note: str | None = None


def write_report(run_dir: Path, lang: str = "en", centres: Sequence[str] | None = None) -> Path:
    """Write ``plots/*.png|svg`` and a self-contained ``report.html`` into ``run_dir``.

    ``lang`` is ``en`` or ``zh`` (Chinese labels need a CJK font, else English is used).
    ``centres`` are the centres plotted on their own; by default the (up to) three with the
    smallest margin over their service-level target. Returns the path of ``report.html``.
    """
    run_dir = Path(run_dir)
    lang = resolve_lang(lang)
    configure_matplotlib(lang)
    data = load_run(run_dir)
    plots = make_plots(data, run_dir / "plots", lang, centres)
    context = report_context(data, plots, lang)
    context["ix"] = interactive_context(data, centres, lang)
    if data.series is not None:
        from sim.report.intervals import write_intervals

        context["interval_files"] = write_intervals(data.series, data.kpis.start, run_dir)
    html = render("report.html.j2", **context)
    return write_atomic(run_dir / "report.html", html)


def interactive_context(data: RunData, centres: Sequence[str] | None,
                        lang: str = "en") -> dict | None:
    """The interactive section; by default it shows every line, or for a disaster scenario
    (or with ``--centre``) the centre most at risk."""
    from sim.report import interactive

    picked = list(centres) if centres else (
        chosen_centres(data.kpis, 1, data.scenario) if getattr(data.scenario, "disasters", None)
        else [])
    default = f"centre:{picked[0]}" if picked else "lines"
    return interactive.context(data.series, data.kpis, default, lang)


def chosen_centres(doc: KpiDocument, n: int = N_CENTRES, scenario=None) -> list[str]:
    """The ``n`` centres with the smallest (service level − target), worst first; with a
    disaster, the centres of its most affected regions (intensity ≥ 0.5) come first."""
    hit = {code for d in getattr(scenario, "disasters", ()) or ()
           for code, x in d.regions.items() if x >= 0.5}
    rows = [r for r in doc.targets if r.kind == "centre" and r.mean is not None]
    rows.sort(key=lambda r: (r.name.split("/")[0] not in hit, r.mean - r.target))
    return [r.name for r in rows[:n]]


def _groups(data: RunData, lang: str, centres: Sequence[str] | None):
    from sim.report.plots import Group

    series, doc = data.series, data.kpis
    level = {(r.kind, r.name): r.target for r in doc.targets}
    lines = [Group(line_label(line, lang), tuple(series.members(line=line)),
                   level.get(("line", line)))
             for line in dict.fromkeys(series.lines)]
    picked = [c for c in (centres if centres is not None else
                          chosen_centres(doc, scenario=data.scenario))
              if c in series.centres]
    chosen = [Group(f"{t('centre', lang)} {place_label(c, lang)}",
                    tuple(series.members(centre=c)), level.get(("centre", c)))
              for c in picked]
    return lines, chosen


def make_plots(data: RunData, out: Path, lang: str,
               centres: Sequence[str] | None = None) -> list[PlotEntry]:
    """Every plot the run's data allows; absent data gives an entry with a note instead."""
    from sim.report import plots, plots_extra

    entries: list[PlotEntry] = []

    def add(stem: str, title: str, make, note: str | None = None) -> None:
        if make is None:
            entries.append(PlotEntry(stem, title, note=note or "no data in this run"))
            return
        entries.append(PlotEntry(stem, title, uri=data_uri(make(out, stem))))

    if data.series is None:
        add("volume-lines", t("volume", lang), None, "no data (timeseries.csv missing)")
    else:
        lines, chosen = _groups(data, lang, centres)
        s = replace(data.series.coarsen(), start=data.kpis.start)
        for suffix, groups in (("lines", lines), ("centres", chosen)):
            if not groups:
                continue
            add(f"volume-{suffix}", t("volume", lang),
                lambda o, st, g=groups: plots.plot_volume(s, g, o, st, lang))
            add(f"service-level-{suffix}", t("sl_time", lang),
                lambda o, st, g=groups: plots.plot_service_level(s, g, o, st, lang))
            add(f"queue-seats-{suffix}", t("queue_seats", lang),
                lambda o, st, g=groups: plots.plot_queue_seats(s, g, o, st, lang))
        add("sl-heatmap", t("sl_heatmap", lang), lambda o, st: plots.plot_heatmap(s, o, st, lang))
    flows = plots_extra.flow_matrix(data.kpis)  # the terminal's numbers, dispatches included
    what = "one-key + three-way transfers + system dispatches, as in the terminal's table"
    if not flows:
        flows = {k: v for k, v in (data.transfers or {}).items() if v > 0}
        what = "voice transfers only (calls.csv.gz legs; system dispatches not counted)"
    add("transfers", t("transfers", lang),
        (lambda o, st: plots_extra.plot_transfer_flow(flows, o, st, lang, what)) if flows
        else None, "no data: no transfers between lines in this run")
    orders = data.orders
    has_orders = orders is not None and "on_time_f" in orders and \
        (~_isnan(orders["on_time_f"])).any()
    add("on-time", t("on_time", lang),
        (lambda o, st: plots_extra.plot_on_time(orders, o, st, lang)) if has_orders else None,
        "no data: no closed work orders in this run (orders.csv.gz absent or empty)")
    return entries


def _isnan(values):
    import numpy as np

    return np.isnan(values)


def report_context(data: RunData, plots: list[PlotEntry], lang: str) -> dict:
    """Everything ``report.html.j2`` shows."""
    doc = data.kpis
    scn = data.scenario
    lines = [(line_label(k, lang), with_bot_share(v)) for k, v in doc.lines.items()]
    tables = [dict(title=t("line", lang), **kpi_table(doc, [*lines, (t("all", lang),
                   with_bot_share(doc.overall))]))]
    regions = [(f"{region_label(k, lang)} {k}", v) for k, v in doc.regions.items()]
    centres = [(place_label(k), v) for k, v in doc.centres.items()]
    tables += [dict(title=t("region", lang), **kpi_table(doc, regions)),
               dict(title=t("centre", lang), collapsed=True, **kpi_table(doc, centres))]
    for table in tables:
        table["header_labels"] = ["", *[kpi_label(k) for k in table["header"]]]
    targets = target_rows(doc, lambda tg: line_label(tg.name, lang) if tg.kind == "line"
                          else place_label(tg.name))
    return {
        "lang": lang, "title": f"{doc.scenario or data.name} — hotline-sim report",
        "description": getattr(scn, "description", ""), "summary": _summary(data),
        "notes": data.notes, "warnings": sparse_warnings(doc), "targets": targets, "tables": tables, "plots": plots,
        "replications": doc.replications,
        "extras": [extra_section(k, v) for k, v in data.extras.items()],
        "printed": [str(x) for x in doc.other["printed"]] if isinstance(
            doc.other.get("printed"), list) else [],
        "assumptions": ASSUMPTIONS, "line_params": _line_params(scn),
    }


def _summary(data: RunData) -> list[tuple[str, str]]:
    doc, scn = data.kpis, data.scenario
    out = [("scenario", str(doc.scenario)), ("seed", str(doc.seed)),
           ("start", str(doc.start)),
           ("horizon", f"{doc.horizon_hours} h (warm-up {doc.warmup_hours} h)"),
           ("replications", str(doc.replications)),
           ("centres", str(len(doc.centres))),
           ("lines", ", ".join(doc.lines)),
           ("run directory", str(data.directory))]
    overall = means(doc.overall)
    for kpi in ("offered", "human_answer_rate", "abandon_rate", "seat_hours"):
        if overall.get(kpi) is not None:
            out.append((f"overall {kpi_label(kpi)}", fmt_value(kpi, overall[kpi])))
    if data.borrowed_answers:
        out.append(("answered by borrowed seats", f"{data.borrowed_answers:,.0f} / replication"))
    if scn is not None:
        out.append(("interval", f"{scn.interval_minutes} min"))
    return out


ASSUMPTIONS = [
    "Every number is computed from the call-leg records (calls.csv.gz) of legs arriving in "
    "[warm-up, horizon); see docs/kpis.md.",
    "Confidence intervals are 95 % Student-t intervals over independent replications "
    "(one seed sequence per replication, derived from the scenario seed).",
    "Service level = answered within the target seconds / offered (blocked and abandoned calls "
    "count as misses); time-series plots show means over replications per interval.",
    "First attempts are Poisson with hour-of-day and day-of-week profiles and a daily gamma "
    "busyness factor; redials, transfers in and scripted calls come on top.",
    "Seats follow the scenario's schedule; a seat whose shift ends finishes its call first.",
]


def _dist(d) -> str:
    if d is None:
        return "—"
    kind = getattr(d, "dist", type(d).__name__)
    mean = getattr(d, "mean", None)
    if kind == "none" or (isinstance(mean, float) and math.isinf(mean)):
        return "none"
    cv = getattr(d, "cv", None)
    return f"{kind} mean {mean:g}" + (f" cv {cv:g}" if cv is not None else "")


def _line_params(scn) -> dict | None:
    if scn is None:
        return None
    header = ["talk s", "wrap-up s", "patience s", "redial after abandon", "target"]
    rows = [[name, _dist(spec.talk), _dist(spec.wrapup), _dist(spec.patience),
             f"{spec.redial.after_abandon:.0%}",
             f"{spec.target.level:.0%} in {spec.target.seconds:g} s"]
            for name, spec in scn.lines.items()]
    return {"header_labels": ["line", *header], "rows": rows}
