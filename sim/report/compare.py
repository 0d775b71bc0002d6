"""What-if comparison: KPIs of several runs side by side, with deltas and a significance test.

A difference is *significant* when the two 95 % confidence intervals do not overlap (a
conservative test: non-overlap implies p < 0.05 and more); Welch's t-test p-value over the
per-replication values is shown next to it. Variants of one scenario run with the same seed
share their arrivals (common random numbers, ``sim/streams.py``), which makes deltas sharper.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sim.errors import InputError
from sim.report.html import fmt_kpi, fmt_value, is_rate, kpi_label
from sim.report.rundata import load_kpis

COMPARE_KPIS = ("offered", "human_answer_rate", "abandon_rate", "block_rate", "asa", "p90_wait",
                "occupancy", "seat_hours")


@dataclass
class Row:
    """One KPI of one group (a line or ``all``) across runs."""

    group: str
    kpi: str
    entries: list[dict | None]
    significant: list[bool | None]  # vs the first run; None: not testable
    p_values: list[float | None]

    def deltas(self) -> list[float | None]:
        """Mean of each run minus the first run's mean."""
        base = _mean(self.entries[0])
        return [None if base is None or _mean(e) is None else _mean(e) - base
                for e in self.entries]


@dataclass
class Comparison:
    """Runs (their names and KPI documents) and the compared rows."""

    names: list[str]
    docs: list[dict]
    rows: list[Row]

    @property
    def any_significant(self) -> bool:
        """Whether any KPI differs significantly from the first run."""
        return any(s for r in self.rows for s in r.significant[1:])


def _mean(entry: dict | None) -> float | None:
    return None if not entry else entry.get("mean")


def ci_overlap(a: dict | None, b: dict | None) -> bool | None:
    """Whether the 95 % CIs of two kpis.json entries overlap (None when either has none)."""
    if not a or not b:
        return None
    (alo, ahi), (blo, bhi) = a.get("ci95") or (None, None), b.get("ci95") or (None, None)
    if None in (alo, ahi, blo, bhi):
        return None
    return alo <= bhi and blo <= ahi


def welch_p(a: dict | None, b: dict | None) -> float | None:
    """Welch's t-test p-value of the per-replication values (None when not computable)."""
    from scipy import stats

    xa = [v for v in (a or {}).get("values", []) if v is not None]
    xb = [v for v in (b or {}).get("values", []) if v is not None]
    if len(xa) < 2 or len(xb) < 2:
        return None
    if max(xa) == min(xa) and max(xb) == min(xb):
        return 1.0 if xa[0] == xb[0] else 0.0
    p = float(stats.ttest_ind(xa, xb, equal_var=False).pvalue)
    return None if math.isnan(p) else p


def compare_docs(names: Sequence[str], docs: Sequence[dict],
                 kpis: Sequence[str] | None = None) -> Comparison:
    """Compare KPI documents: for ``all`` and every line, the target KPI and ``kpis``."""
    groups = [("all", [d.get("overall", {}) for d in docs])]
    lines = list(dict.fromkeys(k for d in docs for k in d.get("lines", {})))
    groups += [(line, [d.get("lines", {}).get(line, {}) for d in docs]) for line in lines]
    targets = {r["name"]: r["kpi"] for d in docs for r in d.get("targets", [])
               if r.get("kind") == "line"}
    rows = []
    for group, per_run in groups:
        wanted = list(kpis or COMPARE_KPIS)
        if kpis is None and group in targets:
            wanted.insert(1, targets[group])
        for kpi in wanted:
            entries = [p.get(kpi) for p in per_run]
            if all(e is None for e in entries):
                continue
            overlap = [ci_overlap(entries[0], e) for e in entries]
            rows.append(Row(group, kpi, entries, [None if o is None else not o for o in overlap],
                            [welch_p(entries[0], e) for e in entries]))
    return Comparison(list(names), list(docs), rows)


def compare_runs(run_dirs: Sequence[Path], kpis: Sequence[str] | None = None) -> Comparison:
    """Compare run directories (each must hold a ``kpis.json``)."""
    if len(run_dirs) < 2:
        raise InputError("give at least two run directories (or a scenario with --variant)",
                         key="RUN_DIR")
    docs = [load_kpis(Path(d)) for d in run_dirs]
    names = _unique([Path(d).name for d in run_dirs])
    return compare_docs(names, docs, kpis)


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


def format_comparison(c: Comparison) -> str:
    """The side-by-side table as text: mean ± CI per run, delta vs the first, ``*`` = significant."""
    head = f"{'group':<7}{'KPI':<12}" + "".join(f"{n[:24]:>26}" for n in c.names)
    head += "".join(f"{'Δ ' + n[:14]:>20}" for n in c.names[1:])
    out = [head, "-" * len(head)]
    for r in c.rows:
        cells = "".join(f"{fmt_kpi(r.kpi, e):>26}" for e in r.entries)
        for d, sig in zip(r.deltas()[1:], r.significant[1:], strict=True):
            cells += f"{format_delta(r.kpi, d) + (' *' if sig else '  '):>20}"
        out.append(f"{r.group:<7}{kpi_label(r.kpi)[:11]:<12}{cells}")
    out.append("Δ = run − " + c.names[0] + "; * = significant: the 95 % CIs do not overlap.")
    return "\n".join(out)


def parse_variant(text: str) -> tuple[str, list[str]]:
    """``NAME:PATH=VALUE,PATH=VALUE`` (commas inside [] or {} stay in the value) → name, overrides."""
    name, sep, rest = text.partition(":")
    name = name.strip()
    if not sep or not name or any(ch in name for ch in "/\\=") or name.startswith("."):
        raise InputError(f"expected NAME:PATH=VALUE[,PATH=VALUE...], got {text!r}",
                         key="--variant")
    overrides = [p.strip() for p in split_top_level(rest) if p.strip()]
    for o in overrides:
        if "=" not in o:
            raise InputError(f"expected PATH=VALUE in {text!r}, got {o!r}", key="--variant")
    return name, overrides


def split_top_level(text: str, sep: str = ",") -> list[str]:
    """Split on ``sep`` outside brackets, braces and quotes."""
    parts, depth, quote, cur = [], 0, "", []
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    parts.append("".join(cur))
    return parts


def run_variants(scenario: str, variants: Sequence[tuple[str, list[str]]], common: Sequence[str],
                 out: Path, *, replications: int | None, seed: int | None, jobs: int,
                 on_done: Callable[[object], None] | None = None) -> list[Path]:
    """Run each variant of one scenario (same seed: common random numbers) into ``out/NAME``."""
    from sim.runner import prepare, run_scenario

    names = [n for n, _ in variants]
    if len(set(names)) != len(names):
        raise InputError("variant names must differ", key="--variant")
    prepared = [(n, prepare(scenario, [*common, *o], replications=replications, seed=seed))
                for n, o in variants]  # validate every variant before any work
    dirs = []
    for name, scn in prepared:
        dirs.append(run_scenario(scn, jobs=jobs, out_dir=out / name, on_done=on_done).directory)
    return dirs


def value_text(kpi: str, value: float | None) -> str:
    """A plain value of a KPI (for HTML cells)."""
    return fmt_value(kpi, value)


def write_compare(c: Comparison, run_dirs: Sequence[Path], out: Path, lang: str = "en") -> Path:
    """Write ``compare.html`` (table and overlay plots, images embedded) and ``plots/`` to ``out``."""
    from sim.report.fonts import configure_matplotlib, resolve_lang
    from sim.report.html import data_uri, render, write_atomic
    from sim.report.report import PlotEntry
    from sim.report.rundata import read_series

    lang = resolve_lang(lang)
    configure_matplotlib(lang)
    from sim.report import plots_compare

    out.mkdir(parents=True, exist_ok=True)
    plots = []
    runs = [(n, read_series(Path(d) / "timeseries.csv")) for n, d in zip(c.names, run_dirs,
                                                                        strict=True)
            if (Path(d) / "timeseries.csv").exists()]
    targets = {r["name"]: r["target"] for r in c.docs[0].get("targets", [])
               if r.get("kind") == "line"}
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
             "deltas": [(format_delta(r.kpi, d), bool(s), "—" if p is None else f"{p:.3g}")
                        for d, s, p in zip(r.deltas()[1:], r.significant[1:], r.p_values[1:],
                                           strict=True)]} for r in c.rows]
    html = render("compare.html.j2", lang=lang, title="hotline-sim comparison", names=c.names,
                  dirs=[str(d) for d in run_dirs], rows=rows, plots=plots,
                  any_significant=c.any_significant)
    return write_atomic(out / "compare.html", html)
