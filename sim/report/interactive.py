"""The interactive part of ``report.html``: zoomable plots, a centre/region selector and a tile
map of the regions coloured by service level, all inline (plotly.js is embedded, so the file
opens offline).

Every plot has one trace per group (each line, region and centre) carrying the group's key in
``meta``; the selector (``<select id="selector">``) shows the traces of the chosen group.
Times on the x axes are the scenario's local clock time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from sim.report.i18n import t
from sim.report.tables import place_label
from sim.results.document import KpiDocument
from sim.results.rundata import Series

# A schematic tile map (列, 行) of Gansu's regions, north-west to south-east, so that
# neighbours touch: the Hexi corridor along the top, Lanzhou in the middle, the south below.
TILES = {
    "620900": (0, 0), "620200": (1, 0), "629901": (1, 1), "620700": (2, 1), "620300": (3, 1),
    "620600": (4, 1), "620171": (4, 2), "620400": (5, 2), "620100": (4, 3), "621000": (7, 3),
    "620800": (6, 3), "622900": (3, 4), "621100": (5, 4), "623000": (3, 5), "620500": (6, 5),
    "621200": (5, 6), "620000": (7, 0),
}
COLOURS = [[0.0, "#b2182b"], [0.5, "#fdb863"], [0.75, "#fee08b"], [1.0, "#1a9850"]]
MIN_CALLS_HOUR = 5  # an hour with fewer calls offered cannot be "the worst hour"


@dataclass(frozen=True)
class Group:
    """A selectable group: its key (``line:110``, ``region:622900``, ``centre:622900/110``),
    label and centre indices."""

    key: str
    label: str
    members: tuple[int, ...]


def groups(series: Series) -> list[Group]:
    """Every line, region and centre of the run, in that order."""
    out = [Group(f"line:{ln}", f"line {ln}", tuple(series.members(line=ln)))
           for ln in dict.fromkeys(series.lines)]
    out += [Group(f"region:{r}", place_label(r), tuple(series.members(region=r)))
            for r in dict.fromkeys(series.regions)]
    out += [Group(f"centre:{c}", place_label(c), (i,)) for i, c in enumerate(series.centres)]
    return out


def hourly(series: Series) -> Series:
    """Whole hours: counts summed, levels averaged."""
    per_hour = max(1, round(3600.0 / series.step))
    if per_hour == 1:
        return series
    return series.coarsen(max_points=max(1, len(series.t) // per_hour))


def clock(start: str, t: np.ndarray) -> list[str]:
    """Local clock times (``2024-06-03 14:00``) for offsets in seconds from ``start``."""
    base = datetime.fromisoformat(start).replace(tzinfo=None)
    return [(base + timedelta(seconds=float(x))).strftime("%Y-%m-%d %H:%M") for x in t]


def _ratio(num: np.ndarray, den: np.ndarray) -> list[float | None]:
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
    return [None if np.isnan(v) else round(float(v), 4) for v in r]


def _trace(x, y, g: Group, visible: bool, name: str | None = None, **kw) -> dict:
    # x0 + dx (one hour in ms) instead of an x array per trace: a week of 95 groups stays small
    return {"type": "scatter", "mode": "lines", "x0": x[0], "dx": 3_600_000, "y": y,
            "name": name or g.label, "meta": g.key, "visible": visible, **kw}


def figures(series: Series, start: str, default: str, lang: str = "en") -> dict[str, dict]:
    """Plotly figure dicts: service level, calls offered and seats/queue, per group."""
    h = hourly(series)
    x = clock(start, h.t)
    sl, vol, seats = [], [], []
    for g in groups(h):
        on = _shown(g.key, default)
        m = list(g.members)
        sl.append(_trace(x, _ratio(h.col("answered_in_target", m), h.col("offered", m)), g, on,
                         hovertemplate="%{x}<br>%{y:.1%}<extra>%{fullData.name}</extra>"))
        vol.append(_trace(x, [round(float(v), 2) for v in h.col("offered", m)], g, on))
        seats.append(_trace(x, [round(float(v), 2) for v in h.col("seats", m)], g, on,
                            name=f"{g.label} {t('seats', lang)}", line={"shape": "hv"}))
        seats.append(_trace(x, [round(float(v), 2) for v in h.col("queue", m)], g, on,
                            name=f"{g.label} {t('queue', lang)}", line={"dash": "dot"}))
    axis = {"type": "date", "title": {"text": t("local_time", lang)},
            "rangeslider": {"visible": True}}
    return {
        "sl": {"data": sl, "layout": {"title": {"text": t("ix_sl", lang)},
                                      "xaxis": axis, "yaxis": {"tickformat": ".0%",
                                                               "range": [0, 1.02]},
                                      "height": 420, "showlegend": True,
                                      "legend": {"orientation": "h"}}},
        "volume": {"data": vol, "layout": {"title": {"text": t("ix_volume", lang)}, "xaxis": axis,
                                           "height": 380, "showlegend": True,
                                           "legend": {"orientation": "h"}}},
        "seats": {"data": seats, "layout": {"title": {"text": t("ix_seats", lang)}, "xaxis": axis,
                                            "height": 380, "showlegend": True,
                                            "legend": {"orientation": "h"}}},
    }


def _shown(key: str, selected: str) -> bool:
    if selected == "lines":
        return key.startswith("line:")
    return key == selected


def region_map(series: Series, start: str, doc: KpiDocument, lang: str = "en") -> dict:
    """The tile map: one square per region, coloured by its service level at target, the worst
    hour (fewest answered in target among hours with calls) on hover."""
    h = hourly(series)
    x = clock(start, h.t)
    codes = [r for r in dict.fromkeys(series.regions) if r in TILES]
    text, colour, worst_text = [], [], []
    targets = {row.name: row for row in doc.targets if row.kind == "centre"}
    for code in codes:
        m = series.members(region=code)
        offered, good = h.col("offered", m), h.col("answered_in_target", m)
        total = float(offered.sum())
        level = float(good.sum()) / total if total > 0 else None
        ok = offered >= MIN_CALLS_HOUR
        if ok.any():
            ratio = np.where(ok, good / np.where(ok, offered, 1), np.inf)
            j = int(np.argmin(ratio))
            worst_text.append(f"{t('worst_hour', lang)} {x[j]}: {ratio[j]:.1%} "
                              f"({offered[j]:.0f} {t('offered', lang)})")
        else:
            worst_text.append(t("few_calls", lang))
        missed = [c for c in (series.centres[i] for i in m)
                  if c in targets and targets[c].mean is not None
                  and targets[c].mean < targets[c].target]
        colour.append(None if level is None else round(level, 4))
        text.append(f"{place_label(code)}<br>{t('sl_at_target', lang)} "
                    f"{'—' if level is None else f'{level:.1%}'}<br>{worst_text[-1]}<br>"
                    f"{t('below_target', lang)}: {', '.join(missed) or t('none', lang)}")
    trace = {"type": "scatter", "mode": "markers+text", "x": [TILES[c][0] for c in codes],
             "y": [-TILES[c][1] for c in codes], "customdata": codes, "hovertext": text,
             "hoverinfo": "text", "text": [_tile_label(c) for c in codes],
             "textfont": {"size": 10},
             "marker": {"symbol": "square", "size": 68, "color": colour, "cmin": 0.6, "cmax": 1,
                        "colorscale": COLOURS, "showscale": True,
                        "line": {"width": 1, "color": "#555"},
                        "colorbar": {"title": {"text": "SL"}, "tickformat": ".0%"}}}
    layout = {"title": {"text": t("ix_map", lang)},
              "xaxis": {"visible": False, "range": [-0.6, 7.6], "fixedrange": True},
              "yaxis": {"visible": False, "range": [-6.6, 0.6], "scaleanchor": "x",
                        "fixedrange": True},
              "margin": {"l": 10, "r": 10, "t": 50, "b": 10},
              "height": 640, "width": 820, "showlegend": False}
    return {"data": [trace], "layout": layout}


def _tile_label(code: str) -> str:
    """Short zh and en names for a tile: ``临夏<br>Linxia``."""
    parts = place_label(code).split(" ", 2)
    if len(parts) < 3:
        return code
    zh, en = parts[1], parts[2]
    for suffix in ("回族自治州", "藏族自治州", "市"):
        zh = zh.removesuffix(suffix)
    return f"{zh}<br>{en.replace(' Province', '').replace(' Area', '')[:12]}"


def selector_options(series: Series, lang: str = "en") -> list[tuple[str, str]]:
    """(value, label) of the selector: all lines, then each line, region and centre."""
    return [("lines", t("all_lines", lang)), *((g.key, g.label) for g in groups(series))]


def context(series: Series | None, doc: KpiDocument, default: str = "lines",
            lang: str = "en") -> dict | None:
    """What the template needs: plotly.js, figure JSON, selector options and the default."""
    if series is None or not len(series.t):
        return None
    from plotly.offline import get_plotlyjs

    figs = figures(series, doc.start, default, lang)
    figs["map"] = region_map(series, doc.start, doc, lang)
    text = json.dumps(figs, separators=(",", ":"), ensure_ascii=False).replace("</", "<\\/")
    return {"plotly_js": get_plotlyjs(), "figures": text,
            "options": selector_options(series, lang), "default": default}
