"""Plots, ``report.html``, what-if comparison, parameter sweeps and the staffing optimiser.

``write_report(run_dir, lang)`` is what ``hotline run`` calls at its end; the commands
``compare``, ``sweep`` and ``staff`` live in ``sim.commands.analysis``. matplotlib is imported only
by the plotting modules, and only when a plot is drawn.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["write_report"]


def write_report(run_dir: Path, lang: str = "en", centres: Sequence[str] | None = None) -> Path:
    """Write ``plots/`` and a self-contained ``report.html`` into ``run_dir``; see
    ``sim.report.report.write_report``."""
    from sim.report.report import write_report as write

    return write(run_dir, lang, centres)
