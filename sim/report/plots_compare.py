"""Plots across runs: compare overlays, sweep curves with CI bands, required vs current seats."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sim.report.html import is_rate, kpi_label  # noqa: E402
from sim.report.i18n import line_label, t  # noqa: E402
from sim.report.plots import save, service_level  # noqa: E402
from sim.report.plots_extra import PALETTE  # noqa: E402
from sim.results.rundata import Series  # noqa: E402
from sim.results.stats import KpiSummary, as_summary  # noqa: E402


def plot_sl_overlay(runs: Sequence[tuple[str, Series]], targets: dict[str, float], out: Path,
                    stem: str, lang: str) -> Path:
    """Service level over time per line, one curve per run."""
    lines = list(dict.fromkeys(line for _, s in runs for line in s.lines))
    fig, axes = plt.subplots(len(lines), 1, figsize=(10, 0.9 + 1.9 * len(lines)), sharex=True,
                             squeeze=False)
    for ax, line in zip(axes[:, 0], lines, strict=True):
        for i, (name, s) in enumerate(runs):
            s = s.coarsen()
            members = s.members(line=line)
            if members:
                ax.plot(s.t / 3600, service_level(s, members), lw=0.9, drawstyle="steps-post",
                        color=PALETTE[i % len(PALETTE)], label=name)
        if line in targets:
            ax.axhline(targets[line], color="#c44e52", ls="--", lw=1)
        ax.set_title(line_label(line, lang), fontsize=9, loc="left")
        ax.set_ylabel(t("service_level", lang), fontsize=8)
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=8, loc="lower right")
    axes[-1, 0].set_xlabel(t("hours", lang))
    fig.suptitle(t("sl_time", lang), fontsize=11)
    return save(fig, out, stem)


def plot_kpi_bars(names: Sequence[str], groups: Sequence[str], kpi: str,
                  entries: Sequence[Sequence[dict | None]], out: Path, stem: str) -> Path:
    """Grouped bars of one KPI (groups × runs) with 95 % CI error bars."""
    fig, ax = plt.subplots(figsize=(max(5.0, 1.1 * len(groups) + 2), 3.4))
    width = 0.8 / max(1, len(names))
    scale = 100.0 if is_rate(kpi) else 1.0
    for i, name in enumerate(names):
        means = np.array([_mean(e[i]) for e in entries], dtype=float) * scale
        lo = np.array([_ci(e[i], 0) for e in entries], dtype=float) * scale
        hi = np.array([_ci(e[i], 1) for e in entries], dtype=float) * scale
        err = np.nan_to_num(np.vstack([means - lo, hi - means]))
        ax.bar(np.arange(len(groups)) + (i - (len(names) - 1) / 2) * width, means, width,
               yerr=err, capsize=3, color=PALETTE[i % len(PALETTE)], label=name)
    ax.set_xticks(np.arange(len(groups)))
    ax.set_xticklabels(groups, fontsize=8)
    ax.set_ylabel(kpi_label(kpi) + (" (%)" if scale == 100 else ""))
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    return save(fig, out, stem)


def _mean(entry: KpiSummary | Mapping | None) -> float:
    kpi = as_summary(entry)
    return np.nan if kpi is None or kpi.mean is None else kpi.mean


def _ci(entry: KpiSummary | Mapping | None, i: int) -> float:
    kpi = as_summary(entry)
    end = None if kpi is None else kpi.low if i == 0 else kpi.high
    return np.nan if end is None else end


def plot_sweep(x_label: str, x_values: Sequence[str], curves: dict[str, dict[str, list]],
               kpi: str, out: Path, stem: str) -> Path:
    """KPI against a parameter: ``curves[panel][series] = [entry per x]``, CI bands shaded."""
    numeric = _numeric(x_values)
    x = np.array(numeric if numeric is not None else range(len(x_values)), dtype=float)
    panels = list(curves)
    fig, axes = plt.subplots(1, len(panels), figsize=(3.4 * len(panels) + 1, 3.2),
                             squeeze=False, sharey=is_rate(kpi))
    scale = 100.0 if is_rate(kpi) else 1.0
    for ax, panel in zip(axes[0], panels, strict=True):
        for i, (label, entries) in enumerate(curves[panel].items()):
            colour = PALETTE[i % len(PALETTE)]
            mean = np.array([_mean(e) for e in entries], dtype=float) * scale
            lo = np.array([_ci(e, 0) for e in entries], dtype=float) * scale
            hi = np.array([_ci(e, 1) for e in entries], dtype=float) * scale
            ax.plot(x, mean, marker="o", ms=3, color=colour, label=label or None)
            ax.fill_between(x, lo, hi, color=colour, alpha=0.2, lw=0)
        ax.set_title(panel, fontsize=9)
        ax.set_xlabel(x_label, fontsize=8)
        if numeric is None:
            ax.set_xticks(x)
            ax.set_xticklabels(x_values, fontsize=7, rotation=30)
        ax.grid(alpha=0.3)
    axes[0, 0].set_ylabel(kpi_label(kpi) + (" (%)" if scale == 100 else ""))
    if any(label for c in curves.values() for label in c):
        axes[0, -1].legend(fontsize=7)
    return save(fig, out, stem)


def _numeric(values: Sequence[str]) -> list[float] | None:
    try:
        return [float(v) for v in values]
    except ValueError:
        return None


def plot_required_seats(hours: np.ndarray, panels: dict[str, tuple[np.ndarray, np.ndarray]],
                        out: Path, stem: str, lang: str) -> Path:
    """Required against current seats over time: ``panels[label] = (required, current)``."""
    fig, axes = plt.subplots(len(panels), 1, figsize=(10, 0.9 + 1.8 * len(panels)),
                             sharex=True, squeeze=False)
    for ax, (label, (required, current)) in zip(axes[:, 0], panels.items(), strict=True):
        ax.step(hours, current, where="post", color="#4c72b0", lw=1.0, label=t("current", lang))
        ax.step(hours, required, where="post", color="#c44e52", lw=1.2, label=t("required", lang))
        ax.set_title(label, fontsize=9, loc="left")
        ax.set_ylabel(t("seats", lang), fontsize=8)
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=8, loc="upper right")
    axes[-1, 0].set_xlabel(t("hours", lang))
    fig.suptitle(f"{t('seats', lang)}: {t('required', lang)} / {t('current', lang)}", fontsize=11)
    return save(fig, out, stem)
