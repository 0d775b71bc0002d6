"""What-if variants a scenario declares (``variants:``), compared with it as text.

``sim.experiments.variants`` runs each variant with the scenario's seed, so replication *i* of
every variant uses the same random streams (common random numbers). The comparison shows, per
line and per KPI window, each KPI's mean and 95 % CI and the paired difference from the
scenario (replication by replication, Student-t, :mod:`sim.results.paired`) with its
half-width; ``*`` marks p < 0.05.
"""

from __future__ import annotations

from sim.experiments.runner import RunResult
from sim.results.document import KpiDocument, as_document
from sim.results.paired import paired_entries, unpaired_half_width
from sim.results.stats import KpiSummary

COMPARED = ("human_answer_rate", "abandon_rate")


def _document(run: RunResult) -> KpiDocument:
    """The run's KPI document (read from its ``kpis.json`` object if it has none)."""
    return run.document if run.document is not None else as_document(run.kpis)


def _cell(kpi: KpiSummary | None) -> str:
    if kpi is None or kpi.mean is None:
        return "—"
    half = "" if kpi.low is None else f"±{100 * kpi.half_width:.1f}"
    return f"{100 * kpi.mean:.1f}{half}%"


def _delta(main: KpiSummary | None, other: KpiSummary | None) -> str:
    """Paired Δ ± half-width in percentage points, ``*`` when p < 0.05."""
    d = paired_entries(main, other)
    if d is None:
        return "—"
    half = "" if d.half_width is None else f"±{100 * d.half_width:.1f}"
    p = "" if d.p_value is None else (" p<.001" if d.p_value < 0.001 else f" p={d.p_value:.3f}")
    return f"{100 * d.delta:+.1f}{half}pp{p}{' *' if d.significant else ''}"


WIDTH = 38


def _row(label: str, main: KpiSummary | None, others: list[KpiSummary | None]) -> str:
    cells = [f"{label:<34}{_cell(main):>14}"]
    for other in others:
        cells.append(f"  {_cell(other):>12} {_delta(main, other):<{WIDTH - 15}}")
    return "".join(cells)


def format_whatif(main: RunResult, variants: dict[str, RunResult]) -> str:
    """Side-by-side KPIs and paired differences from the scenario (``*``: p < 0.05)."""
    if not variants:
        return ""
    names = list(variants)
    head = f"{'KPI':<34}{main.scenario.name[:13]:>14}" + "".join(
        f"  {n[:WIDTH - 3]:<{WIDTH - 2}}" for n in names)
    out = [f"What-if comparison (same seed; Δ = variant − {main.scenario.name}, paired over "
           "replications with its 95 % half-width; * = p < 0.05)", head, "-" * len(head)]
    doc = _document(main)
    docs = [_document(v) for v in variants.values()]
    for line, spec in main.scenario.lines.items():
        key = f"sl{spec.target.seconds:g}"
        out.append(_row(f"{line} {key}", doc.lines[line][key],
                        [d.lines[line][key] for d in docs]))
        for name in COMPARED:
            out.append(_row(f"{line} {name}", doc.lines[line][name],
                            [d.lines[line][name] for d in docs]))
    windows = _window_rows(main, doc, docs)
    out += [row for row, _ in windows]
    out += _pairing_note(names, windows)
    return "\n".join(out)


def _pairing_note(names: list[str], windows: list) -> list[str]:
    """What pairing gains on the first window row: paired against unpaired half-widths."""
    if not windows:
        return []
    row, (label, kpi, others) = windows[0]
    notes = []
    for name, other in zip(names, others, strict=True):
        d, unpaired = paired_entries(kpi, other), unpaired_half_width(kpi, other)
        if d is None or d.half_width is None or not unpaired:
            continue
        notes.append(f"{name}: ±{100 * d.half_width:.1f} pp paired vs ±{100 * unpaired:.1f} pp "
                     f"unpaired (Welch)")
    return [f"Pairing on {label}: " + "; ".join(notes)] if notes else []


def _window_rows(main: RunResult, doc: KpiDocument, docs: list[KpiDocument], most: int = 8,
                 ) -> list[tuple[str, tuple]]:
    rows = []
    for window, centres in (doc.windows or {}).items():
        scored = []
        for key, kpis in centres.items():
            target = main.scenario.lines[key.split("/")[1]].target
            sl = f"sl{target.seconds:g}"
            others = [d.windows[window][key][sl] for d in docs]
            mean = kpis[sl].mean
            if mean is None:
                continue
            delta = max(abs(mean - (o.mean or 0)) for o in others)
            scored.append((delta, key, sl, kpis[sl], others))
        borrowed = doc.sections.get("borrowing", {})
        helped = {k.split(":")[0] for k, v in borrowed.items()
                  if k.endswith(":borrowed_seat_hours") and v.mean}
        # Centres that borrowed seats first (the question borrowing answers), then the largest
        # differences.
        scored.sort(key=lambda x: (x[1] not in helped, -x[0]))
        for _, key, sl, kpi, others in scored[:most]:
            label = f"{window} {key} {sl}"
            rows.append((_row(label, kpi, others), (label, kpi, others)))
    return rows
