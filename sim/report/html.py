"""HTML pieces shared by ``report.html``, ``compare.html`` and ``sweep.html``: the Jinja2
environment, images embedded as data URIs, KPI cells formatted as mean ± CI half-width."""

from __future__ import annotations

import base64
import math
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from sim.results.document import KpiDocument, Kpis, TargetRow, as_document
from sim.results.stats import KpiSummary, as_summary, mean_ci

RATE_KPIS = {"p_wait", "abandon_rate", "block_rate", "human_answer_rate", "occupancy",
             "bot_rate"}
TABLE_KPIS = ("offered", "human_answer_rate", "abandon_rate", "block_rate", "asa", "p90_wait",
              "occupancy", "seat_hours")
MAX_EXTRA_ROWS = 80


def is_rate(kpi: str) -> bool:
    """Whether a KPI is a proportion (printed as a percentage)."""
    return kpi in RATE_KPIS or (kpi.startswith("sl") and kpi[2:3].isdigit())


def fmt_value(kpi: str, value: float | None) -> str:
    """One value of a KPI: percentages for rates, seconds with one decimal, counts rounded."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if is_rate(kpi):
        return f"{100 * value:.1f}%"
    if kpi in ("offered", "answered", "abandoned", "blocked", "bot", "redials", "unfinished"):
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def fmt_kpi(kpi_name: str, entry: KpiSummary | TargetRow | Mapping | None) -> str:
    """``mean ± half-width`` of a KPI's summary (or a target row, or a kpis.json entry); when
    the interval reaches past the KPI's range (below 0, a rate above 100 %), ``mean [low,
    high]`` with the ends clamped to the range."""
    from sim.report.tables import clamp_interval

    kpi = entry if isinstance(entry, TargetRow) else as_summary(entry)
    if kpi is None or kpi.mean is None:
        return "—"
    lo, hi = kpi.low, kpi.high
    text = fmt_value(kpi_name, kpi.mean)
    if lo is None or hi is None:
        return text
    a, b, cut = clamp_interval(lo, hi, is_rate(kpi_name))
    if cut and is_rate(kpi_name):
        return f"{100 * kpi.mean:.1f} [{100 * a:.1f}, {100 * b:.1f}]%"
    if cut:
        return f"{text} [{fmt_value(kpi_name, a)}, {fmt_value(kpi_name, b)}]"
    half = (hi - lo) / 2
    if is_rate(kpi_name):
        return f"{100 * kpi.mean:.1f} ± {100 * half:.1f}%"
    return f"{text} ± {half:,.1f}"


def sl_kpis(doc: KpiDocument) -> list[str]:
    """The service-level KPI names of a run (``sl10``, ``sl15``, ... without ``_excl``)."""
    return [k for k in doc.kpi_names if k.startswith("sl") and not k.endswith("_excl")]


def kpi_table(doc: KpiDocument | Mapping, groups: Sequence[tuple[str, Kpis]]) -> dict:
    """Header and rows of a KPI table: one row per (label, kpis) group."""
    doc = as_document(doc)
    names = [k for k in ("offered", *sl_kpis(doc), *TABLE_KPIS[1:]) if k in doc.kpi_names
             or k in TABLE_KPIS]
    if any("bot_rate" in kpis for _, kpis in groups):  # outcomes then add up to 100 %
        names.insert(names.index("human_answer_rate") + 1, "bot_rate")
    rows = [[label, *[fmt_kpi(k, kpis.get(k)) for k in names]] for label, kpis in groups]
    return {"header": names, "rows": rows}


def target_rows(doc: KpiDocument | Mapping,
                label: Callable[[TargetRow], str] | None = None) -> list[dict]:
    """Each target of kpis.json with its verdict: ``met`` (the 95 % CI's lower end reaches
    it), ``met-mean`` (the mean does, the CI reaches below), ``unclear`` (the mean falls short
    but the CI reaches the target: not distinguishable), ``missed`` (the CI is below it),
    ``missed-mean`` (no CI, one replication, and the mean below) or ``no-data`` (no calls).

    The rows are plain dicts for the template (kind, name, kpi, status, value, target_text and
    ``label``: ``label(row)``, default the name)."""
    from sim.report.tables import target_status

    rows = []
    for tg in as_document(doc).targets:
        lo = tg.low
        status = target_status(tg)
        if status == "met":
            status = "met" if lo is None or lo >= tg.target else "met-mean"
        elif status == "missed" and lo is None:
            status = "missed-mean"  # one replication: no interval to judge by
        rows.append({"kind": tg.kind, "name": tg.name, "kpi": tg.kpi, "status": status,
                     "value": fmt_kpi(tg.kpi, tg), "target_text": fmt_value(tg.kpi, tg.target),
                     "label": label(tg) if label else tg.name})
    return rows


def _flatten(value: object, prefix: str = "") -> dict[str, float]:
    if isinstance(value, dict):
        out: dict[str, float] = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    if isinstance(value, bool | int | float) and not isinstance(value, bool):
        return {prefix or "value": float(value)}
    return {}


SECTION_TITLES = {"borrowing": "Remote seats 远程坐席 (S12)", "bot": "Bot 智能客服 (S19)",
                  "flows": "Transfers and dispatches 转接与派件", "orders": "Work orders 工单",
                  "outages": "Outage rerouting 故障改路", "windows": "KPI windows"}


def section_table(name: str, value: dict) -> dict | None:
    """A section of kpis.json whose entries are ``{"mean", "ci95", "values"}`` as a labelled
    table: ``ROW:COLUMN`` keys pivot into rows (centres by name) and columns, mean ± 95 % CI."""
    from sim.report.tables import place_label

    entries = {k: v for k, v in value.items() if isinstance(v, dict) and "mean" in v}
    if not entries or len(entries) < len(value):
        return None
    cells: dict[str, dict[str, str]] = {}
    for key, entry in entries.items():
        row, _, col = key.rpartition(":") if ":" in key else ("all", "", key)
        row = place_label(row) if "/" in row and row[:1].isdigit() else row
        cells.setdefault(row, {})[col] = _entry_text(col, entry)
    cols = list(dict.fromkeys(c for r in cells.values() for c in r))
    rows = [[row, *[r.get(c, "—") for c in cols]] for row, r in list(cells.items())[:MAX_EXTRA_ROWS]]
    return {"name": SECTION_TITLES.get(name, name),
            "header_labels": ["", *(c.replace("_", " ") for c in cols)], "rows": rows,
            "truncated": max(0, len(cells) - MAX_EXTRA_ROWS)}


def _entry_text(col: str, entry: dict) -> str:
    kpi = KpiSummary.from_json(entry)
    mean, lo, hi = kpi.mean, kpi.low, kpi.high
    if mean is None:
        return "—"
    rate = col.endswith("_rate") or col in RATE_KPIS
    scale, unit = (100, "%") if rate else (1, "")
    half = "" if lo is None or hi is None else f" ± {scale * (hi - lo) / 2:,.{1 if rate else 3}g}"
    return f"{scale * mean:,.4g}{half}{unit}"


def extra_section(name: str, value: object) -> dict:
    """A table for a section that a model extension added to kpis.json.

    A list of per-replication mappings becomes mean ± CI per numeric leaf; anything else is shown
    as its numeric leaves.
    """
    if isinstance(value, dict):
        table = section_table(name, value)
        if table is not None:
            return table
    reps = value if isinstance(value, list) else [value]
    flat = [_flatten(v) for v in reps]
    keys = list(dict.fromkeys(k for f in flat for k in f))
    rows = []
    for key in keys[:MAX_EXTRA_ROWS]:
        mean, lo, hi = mean_ci([f.get(key, math.nan) for f in flat])
        half = "" if math.isnan(lo) else f" ± {(hi - lo) / 2:.4g}"
        rows.append([key, "—" if math.isnan(mean) else f"{mean:.4g}{half}"])
    return {"name": name, "rows": rows, "truncated": max(0, len(keys) - MAX_EXTRA_ROWS)}


def data_uri(path: Path) -> str:
    """A PNG file as a ``data:`` URI, so that the HTML needs no other file."""
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


_ENV: Environment | None = None


def render(template: str, **context: object) -> str:
    """Render one of the package's templates."""
    global _ENV
    if _ENV is None:
        _ENV = Environment(loader=PackageLoader("sim.report", "templates"),
                           autoescape=select_autoescape(["html", "j2"]), trim_blocks=True,
                           lstrip_blocks=True)
    return _ENV.get_template(template).render(**context)


def write_atomic(path: Path, text: str) -> Path:
    """Write through a temporary file renamed at the end (never a half-written file)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


LABELS = {"offered": "offered", "human_answer_rate": "answered", "abandon_rate": "abandoned",
          "block_rate": "blocked", "asa": "ASA s", "p90_wait": "p90 wait s",
          "mean_wait": "mean wait s", "occupancy": "occupancy", "seat_hours": "seat-hours",
          "p_wait": "P(wait)", "bot_rate": "by bot"}


def kpi_label(kpi: str) -> str:
    """A column heading for a KPI: ``SL 15 s`` for ``sl15``, plain words for the others."""
    if kpi.startswith("sl") and kpi[2:3].isdigit():
        return f"SL {kpi[2:].replace('_excl', ' s excl.')}" + ("" if "_excl" in kpi else " s")
    return LABELS.get(kpi, kpi)


def with_bot_share(kpis: Kpis | Mapping) -> Kpis:
    """``kpis`` plus ``bot_rate`` (calls the bot answered / offered, per replication, mean and
    95 % CI) when the bot answered any: answered, by bot, abandoned and blocked add to 100 %."""
    kpis = {name: as_summary(entry) for name, entry in kpis.items()}
    empty = KpiSummary(None, None, None)
    bot, offered = kpis.get("bot") or empty, kpis.get("offered") or empty
    if not bot.mean:
        return kpis
    values = [None if b is None or not o else b / o
              for b, o in zip(bot.values, offered.values, strict=False)]
    mean, lo, hi = (None if math.isnan(x) else x
                    for x in mean_ci([v for v in values if v is not None]))
    return {**kpis, "bot_rate": KpiSummary(mean, lo, hi, tuple(values))}
