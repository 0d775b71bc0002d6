"""Text of the centre and region changes (:mod:`sim.results.changes`) for compare, sweep and run."""

from __future__ import annotations

from collections.abc import Sequence

from sim.report.html import fmt_kpi, is_rate, kpi_label
from sim.report.tables import place_label
from sim.results.changes import Q_LEVEL, ChangeRow
from sim.results.paired import PairedDiff


def format_diff(kpi: str, d: PairedDiff | None) -> str:
    """``−16.9 pp [−19.0, −14.8] p=0.001`` (percentage points for rates)."""
    if d is None:
        return "—"
    scale, unit = (100, " pp") if is_rate(kpi) else (1, "")
    text = f"{scale * d.delta:+.1f}{unit}"
    if d.low is None:
        return text + " (1 pair: no interval)"
    p = "p<0.001" if d.p_value < 0.001 else f"p={d.p_value:.3f}"
    return f"{text} [{scale * d.low:+.1f}, {scale * d.high:+.1f}] {p}"


def format_changes(rows: Sequence[ChangeRow], base_name: str, variant_name: str,
                   hidden: dict[str, tuple[str, ...]] | None = None,
                   selected: bool = False) -> str:
    """The rows as text, the centres whose inputs differ first; then the centres whose inputs
    differ but which the selection (``selected``) leaves out (``hidden``)."""
    scope = "selected centre or region" if selected else "centre or region"
    if not rows:
        out = [f"No {scope} of {variant_name} differs in its inputs or changed significantly "
               f"from {base_name} (paired t, BH q < {Q_LEVEL:g})."]
    else:
        title = "Selected centres and regions" if selected else "Centres and regions"
        out = [f"{title} that changed, {variant_name} − {base_name} (paired 95 % interval over "
               f"replications; * = p < {Q_LEVEL:g} where inputs differ, else "
               f"Benjamini–Hochberg q < {Q_LEVEL:g} over every other centre and region):"]
    last = None
    for r in rows:
        if (r.kind, r.key) != last:
            note = f"  inputs differ: {', '.join(r.inputs)}" if r.inputs else ""
            out.append(f"  {place_label(r.key)}{note}")
            last = (r.kind, r.key)
        flag = " *" if r.significant else ""
        out.append(f"    {kpi_label(r.kpi)[:22]:<23}{fmt_kpi(r.kpi, r.base):>16} → "
                   f"{fmt_kpi(r.kpi, r.variant):<16} Δ {format_diff(r.kpi, r.diff)}{flag}")
    if hidden:
        out.append(f"Inputs also differ outside the selection (not shown): {hidden_text(hidden)}")
    return "\n".join(out)


def hidden_text(hidden: dict[str, tuple[str, ...]]) -> str:
    """``622900/110 临夏回族自治州 Linxia 110: seats; ...`` (empty when nothing is hidden)."""
    return "; ".join(f"{place_label(k)}: {', '.join(v)}" for k, v in hidden.items())


def change_cells(rows: Sequence[ChangeRow]) -> list[dict]:
    """The rows as HTML table cells."""
    return [{"place": place_label(r.key), "inputs": ", ".join(r.inputs) or "—",
             "kpi": kpi_label(r.kpi), "base": fmt_kpi(r.kpi, r.base),
             "variant": fmt_kpi(r.kpi, r.variant), "diff": format_diff(r.kpi, r.diff),
             "sig": r.significant} for r in rows]
