"""What-if comparison: KPIs of several runs side by side, with paired differences.

Each run is compared with the first by a paired-difference Student-t interval over
replications (:mod:`sim.results.paired`): runs of one scenario with the same seed give replication *i*
the same random streams (common random numbers, ``sim/domain/streams.py``), so the difference is
judged replication by replication. Before the line table come the centres and regions whose
inputs differ and those whose KPIs changed significantly (:mod:`sim.results.changes`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sim.domain.errors import InputError
from sim.report.html import fmt_kpi, fmt_value, is_rate, kpi_label
from sim.results.changes import (
    EVERYTHING,
    ChangeRow,
    Selection,
    centre_changes,
    input_changes,
    outside_selection,
    unknown_kpis,
)
from sim.results.document import KpiDocument, as_document
from sim.results.paired import PairedDiff, paired_entries
from sim.results.rundata import load_kpis
from sim.results.stats import KpiSummary

__all__ = ["COMPARE_KPIS", "Comparison", "Row", "compare_docs", "compare_runs", "format_comparison",
           "format_delta", "format_paired", "read_resolved", "valid_kpis", "value_text",
           "write_compare"]
COMPARE_KPIS = ("offered", "human_answer_rate", "abandon_rate", "block_rate", "asa", "p90_wait",
                "occupancy", "seat_hours")


@dataclass
class Row:
    """One KPI of one group (a line or ``all``) across runs."""

    group: str
    kpi: str
    entries: list[KpiSummary | None]
    diffs: list[PairedDiff | None]  # vs the first run (the first is None)

    @property
    def significant(self) -> list[bool | None]:
        """Per run: the paired difference from the first is significant (None: not testable)."""
        return [None if d is None or d.p_value is None else d.significant for d in self.diffs]

    @property
    def p_values(self) -> list[float | None]:
        """Per run: the paired t test's p-value against the first run."""
        return [None if d is None else d.p_value for d in self.diffs]

    def deltas(self) -> list[float | None]:
        """Mean of each run minus the first run's mean."""
        base = _mean(self.entries[0])
        return [None if base is None or _mean(e) is None else _mean(e) - base
                for e in self.entries]


@dataclass
class Comparison:
    """Runs (their names and KPI documents), the line rows and the centre/region changes."""

    names: list[str]
    docs: list[KpiDocument]
    rows: list[Row]
    changes: list[list[ChangeRow]] = field(default_factory=list)  # per run after the first
    notes: list[str] = field(default_factory=list)
    hidden: list[dict[str, tuple[str, ...]]] = field(default_factory=list)  # inputs differ,
    # outside the selection (per run after the first)
    selected: bool = False

    @property
    def any_significant(self) -> bool:
        """Whether any KPI differs significantly from the first run."""
        return any(s for r in self.rows for s in r.significant[1:]) or any(
            r.significant for rows in self.changes for r in rows)


def _mean(entry: KpiSummary | None) -> float | None:
    return None if entry is None else entry.mean


def valid_kpis(docs: Sequence[KpiDocument | Mapping]) -> list[str]:
    """KPI names every run has (``kpi_names`` of kpis.json)."""
    names = [list(d.kpi_names or d.overall) for d in map(as_document, docs)]
    return [k for k in names[0] if all(k in n for n in names[1:])]


def compare_docs(names: Sequence[str], docs: Sequence[KpiDocument | Mapping],
                 kpis: Sequence[str] | None = None, scenarios: Sequence | None = None,
                 selection: Selection = EVERYTHING) -> Comparison:
    """Compare KPI documents (``KpiDocument`` or ``kpis.json`` objects): centre/region
    changes, then ``all`` and every line."""
    docs = [as_document(d) for d in docs]
    if kpis:
        unknown_kpis(kpis, valid_kpis(docs))
    for d in docs:
        selection.check(d)
    groups = [("all", [d.overall for d in docs])]
    lines = list(dict.fromkeys(k for d in docs for k in d.lines))
    groups += [(line, [d.lines.get(line, {}) for d in docs]) for line in lines
               if not selection.lines or line in selection.lines]
    targets = {r.name: r.kpi for d in docs for r in d.targets if r.kind == "line"}
    rows = []
    for group, per_run in groups:
        wanted = list(kpis or COMPARE_KPIS)
        if not kpis and group in targets:
            wanted.insert(1, targets[group])
        for kpi in wanted:
            entries = [p.get(kpi) for p in per_run]
            if all(e is None for e in entries):
                continue
            rows.append(Row(group, kpi, entries,
                            [None] + [paired_entries(entries[0], e) for e in entries[1:]]))
    changes, notes, hidden = [], _notes(names, docs), []
    for i, doc in enumerate(docs[1:], start=1):
        changed = input_changes(scenarios[0], scenarios[i]) if scenarios and all(
            s is not None for s in (scenarios[0], scenarios[i])) else {}
        changes.append(centre_changes(docs[0], doc, changed, kpis, selection))
        hidden.append(outside_selection(changed, selection))
    return Comparison(list(names), list(docs), rows, changes, notes, hidden, bool(selection))


def _notes(names: Sequence[str], docs: Sequence[KpiDocument]) -> list[str]:
    """Caveats, first of all the run-wide settings the runs differ in (horizon, start,
    warm-up: the KPIs cover different hours), then seeds and replication counts."""
    from sim.results.changes import PERIOD_SETTINGS, RUN_SETTINGS, setting_changes

    notes = []
    for name, d in zip(names[1:], docs[1:], strict=True):
        changed = setting_changes(docs[0], d)
        period = [(k, a, b) for k, a, b in changed if k in PERIOD_SETTINGS]
        if period:
            what = "; ".join(f"{RUN_SETTINGS[k]} {_setting(k, b)} vs {_setting(k, a)}"
                             for k, a, b in period)
            notes.append(f"{name} and {names[0]} differ in {what}: their KPIs cover different "
                         "hours, so differences are not due to centre inputs alone (seats are "
                         "compared on the clock hours both runs cover).")
        keys = {k for k, _, _ in changed}
        if "seed" in keys:
            notes.append(f"{name} ran with seed {d.seed}, {names[0]} with "
                         f"{docs[0].seed}: no common random numbers, so the paired "
                         "test is valid but weaker.")
        if "replications" in keys:
            notes.append(f"{name} has {d.replications} replications, {names[0]} "
                         f"{docs[0].replications}: only the common ones are paired.")
    return notes


def _setting(key: str, value: object) -> str:
    return f"{value:g} h" if key.endswith("_hours") and isinstance(value, int | float) \
        else str(value)


def compare_runs(run_dirs: Sequence[Path], kpis: Sequence[str] | None = None,
                 selection: Selection = EVERYTHING) -> Comparison:
    """Compare run directories (each must hold a ``kpis.json``; ``scenario.resolved.yaml``
    tells which centres' inputs differ)."""
    if len(run_dirs) < 2:
        raise InputError("give at least two run directories (or a scenario with --variant)",
                         key="RUN_DIR")
    docs = [load_kpis(Path(d)) for d in run_dirs]
    names = _unique([Path(d).name for d in run_dirs])
    scenarios = [read_resolved(Path(d)) for d in run_dirs]
    return compare_docs(names, docs, kpis, scenarios, selection)


def read_resolved(run_dir: Path):
    """The run's resolved scenario, or None when it is missing or no longer loads."""
    from sim.results.rundata import _read_scenario

    path = run_dir / "scenario.resolved.yaml"
    try:
        return _read_scenario(path) if path.exists() else None
    except InputError:
        return None


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}#{seen[n]}")
    return out


def format_delta(kpi: str, delta: float | None) -> str:
    """A delta in the KPI's unit: percentage points for rates."""
    if delta is None:
        return "—"
    return f"{100 * delta:+.1f} pp" if is_rate(kpi) else f"{delta:+,.1f}"


def format_paired(kpi: str, d: PairedDiff | None) -> str:
    """``−1.4±0.3 pp`` (the paired 95 % half-width); ``—`` when not computable."""
    if d is None:
        return "—"
    scale, unit = (100, " pp") if is_rate(kpi) else (1, "")
    half = "" if d.half_width is None else f"±{scale * d.half_width:.1f}"
    return f"{scale * d.delta:+.1f}{half}{unit}"


def format_comparison(c: Comparison) -> str:
    """Centre/region changes first, then the line table: mean ± CI per run, paired Δ ± half-width
    and p-value vs the first run, ``*`` = significant."""
    from sim.report.changes_text import format_changes

    period = [n for n in c.notes if "cover different hours" in n]
    out = [*(f"note: {n}" for n in period)]
    out += [format_changes(rows, c.names[0], name, hidden, c.selected)
            for name, rows, hidden in zip(c.names[1:], c.changes, c.hidden or [{}] * len(
                c.changes), strict=True)]
    head = f"{'group':<7}{'KPI':<12}" + "".join(f"{n[:22]:>24}" for n in c.names)
    head += "".join(f"{'Δ ' + n[:14]:>20}{'p':>8}" for n in c.names[1:])
    out += ["", head, "-" * len(head)]
    for r in c.rows:
        cells = "".join(f"{fmt_kpi(r.kpi, e):>24}" for e in r.entries)
        for d in r.diffs[1:]:
            flag = " *" if d is not None and d.significant else "  "
            p = "—" if d is None or d.p_value is None else f"{d.p_value:.3f}"
            cells += f"{format_paired(r.kpi, d) + flag:>20}{p:>8}"
        out.append(f"{r.group:<7}{kpi_label(r.kpi)[:11]:<12}{cells}")
    out.append(f"Δ = run − {c.names[0]}, replication by replication (paired Student-t, 95 %); "
               "* = significant (p < 0.05).")
    return "\n".join([*out, *(n for n in c.notes if n not in period)])


def value_text(kpi: str, value: float | None) -> str:
    """A plain value of a KPI (for HTML cells)."""
    return fmt_value(kpi, value)


def write_compare(c: Comparison, run_dirs: Sequence[Path], out: Path, lang: str = "en") -> Path:
    """Write ``compare.html`` (table and overlay plots, images embedded) and ``plots/`` to ``out``."""
    from sim.report.changes_text import change_cells, hidden_text
    from sim.report.fonts import configure_matplotlib, resolve_lang
    from sim.report.html import data_uri, render, write_atomic
    from sim.report.report import PlotEntry
    from sim.results.rundata import read_series

    lang = resolve_lang(lang)
    configure_matplotlib(lang)
    from sim.report import plots_compare

    out.mkdir(parents=True, exist_ok=True)
    plots = []
    runs = [(n, read_series(Path(d) / "timeseries.csv")) for n, d in zip(c.names, run_dirs,
                                                                        strict=True)
            if (Path(d) / "timeseries.csv").exists()]
    targets = {r.name: r.target for r in c.docs[0].targets if r.kind == "line"}
    if runs:
        png = plots_compare.plot_sl_overlay(runs, targets, out / "plots", "sl-overlay", lang)
        plots.append(PlotEntry("sl-overlay", "service level over time", data_uri(png)))
    groups = list(dict.fromkeys(r.group for r in c.rows))
    for kpi in ("abandon_rate", "asa", "occupancy"):
        entries = [next((r.entries for r in c.rows if r.group == g and r.kpi == kpi),
                        [None] * len(c.names)) for g in groups]
        png = plots_compare.plot_kpi_bars(c.names, groups, kpi, entries, out / "plots",
                                          f"bars-{kpi}")
        plots.append(PlotEntry(f"bars-{kpi}", kpi_label(kpi), data_uri(png)))
    rows = [{"group": r.group, "kpi": kpi_label(r.kpi),
             "cells": [fmt_kpi(r.kpi, e) for e in r.entries],
             "deltas": [(format_paired(r.kpi, d), bool(d and d.significant),
                         "—" if d is None or d.p_value is None else f"{d.p_value:.3g}")
                        for d in r.diffs[1:]]} for r in c.rows]
    html = render("compare.html.j2", lang=lang, title="hotline-sim comparison", names=c.names,
                  dirs=[str(d) for d in run_dirs], rows=rows, plots=plots,
                  any_significant=c.any_significant, notes=c.notes,
                  changes=[{"name": n, "rows": change_cells(rs), "selected": c.selected,
                            "hidden": hidden_text(h)}
                           for n, rs, h in zip(c.names[1:], c.changes, c.hidden, strict=True)])
    return write_atomic(out / "compare.html", html)
