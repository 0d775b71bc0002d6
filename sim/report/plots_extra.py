"""Plots of the linkage and work-order data: the line → line transfer flow and on-time rates.

Both appear only when a run has that data (transfers in ``calls.csv.gz``, ``orders.csv.gz``).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import PathPatch, Rectangle  # noqa: E402
from matplotlib.path import Path as MPath  # noqa: E402

from sim.report.i18n import line_label, t  # noqa: E402
from sim.report.plots import save  # noqa: E402
from sim.results.document import KpiDocument, means  # noqa: E402
from sim.results.stats import mean_ci  # noqa: E402

PALETTE = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3",
           "#8c8c8c", "#ccb974", "#64b5cd")


def _stack(totals: dict[str, float], gap: float) -> dict[str, float]:
    """Bottom y of each node when stacked top-down with ``gap`` between nodes."""
    y, out = 0.0, {}
    for name in sorted(totals, key=lambda k: -totals[k]):
        out[name] = y
        y += totals[name] + gap
    return out


def _band(x0: float, x1: float, y0: tuple[float, float], y1: tuple[float, float]) -> MPath:
    """A band from [y0] at x0 to [y1] at x1 with S-shaped (cubic Bézier) edges."""
    mid = (x0 + x1) / 2
    verts = [(x0, y0[0]), (mid, y0[0]), (mid, y1[0]), (x1, y1[0]), (x1, y1[1]),
             (mid, y1[1]), (mid, y0[1]), (x0, y0[1]), (x0, y0[0])]
    codes = [MPath.MOVETO, MPath.CURVE4, MPath.CURVE4, MPath.CURVE4, MPath.LINETO,
             MPath.CURVE4, MPath.CURVE4, MPath.CURVE4, MPath.CLOSEPOLY]
    return MPath(verts, codes)


def flow_matrix(doc: KpiDocument) -> dict[tuple[str, str], float]:
    """(from, to) → voice transfers plus system dispatches per replication, from kpis.json's
    ``flows`` section: the same numbers as the terminal's table."""
    out: dict[tuple[str, str], float] = {}
    for name, mean in means(doc.sections.get("flows") or {}).items():
        kind, _, rest = name.partition(":")
        if kind in ("transfer", "dispatch") and mean and ">" in rest:
            src, dst = rest.split(":")[0].split(">")
            out[(src, dst)] = out.get((src, dst), 0.0) + mean
    return out


def plot_transfer_flow(flows: dict[tuple[str, str], float], out: Path, stem: str,
                       lang: str, what: str = "") -> Path:
    """Flow chart of transfers from line to line (band width = transfers per replication);
    ``what`` says what the flows count (shown in the title)."""
    src, dst = {}, {}
    for (a, b), n in flows.items():
        src[a] = src.get(a, 0.0) + n
        dst[b] = dst.get(b, 0.0) + n
    total = sum(flows.values())
    gap = 0.04 * total
    y_src, y_dst = _stack(src, gap), _stack(dst, gap)
    colour = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(sorted(src | dst))}
    fig, ax = plt.subplots(figsize=(8, 4.8))
    used_src, used_dst = dict(y_src), dict(y_dst)
    for (a, b), n in sorted(flows.items(), key=lambda kv: (y_src[kv[0][0]], y_dst[kv[0][1]])):
        path = _band(0.1, 0.9, (used_src[a], used_src[a] + n), (used_dst[b], used_dst[b] + n))
        ax.add_patch(PathPatch(path, facecolor=colour[a], alpha=0.45, lw=0))
        used_src[a] += n
        used_dst[b] += n
    for side, x, nodes, totals in (("from", 0.0, y_src, src), ("to", 0.9, y_dst, dst)):
        for name, y in nodes.items():
            ax.add_patch(Rectangle((x, y), 0.1, totals[name], color=colour[name]))
            ha, tx = ("right", x - 0.01) if side == "from" else ("left", x + 0.11)
            ax.text(tx, y + totals[name] / 2, f"{line_label(name, lang)}\n{totals[name]:,.0f}",
                    ha=ha, va="center", fontsize=8)
    height = max(sum(src.values()), sum(dst.values())) + gap * max(len(src), len(dst))
    ax.set_xlim(-0.35, 1.35)
    ax.set_ylim(height, -gap)
    ax.axis("off")
    ax.set_title(f"{t('transfers', lang)} ({t('from_line', lang)} → {t('to_line', lang)}), "
                 f"{total:,.0f} / replication" + (f"\n{what}" if what else ""), fontsize=10)
    return save(fig, out, stem)


def on_time_table(orders: dict[str, np.ndarray]) -> list[tuple[str, str, float, float, float, int]]:
    """(line, urgency, mean on-time rate, CI low, CI high, closed orders) over replications."""
    on_time = orders["on_time_f"]
    closed = ~np.isnan(on_time)
    reps = sorted(set(orders["replication"].tolist()))
    urgency = orders.get("urgency", np.full(len(on_time), "all", dtype=object))
    rows = []
    for line in sorted(set(orders["line"].tolist())):
        for level in sorted(set(urgency.tolist())):
            sel = closed & (orders["line"] == line) & (urgency == level)
            if not sel.any():
                if ((orders["line"] == line) & (urgency == level)).any():
                    rows.append((line, str(level), np.nan, np.nan, np.nan, 0))  # none closed
                continue
            rates = [float(on_time[sel & (orders["replication"] == r)].mean())
                     for r in reps if (sel & (orders["replication"] == r)).any()]
            mean, lo, hi = mean_ci(rates)
            rows.append((line, str(level), mean, lo, hi, int(sel.sum())))
    return rows


def plot_on_time(orders: dict[str, np.ndarray], out: Path, stem: str, lang: str) -> Path:
    """Work-order on-time rate by owning line and urgency, with 95 % CIs over replications."""
    rows = on_time_table(orders)
    fig, ax = plt.subplots(figsize=(max(5.0, 0.7 * len(rows) + 2), 3.6))
    x = np.arange(len(rows))
    means = np.array([r[2] for r in rows])
    err = np.array([[r[2] - r[3], r[4] - r[2]] for r in rows]).T if rows else np.zeros((2, 0))
    levels = list(dict.fromkeys(r[1] for r in rows))
    colour = {lv: PALETTE[i % len(PALETTE)] for i, lv in enumerate(levels)}
    for lv in levels:  # one colour per urgency, in the legend
        idx = [i for i, r in enumerate(rows) if r[1] == lv]
        ax.bar(x[idx], np.nan_to_num(means[idx]), color=colour[lv], label=lv,
               yerr=np.nan_to_num(err[:, idx]), capsize=3)
    for i, r in enumerate(rows):  # every bar labelled (0 % is a value); no closed order is not
        if r[5] > 0:
            ax.text(x[i], min(1.0, np.nan_to_num(r[2])) + 0.02, f"{r[2]:.0%}", ha="center",
                    va="bottom", fontsize=7)
        else:
            ax.bar(x[i], 1.0, color="none", edgecolor="#999", hatch="//", lw=0.8)
            ax.text(x[i], 0.5, "no closed\norders", ha="center", va="center", fontsize=7)
    if levels:
        ax.legend(title="urgency", fontsize=8, title_fontsize=8, loc="upper left",
                  bbox_to_anchor=(1.01, 1.0))
    ax.set_xticks(x)
    ax.set_xticklabels([f"{line_label(r[0], lang)} · {r[1]}" for r in rows], fontsize=8,
                       rotation=35, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel(t("on_time", lang))
    ax.set_title(t("on_time", lang), fontsize=11)
    ax.grid(axis="y", alpha=0.3)
    return save(fig, out, stem)
