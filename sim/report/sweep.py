"""A parameter sweep's table and KPI-against-parameter plots with 95 % CI bands (the points are
run by ``sim.experiments.sweep``: every point of a grid of ``--vary PATH=v1,v2,...`` values, each
a full set of replications).

Every point runs with the same seed (common random numbers), so each point is compared with the
first by paired differences (:mod:`sim.results.paired`): the table marks ``*`` where the paired test
finds a difference (p < 0.05), and before it come, per point, the centres and regions whose
inputs differ from the first point's and those that changed significantly (:mod:`sim.results.changes`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path

from sim.experiments.sweep import Point
from sim.report.html import fmt_kpi, kpi_label
from sim.results.document import KpiDocument, Kpis, as_document
from sim.results.stats import KpiSummary

SWEEP_KPIS = ("human_answer_rate", "abandon_rate", "asa", "occupancy")
__all__ = ["SWEEP_KPIS", "format_point_changes", "format_sweep", "point_changes", "table_rows",
           "target_kpis", "write_sweep"]


def _doc(pt: Point) -> KpiDocument:
    """The point's KPI document (a ``kpis.json`` object is read as one)."""
    return as_document(pt.doc)


def _group(doc: KpiDocument, group: str) -> Kpis:
    """The KPIs of ``all`` (the whole network) or of one line (empty when it has none)."""
    return doc.overall if group == "all" else doc.lines.get(group, {})


POINT_JSON = ("scenario", "seed", "replications", "overall", "lines", "targets", "kpi_names")
"""The parts of a point's KPI document that ``sweep.json`` holds, in order."""


def _point_json(pt: Point) -> dict[str, object]:
    """A point's KPIs in ``sweep.json``: its document's JSON without centres and regions."""
    doc = _doc(pt).to_json()
    return {key: doc[key] for key in POINT_JSON}


def target_kpis(points: Sequence[Point]) -> dict[str, str]:
    """Each line's target KPI (from the first point)."""
    return {r.name: r.kpi for r in _doc(points[0]).targets if r.kind == "line"}


def table_rows(paths: Sequence[str], points: Sequence[Point], kpis: Sequence[str]) -> list[dict]:
    """One row per point, group (``all`` and each line) and KPI: values, mean and CI."""
    rows = []
    targets = target_kpis(points)
    for pt in points:
        doc = _doc(pt)
        groups = [("all", doc.overall)] + list(doc.lines.items())
        for group, k in groups:
            names = list(kpis) + ([targets[group]] if group in targets else [])
            for kpi in names:
                e = k.get(kpi) or KpiSummary(None, None, None)
                rows.append({**dict(zip(paths, pt.values, strict=True)), "group": group,
                             "kpi": kpi, "mean": e.mean, "ci_low": e.low, "ci_high": e.high})
    return rows


def point_changes(points: Sequence[Point], kpis: Sequence[str] | None = None,
                  selection=None) -> list[list]:
    """Per point after the first: its centre and region changes against the first point."""
    from sim.results.changes import EVERYTHING, centre_changes, input_changes

    base = points[0]
    return [centre_changes(base.doc, pt.doc, input_changes(base.scenario, pt.scenario)
                           if base.scenario is not None and pt.scenario is not None else {},
                           kpis, selection or EVERYTHING) for pt in points[1:]]


def format_point_changes(paths: Sequence[str], points: Sequence[Point],
                         changes: Sequence[list], selection=None) -> str:
    """The changes of every point against the first, as text blocks; with a ``selection``,
    the centres whose inputs differ outside it are named too."""
    from sim.report.changes_text import format_changes
    from sim.results.changes import input_changes, outside_selection

    def name(pt: Point) -> str:
        return ", ".join(f"{p.split('.')[-1]}={v}" for p, v in zip(paths, pt.values, strict=True))

    def hidden(pt: Point) -> dict:
        if not selection or points[0].scenario is None or pt.scenario is None:
            return {}
        return outside_selection(input_changes(points[0].scenario, pt.scenario), selection)

    return "\n".join(format_changes(rows, name(points[0]), name(pt), hidden(pt),
                                    bool(selection))
                     for pt, rows in zip(points[1:], changes, strict=True))


def _marked(kpi: str, base: KpiSummary | None, entry: KpiSummary | None, first: bool) -> str:
    from sim.results.paired import paired_entries

    d = None if first else paired_entries(base, entry)
    return fmt_kpi(kpi, entry) + (" *" if d is not None and d.significant else "  ")


def _delta(kpi: str, base: KpiSummary | None, entry: KpiSummary | None) -> str:
    """``−3.2±0.8 pp p=0.001 *``: the paired difference from the first point and its p."""
    from sim.report.compare import format_paired
    from sim.results.paired import paired_entries

    d = paired_entries(base, entry)
    if d is None:
        return "—"
    p = "" if d.p_value is None else (" p<0.001" if d.p_value < 0.001 else f" p={d.p_value:.3f}")
    return f"{format_paired(kpi, d)}{p}{' *' if d.significant else '  '}"


def format_sweep(paths: Sequence[str], points: Sequence[Point], kpis: Sequence[str]) -> str:
    """Text table: one row per point, the overall KPIs and each line's target KPI; ``*`` marks a
    significant paired difference from the first point; then the differences themselves
    (Δ ± paired 95 % half-width and p, as in ``hotline compare``)."""
    targets = target_kpis(points)
    cols = [("all", k) for k in kpis] + [(line, kpi) for line, kpi in targets.items()]
    labels = "".join(f"{p.split('.')[-1][:16]:>17}" for p in paths)
    head = labels + "".join(f"{(g + ' ' + kpi_label(k))[:21]:>22}" for g, k in cols)
    out = [head, "-" * len(head)]
    docs = [_doc(pt) for pt in points]

    def group(i: int, g: str) -> Kpis:
        return _group(docs[i], g)

    for i, pt in enumerate(points):
        cells = "".join(f"{v[:16]:>17}" for v in pt.values)
        for g, k in cols:
            cells += f"{_marked(k, group(0, g).get(k), group(i, g).get(k), i == 0):>22}"
        out.append(cells)
    out.append("* = differs from the first point (paired Student-t over replications, p < 0.05).")
    if len(points) > 1:
        head = labels + "".join(f"{('Δ ' + g + ' ' + kpi_label(k))[:27]:>28}" for g, k in cols)
        out += ["", head, "-" * len(head)]
        for i, pt in enumerate(points[1:], 1):
            out.append("".join(f"{v[:16]:>17}" for v in pt.values) + "".join(
                f"{_delta(k, group(0, g).get(k), group(i, g).get(k)):>28}"
                for g, k in cols))
        out.append("Δ = point − first point, replication by replication (± paired 95 % "
                   "half-width; pp for rates); p of the paired t test.")
    return "\n".join(out)


def write_sweep(scenario: str, varies: Sequence[tuple[str, list[str]]], points: Sequence[Point],
                out: Path, kpis: Sequence[str] = SWEEP_KPIS, lang: str = "en",
                changes: str = "") -> Path:
    """Write ``sweep.csv``, ``sweep.json``, ``plots/`` and ``sweep.html`` into ``out``."""
    from sim.report.fonts import configure_matplotlib, resolve_lang
    from sim.report.html import data_uri, render, write_atomic
    from sim.report.report import PlotEntry

    lang = resolve_lang(lang)
    configure_matplotlib(lang)
    from sim.report.plots_compare import plot_sweep

    out.mkdir(parents=True, exist_ok=True)
    paths = [p for p, _ in varies]
    rows = table_rows(paths, points, kpis)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_atomic(out / "sweep.csv", buf.getvalue())
    write_atomic(out / "sweep.json", json.dumps(
        {"scenario": scenario, "vary": dict(varies),
         "points": [{"values": dict(zip(paths, p.values, strict=True)),
                     "kpis": _point_json(p)}
                    for p in points]}, indent=1, ensure_ascii=False) + "\n")
    plots = []
    targets = target_kpis(points)
    for kpi in [*kpis, *sorted(set(targets.values()))]:
        curves = _curves(varies, points, kpi, targets)
        png = plot_sweep(paths[0], varies[0][1], curves, kpi, out / "plots", f"sweep-{kpi}")
        plots.append(PlotEntry(f"sweep-{kpi}", kpi_label(kpi), data_uri(png)))
    html = render("sweep.html.j2", lang=lang, title=f"hotline-sim sweep: {scenario}",
                  table=format_sweep(paths, points, kpis), plots=plots, varies=varies,
                  changes=changes)
    return write_atomic(out / "sweep.html", html)


def _curves(varies, points: Sequence[Point], kpi: str, targets: dict[str, str]) -> dict:
    """Panels (``all`` and each line) → curves (other parameters' values) → entries along x."""
    xs = varies[0][1]
    docs = [_doc(pt) for pt in points]
    groups = ["all"] + list(docs[0].lines)
    if kpi.startswith("sl"):  # a target KPI: only the lines whose target it is
        groups = [g for g in groups if targets.get(g) == kpi]
    curves: dict[str, dict[str, list]] = {}
    for g in groups:
        panel: dict[str, list] = {}
        for pt, doc in zip(points, docs, strict=True):
            label = ", ".join(f"{'.'.join(p.split('.')[-2:])}={v}" for (p, _), v in
                              zip(varies[1:], pt.values[1:], strict=True))
            k = _group(doc, g)
            panel.setdefault(label, [None] * len(xs))[xs.index(pt.values[0])] = k.get(kpi)
        curves[g] = panel
    return curves
