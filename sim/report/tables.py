"""The summary table a run prints: one row per line and the whole network, then the targets
that were missed (by prefecture name and code) and the sparse-data warnings."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from sim.results.document import KpiDocument, TargetRow, as_document, means
from sim.results.stats import KpiSummary

LINE_NAMES = {
    "12345": "政务服务 government service", "110": "报警 police", "119": "火警 fire",
    "120": "急救 ambulance", "122": "交通 traffic",
}


def clamp_interval(lo: float, hi: float, rate: bool) -> tuple[float, float, bool]:
    """A 95 % CI clamped to the KPI's range (0 to 1 for a rate, else 0 and up: no KPI is
    negative); the flag says whether an end was cut (then print the ends, not ± half-width)."""
    top = 1.0 if rate else math.inf
    a, b = max(lo, 0.0), min(hi, top)
    return a, b, (a, b) != (lo, hi)


def _pct(kpi: KpiSummary | TargetRow | None) -> str:
    if kpi is None or kpi.mean is None:
        return "—"
    if kpi.low is None:
        return f"{100 * kpi.mean:.1f}%"
    a, b, cut = clamp_interval(kpi.low, kpi.high, rate=True)
    if cut:
        return f"{100 * kpi.mean:.1f}[{100 * a:.1f},{100 * b:.1f}]%"
    return f"{100 * kpi.mean:.1f}±{100 * kpi.half_width:.1f}%"


def _num(kpi: KpiSummary | None, fmt: str = "{:.0f}") -> str:
    mean = None if kpi is None else kpi.mean
    return "—" if mean is None else fmt.format(mean)


MARKS = {"met": "✓", "unclear": "≈", "missed": "✗", "no-data": "–"}
FEW_REPLICATIONS = 5
WIDE_HALF = 0.05


def target_status(row: TargetRow) -> str:
    """``met`` (mean ≥ target), ``unclear`` (mean below, but the 95 % CI reaches the target:
    not distinguishable from it), ``missed`` (the whole CI below it, or no CI and the mean
    below) or ``no-data`` (no calls, so no service level: neither met nor missed)."""
    mean, hi = row.mean, row.high
    if mean is None:
        return "no-data"
    if mean >= row.target:
        return "met"
    if hi is not None and hi >= row.target:
        return "unclear"
    return "missed"


def place_label(key: str, lang: str | None = None) -> str:
    """``622900/110`` → ``622900/110 临夏回族自治州 Linxia 110``; a region code → its names;
    ``lang`` ``en`` or ``zh`` keeps one of the two names (plots without a CJK font)."""
    from sim.domain.regions import load_regions

    region, _, line = key.partition("/")
    table = load_regions()
    if region not in table:
        return key
    r = table.get(region)
    en = re.sub(r"\s+\S+\s+Autonomous Prefecture$", "", r.en)
    names = {"en": en, "zh": r.zh}.get(lang or "", f"{r.zh} {en}")
    return f"{key} {names}" + (f" {line}" if line else "")


def missed_targets(doc: KpiDocument | Mapping) -> list[TargetRow]:
    """Targets (lines and centres) whose 95 % CI lies wholly below the target level."""
    return [t for t in as_document(doc).targets if target_status(t) == "missed"]


def has_interval(row: TargetRow) -> bool:
    """Whether a target row has a 95 % CI (it has none with one replication)."""
    return row.low is not None


def format_targets(doc: KpiDocument | Mapping, most: int = 20) -> str:
    """The centres and lines that miss their target, then those not distinguishable from it,
    then how many had no calls (neither met nor missed)."""
    out = []
    rows_of = {s: [t for t in as_document(doc).targets if target_status(t) == s] for s in MARKS}
    missed = rows_of["missed"]
    sections = (
        ([t for t in missed if has_interval(t)], "Targets missed 未达标 (95 % CI below the "
                                                 "target)"),
        ([t for t in missed if not has_interval(t)], "Targets missed 未达标 (mean below the "
                                                     "target, no interval: one replication)"),
        (rows_of["unclear"], "Not distinguishable from the target 无法区分 (mean below, 95 % "
                             "CI reaches it)"))
    for rows, title in sections:
        if not rows:
            continue
        out.append(f"{title}: {len(rows)}")
        rows.sort(key=lambda t: (t.kind != "line", t.mean - t.target))
        for t in rows[:most]:
            name = t.name if t.kind == "line" else place_label(t.name)
            out.append(f"  {t.kind:<7}{name:<40}{t.kpi:>6} {_pct(t):>13} < "
                       f"{100 * t.target:.0f}%")
        if len(rows) > most:
            out.append(f"  ... and {len(rows) - most} more (see report.html)")
    empty = rows_of["no-data"]
    if empty:
        names = ", ".join(t.name for t in empty[:8]) + (" ..." if len(empty) > 8 else "")
        out.append(f"No calls 无来电 (no service level, neither met nor missed): {len(empty)} "
                   f"({names})")
    return "\n".join(out)


def sparse_warnings(doc: KpiDocument | Mapping) -> list[str]:
    """Warnings a planner must see: fewer than 5 replications, or target KPIs whose 95 %
    half-width is over 5 points (the interval is too wide to judge the target)."""
    out = []
    doc = as_document(doc)
    n = doc.replications
    if n < FEW_REPLICATIONS:
        out.append(f"warning: only {n} replication(s); intervals are wide or missing "
                   f"(use -r {FEW_REPLICATIONS} or more before acting on a difference).")
    wide = [(t.name, t.kpi, t.half_width) for t in doc.targets
            if t.half_width is not None and t.half_width > WIDE_HALF]
    wide += _wide_reported(doc)
    if wide:
        names = ", ".join(f"{name} {kpi} ±{100 * half:.1f}" for name, kpi, half in wide[:8])
        more = f" and {len(wide) - 8} more" if len(wide) > 8 else ""
        out.append(f"warning: {len(wide)} reported KPI(s) with a 95 % half-width over "
                   f"{100 * WIDE_HALF:.0f} points: {names}{more} (sparse data: more "
                   "replications or a longer horizon).")
    return out


REPORTED_RATES = ("human_answer_rate", "abandon_rate", "block_rate", "occupancy")
"""The shares the summary table prints per line and overall (besides the targets)."""


def _wide_reported(doc: KpiDocument) -> list[tuple[str, str, float]]:
    """The summary table's rates per line and overall whose half-width is over the limit."""
    rows = [*doc.lines.items(), ("all", doc.overall)]
    found = []
    for name, kpis in rows:
        for kpi in REPORTED_RATES:
            half = kpis[kpi].half_width if kpi in kpis else None
            if half is not None and half > WIDE_HALF:
                found.append((name, kpi, half))
    return found


def format_summary(doc: KpiDocument | Mapping, lines_sl: dict[str, float] | None = None) -> str:
    """A fixed-width table of the main KPIs (mean ± 95 % CI half-width) per line and overall."""
    head = (f"{'line 热线':<30}{'offered':>10}{'answered':>14}{'abandoned':>13}{'blocked':>12}"
            f"{'SL@target':>17}{'ASA s':>8}{'occupancy':>11}")
    doc = as_document(doc)
    out = [f"{doc.scenario}: {doc.replications} replication(s), seed {doc.seed}, "
           f"{doc.horizon_hours:g} h from {doc.start}", head, "-" * len(head)]
    targets = {t.name: t for t in doc.targets if t.kind == "line"}
    rows = [(f"{k} {LINE_NAMES.get(k, '')}".strip(), v, targets.get(k))
            for k, v in doc.lines.items()] + [("all 全部", doc.overall, None)]
    for name, k, target in rows:
        sl = k.get(target.kpi) if target else None
        mark = ""
        if target:
            mark = f" {MARKS[target_status(target)]}{100 * target.target:.0f}"
        out.append(f"{name:<30}{_num(k['offered']):>10}{_pct(k['human_answer_rate']):>14}"
                   f"{_pct(k['abandon_rate']):>13}{_pct(k['block_rate']):>12}"
                   f"{(_pct(sl) + mark) if sl else '—':>17}{_num(k['asa'], '{:.1f}'):>8}"
                   f"{_pct(k['occupancy']):>11}")
    out.append("SL@target: answered within the line's target seconds / calls reaching the "
               "seats (offered − bot); ✓ = mean "
               "meets the target level (%), ✗ = 95 % CI below it (the mean, with one "
               "replication), ≈ = not distinguishable, – = no calls.")
    return "\n".join(out)


def format_disaster(doc: KpiDocument | Mapping) -> str:
    """Remote seats, the bot and outage rerouting, when the scenario has them."""
    out = []
    sections = as_document(doc).sections
    if sections.get("borrowing"):
        b = means(sections["borrowing"])
        out.append(f"remote seats 远程坐席: {b['requests']:.1f} loans, "
                   f"{b['borrowed_seat_hours']:.1f} borrowed seat-hours; "
                   f"loans from donors under their target: {b['lent_below_target']:.0f}")
        rows = sorted(((k.split(":")[0], v) for k, v in b.items()
                       if k.endswith(":borrowed_seat_hours") and v),
                      key=lambda kv: -kv[1])
        for key, hours in rows[:8]:
            first = b.get(f"{key}:first_request_hours")
            back = b.get(f"{key}:released_after_hours")
            out.append(f"  {key:<14} borrowed {hours:7.1f} seat-h; first request at "
                       f"{_h(first)}; released {_h(back)} after it")
    if sections.get("bot"):
        bot = means(sections["bot"])
        out.append(f"bot 智能客服: {bot['contained']:.0f} calls answered, "
                   f"{bot['online']:.0f} moved online")
    if sections.get("outages"):
        out.append("outage rerouting: " + ", ".join(
            f"{k.split(':')[0]} {v:.0f}" for k, v in means(sections["outages"]).items()))
    return "\n".join(out)


def _h(value) -> str:
    return "—" if value is None else f"{value:.1f} h"


def format_merge_test(doc: KpiDocument | Mapping, scenario) -> str:
    """S18: each hotline other than the five linked lines against the seed's merge test."""
    from sim.scenario.plan import build_plans
    from sim.scenario.schema import LINES

    rows = []
    plans = build_plans(scenario)
    for line, kpis in as_document(doc).lines.items():
        if line in LINES:
            continue
        rate = means(kpis)["human_answer_rate"]
        keys = {p.key: p for p in plans}
        merged = scenario.merge is not None and line in scenario.merge.lines
        serving = [keys.get(f"{p.region}/{scenario.merge.into}", p) if merged else p
                   for p in plans if p.line == line]
        always = all(min(p.seats_by_hour[:int(scenario.horizon_hours)]) > 0 for p in serving)
        merge = rate is None or rate < 0.6 or not always
        rows.append(f"  {line:<10} human answer rate {_pct(kpis['human_answer_rate']):>12}; "
                    f"7x24 seats: {'yes' if always else 'no'} -> "
                    f"{'merge into 12345' if merge else 'may stay separate'}")
    if not rows:
        return ""
    return "\n".join([f"S18 merge test 热线归并, {scenario.name} (7x24 human service and human "
                       "answer rate >= 60 %):", *rows])
