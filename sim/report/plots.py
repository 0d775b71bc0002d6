"""Plots of one run over time: volumes, service level, queue and seats, a region × hour heatmap.

Every figure is written as PNG and SVG (``save``); matplotlib runs on the Agg backend and is
imported only by the plotting modules of this package, never by the simulator.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sim.report.i18n import region_label, t  # noqa: E402
from sim.results.rundata import Series  # noqa: E402

COLOURS = {"offered": "#4c72b0", "answered": "#55a868", "abandoned": "#dd8452",
           "blocked": "#c44e52", "queue": "#8172b3", "seats": "#4c72b0", "borrowed": "#e5ae38",
           "busy": "#55a868", "target": "#c44e52"}


@dataclass(frozen=True)
class Group:
    """A panel: a label, the centre indices it sums and its service-level target level."""

    label: str
    members: tuple[int, ...]
    target: float | None = None


def save(fig, out_dir: Path, stem: str, tight: bool = True) -> Path:
    """Write ``stem.png`` and ``stem.svg`` into ``out_dir``; close the figure; return the PNG.

    ``tight=False`` keeps the figure's own margins (one layout pass less: faster).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    png = out_dir / f"{stem}.png"
    box = "tight" if tight else None
    fig.savefig(png, dpi=100, bbox_inches=box)
    fig.savefig(out_dir / f"{stem}.svg", bbox_inches=box, metadata={"Date": None})
    plt.close(fig)
    return png


def _panels(n: int, title: str):
    height = 0.9 + 1.9 * n
    fig, axes = plt.subplots(n, 1, figsize=(10, height), sharex=True, squeeze=False)
    fig.subplots_adjust(left=0.08, right=0.985, top=1 - 0.45 / height, bottom=0.7 / height,
                        hspace=0.35)
    fig.suptitle(title, fontsize=11)
    return fig, axes[:, 0]


WEEKDAYS = {"en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
            "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日")}


def clock_labels(hours: np.ndarray, start: str | None, lang: str) -> list[str]:
    """Tick labels in local clock time: ``Mon 06-03`` at midnight, else ``14:00``; hours from
    the start when the start time is unknown."""
    if start is None:
        return [f"{h:g}" for h in hours]
    from datetime import datetime, timedelta

    base = datetime.fromisoformat(start).replace(tzinfo=None)
    out = []
    for h in hours:
        when = base + timedelta(hours=float(h))
        day = f"{WEEKDAYS[lang][when.weekday()]} {when:%m-%d}"
        out.append(f"{day}\n{when:%H:%M}" if when.hour == 0 and when.minute == 0 or h == hours[0]
                   else f"{when:%H:%M}")
    return out


def _hours_axis(ax, hours: np.ndarray, lang: str, start: str | None = None) -> None:
    span = hours[-1] if len(hours) else 24
    ax.set_xlim(0, span + (hours[1] - hours[0] if len(hours) > 1 else 1))
    step = 24 if span > 48 else 6 if span > 12 else 1
    offset = 0.0
    if start is not None:  # ticks on clock hours that are multiples of the step
        from datetime import datetime

        first = datetime.fromisoformat(start)
        offset = (-(first.hour + first.minute / 60)) % step
    ticks = np.arange(offset, span + 1, step)
    ax.set_xticks(ticks, clock_labels(ticks, start, lang), fontsize=8)
    ax.set_xlabel(t("hours", lang) if start is None else t("local_time", lang))


def _per_hour(series: Series, name: str, members: Sequence[int]) -> np.ndarray:
    return series.col(name, members) * 3600.0 / series.step


def plot_volume(series: Series, groups: Sequence[Group], out: Path, stem: str, lang: str) -> Path:
    """Offered, answered, abandoned and blocked calls per hour, one panel per group."""
    fig, axes = _panels(len(groups), t("volume", lang))
    hours = series.t / 3600.0
    for ax, g in zip(axes, groups, strict=True):
        for name in ("offered", "answered", "abandoned", "blocked"):
            ax.plot(hours, _per_hour(series, name, g.members), lw=0.9, color=COLOURS[name],
                    label=t(name, lang), drawstyle="steps-post")
        _label_panel(ax, g, t("calls_per_hour", lang))
    return _finish(fig, axes, series, lang, out, stem)


def _label_panel(ax, g: Group, ylabel: str) -> None:
    ax.set_ylabel(ylabel, fontsize=8)
    ax.set_title(g.label, fontsize=9, loc="left")
    ax.grid(alpha=0.3)


def _finish(fig, axes, series: Series, lang: str, out: Path, stem: str,
            legend: bool = True) -> Path:
    """The shared legend (over the first panel), the time axis, and the saved figure."""
    if legend:
        axes[0].legend(fontsize=8, ncol=4, loc="upper right")
    _hours_axis(axes[-1], series.t / 3600.0, lang, series.start)
    return save(fig, out, stem, tight=False)


def service_level(series: Series, members: Sequence[int]) -> np.ndarray:
    """Answered within the target seconds / offered, per interval (NaN where nothing offered)."""
    offered = series.col("offered", members)
    within = series.col("answered_in_target", members)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(offered > 0, within / offered, np.nan)


def plot_service_level(series: Series, groups: Sequence[Group], out: Path, stem: str,
                       lang: str) -> Path:
    """Service level per interval against the target level, one panel per group."""
    fig, axes = _panels(len(groups), t("sl_time", lang))
    hours = series.t / 3600.0
    for ax, g in zip(axes, groups, strict=True):
        sl = service_level(series, g.members)
        ax.plot(hours, sl, lw=0.9, color=COLOURS["answered"], drawstyle="steps-post",
                label=t("service_level", lang))
        if g.target is not None:
            ax.axhline(g.target, color=COLOURS["target"], ls="--", lw=1,
                       label=f"{t('target', lang)} {g.target:.0%}")
            below = np.nan_to_num(sl, nan=1.0) < g.target
            ax.fill_between(hours, 0, 1.02, where=below, step="post", color=COLOURS["target"],
                            alpha=0.12, lw=0)
        ax.set_ylim(max(0.0, min(0.5, np.nanmin(sl, initial=1.0) - 0.05)), 1.02)
        _label_panel(ax, g, t("service_level", lang))
        ax.legend(fontsize=8, loc="lower right")
    return _finish(fig, axes, series, lang, out, stem, legend=False)


def plot_queue_seats(series: Series, groups: Sequence[Group], out: Path, stem: str,
                     lang: str) -> Path:
    """Mean callers waiting, seats on duty (own, plus borrowed on top) and busy seats."""
    fig, axes = _panels(len(groups), t("queue_seats", lang))
    hours = series.t / 3600.0
    for ax, g in zip(axes, groups, strict=True):
        own = series.col("seats", g.members)
        borrowed = series.col("borrowed", g.members) if "borrowed" in series.columns \
            else np.zeros_like(own)
        ax.fill_between(hours, 0, own, step="post", color=COLOURS["seats"], alpha=0.25, lw=0,
                        label=t("own_seats", lang))
        ax.fill_between(hours, own, own + borrowed, step="post", color=COLOURS["borrowed"],
                        alpha=0.6, lw=0, label=t("borrowed_seats", lang))
        ax.plot(hours, series.col("busy", g.members), lw=0.8, color=COLOURS["busy"],
                drawstyle="steps-post", label=t("busy_seats", lang))
        ax.plot(hours, series.col("queue", g.members), lw=1.0, color=COLOURS["queue"],
                drawstyle="steps-post", label=t("queue", lang))
        _label_panel(ax, g, t("seats", lang))
    return _finish(fig, axes, series, lang, out, stem)


def region_hour_matrix(series: Series) -> tuple[list[str], np.ndarray]:
    """Regions and their service level per hour of the run: (regions, array regions × hours)."""
    regions = list(dict.fromkeys(series.regions))
    per_hour = max(1, round(3600.0 / series.step))
    n_hours = len(series.t) // per_hour
    out = np.full((len(regions), n_hours), np.nan)
    for i, region in enumerate(regions):
        idx = series.members(region=region)
        offered = series.col("offered", idx)[: n_hours * per_hour].reshape(n_hours, per_hour)
        within = series.col("answered_in_target", idx)[: n_hours * per_hour]
        within = within.reshape(n_hours, per_hour).sum(axis=1)
        total = offered.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[i] = np.where(total > 0, within / total, np.nan)
    return regions, out


def plot_heatmap(series: Series, out: Path, stem: str, lang: str) -> Path:
    """Region × hour heatmap of the service level (each centre against its own target seconds)."""
    regions, matrix = region_hour_matrix(series)
    fig, ax = plt.subplots(figsize=(11, 0.9 + 0.32 * len(regions)))
    cmap = plt.get_cmap("RdYlGn").with_extremes(bad="#dddddd")
    image = ax.imshow(np.ma.masked_invalid(matrix), aspect="auto", cmap=cmap, vmin=0.5, vmax=1.0,
                      interpolation="nearest")
    ax.set_yticks(range(len(regions)))
    ax.set_yticklabels([f"{region_label(r, lang)} {r}" for r in regions], fontsize=7)
    n_hours = matrix.shape[1]
    step = 24 if n_hours > 48 else 6 if n_hours > 12 else 1
    ax.set_xticks(np.arange(0, n_hours, step))
    ax.set_xlabel(t("hours", lang))
    ax.set_title(t("sl_heatmap", lang), fontsize=11)
    fig.colorbar(image, ax=ax, label=t("service_level", lang), fraction=0.03)
    return save(fig, out, stem)
