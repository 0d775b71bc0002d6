"""One replication reduced to what a run directory needs: KPIs, series and compressed records.

Summarising takes plain inputs: the replication's ``ReplicationResult`` (records, orders, seat
events, …) and the ``Layout`` of the network it ran on (centre plans, whose seats answer each
centre, the category table, the line names). Neither needs the live ``Network``, so a test can
summarise records it wrote by hand.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from sim.domain.lines import HOUR
from sim.model.calls import ANSWERED
from sim.model.linkage.categories import CategoryTable
from sim.model.network import ReplicationResult
from sim.results.allocator import keep_freed_memory
from sim.results.csvtext import Cells, const, csv_rows, table_cells, value_cells
from sim.results.flows import flow_kpis, order_cells, order_kpis
from sim.results.kpis import (
    KpiValues,
    ReplicationKpis,
    replication_kpis,
    staffed_seconds,
    waits,
)
from sim.results.order_table import order_columns
from sim.results.overtime import overtime_by_centre
from sim.results.records import (
    Names,
    call_cells,
    gzip_rows,
    to_columns,
)
from sim.results.seats import borrowing_kpis, lending_below_target, seat_steps, seat_timelines
from sim.results.timeseries import replication_series
from sim.scenario.plan import CentrePlan
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class Layout:
    """The network a replication ran on, as plain data."""

    plans: Sequence[CentrePlan]
    serving: Sequence[int]  # whose seats answer each centre's calls (a merged centre: another)
    table: CategoryTable
    line_names: Sequence[str]
    category_codes: Sequence[str]

    def names(self) -> Names:
        """How the records' integer codes print."""
        return Names(centre_regions=[p.region for p in self.plans],
                     centre_lines=[p.line for p in self.plans],
                     categories=self.category_codes, lines=self.line_names)


@dataclass
class ReplicationSummary:
    """What one replication contributes to a run directory.

    ``kpis`` holds the KPIs ``overall`` and by line, region and centre (``ReplicationKpis``);
    ``windows`` the centres' KPIs per KPI window; ``sections`` the KPIs of
    model extensions (``flows``, ``orders``, ``borrowing``, ``outages``, ``bot``); ``files`` the
    extra record files (file name → gzip members).
    """

    index: int
    kpis: ReplicationKpis
    series: np.ndarray
    calls_gz: bytes
    calls: int
    windows: dict[str, dict[str, KpiValues]] = field(default_factory=dict)
    sections: dict[str, KpiValues] = field(default_factory=dict)
    files: dict[str, list[bytes]] = field(default_factory=dict)
    columns: dict[str, np.ndarray] = field(default_factory=dict)  # record columns kept on request
    mean_talk: float = math.nan  # mean talk time in the KPI window (validation's control)
    violations: list = field(default_factory=list)  # the auditor's findings (audited runs)


def sl_thresholds(scenario: Scenario) -> tuple[float, ...]:
    """Service-level thresholds to report: the scenario's list plus every line's target."""
    targets = {line.target.seconds for line in scenario.lines.values()}
    return tuple(sorted(set(scenario.service_level_seconds) | targets))


def summarise_replication(result: ReplicationResult, layout: Layout, scenario: Scenario,
                          ) -> ReplicationSummary:
    """Reduce one replication's records to KPIs, series and compressed CSV rows."""
    cols, orders = to_columns(result.records), order_columns(result.orders)
    summary = summarise_records(result, layout, scenario, cols, orders)
    add_record_files(summary, result, layout, scenario, cols, orders)
    return summary


def summarise_records(result: ReplicationResult, layout: Layout, scenario: Scenario,
                      cols: dict, orders: dict[str, np.ndarray]) -> ReplicationSummary:
    """KPIs, time series and model-extension sections of one replication (no files yet), from
    its record columns ``cols`` (``to_columns``) and order columns ``orders``
    (``order_columns``)."""
    keep_freed_memory()  # the arrays below reuse freed memory instead of faulting in new pages
    plans = layout.plans
    lo, hi = scenario.warmup_hours * HOUR, scenario.horizon
    hours = len(plans[0].seats_by_hour) if plans else 0
    events = result.seat_events
    own, borrowed = seat_timelines(events, plans, hours)
    steps = seat_steps(events, plans)
    cols["seat_centre"] = np.asarray(layout.serving, dtype=np.int64)[cols["centre"]]
    cols["wait"] = waits(cols)  # read by the KPIs (and each window's) and the time series
    answered = np.flatnonzero(cols["outcome"] == ANSWERED)
    overtime = overtime_by_centre(cols["answered"][answered], cols["released"][answered],
                                  cols["seat_centre"][answered], steps, lo, hi)
    staffed = np.array([0.0 if layout.serving[p.index] != p.index  # merged: no seats of its own
                        else staffed_seconds(own[p.index] + borrowed[p.index], lo, hi)
                        + overtime[p.index] for p in plans])
    scn = scenario.model_copy(update={"service_level_seconds": sl_thresholds(scenario)})
    kpis = replication_kpis(cols, plans, scn, staffed)
    series = replication_series(cols, plans, scenario, own, borrowed, orders)
    return ReplicationSummary(result.index, kpis, series, b"", len(result.records),
                              windows=window_kpis(cols, plans, scn),
                              sections=_sections(result, layout, scenario, cols, orders))


def _sections(result: ReplicationResult, layout: Layout, scenario: Scenario,
              cols: dict, orders: dict[str, np.ndarray]) -> dict[str, KpiValues]:
    """The KPIs of the model's extensions that ran (linkage, borrowing, outages, bot)."""
    plans = layout.plans
    lo, hi = scenario.warmup_hours * HOUR, scenario.horizon
    sections: dict[str, KpiValues] = {}
    if scenario.linkage is not None:
        window = (cols["arrival"] >= lo) & (cols["arrival"] < hi)
        sections["flows"] = flow_kpis(cols, plans, layout.table, layout.line_names, window)
        sections["flows"]["deflected"] = result.deflected
        sections["orders"] = order_kpis(orders, lo, hi, hi + scenario.drain_hours * HOUR)
    if scenario.borrowing:
        hours = len(plans[0].seats_by_hour) if plans else 0
        sections["borrowing"] = borrowing_kpis(result.seat_events, plans, hours)
        sections["borrowing"]["lent_below_target"] = lending_below_target(result.seat_events,
                                                                          plans)
    if result.rerouted or scenario.outages:
        sections["outages"] = {f"{plans[c].key}:rerouted": n for c, n in result.rerouted.items()}
    if result.bot:
        sections["bot"] = dict(result.bot)
    return sections


def add_record_files(summary: ReplicationSummary, result: ReplicationResult, layout: Layout,
                     scenario: Scenario, cols: dict, orders: dict[str, np.ndarray]) -> None:
    """Format and compress the replication's records (calls, orders, seat events) into
    ``summary``: one gzip member per file, concatenated by the run's writer. ``cols`` and
    ``orders``: the record and order columns, as for ``summarise_records``."""
    summary.calls_gz = gzip_rows(call_cells(cols, result.index, layout.names()))
    if scenario.linkage is not None:
        summary.files["orders.csv.gz"] = [gzip_rows(order_cells(orders, result.index))]
    if scenario.borrowing:
        summary.files["borrowing.csv.gz"] = [gzip_rows(seat_event_cells(
            result.seat_events, layout.plans, result.index))]


def window_kpis(cols: dict, plans: Sequence[CentrePlan], scenario: Scenario,
                ) -> dict[str, dict[str, KpiValues]]:
    """KPIs per centre over each of the scenario's ``kpi_windows``."""
    out: dict[str, dict[str, KpiValues]] = {}
    for window in scenario.kpi_windows:
        sub = scenario.model_copy(update={"warmup_hours": window.start_hours,
                                          "horizon_hours": window.end_hours})
        staffed = np.zeros(len(plans))
        out[window.name] = replication_kpis(cols, plans, sub, staffed).centres
    return out


def seat_event_cells(events, plans: Sequence[CentrePlan], replication: int) -> list[Cells]:
    """The columns of ``borrowing.csv.gz`` rows: every lend, arrival and release of remote
    seats (time, kind, recipient and donor centres, seats, both service levels)."""
    n = len(events)
    t, kind, recipient, donor, seats, donor_sl, recipient_sl = (
        list(zip(*events, strict=True))[:7] if events else [()] * 7)
    keys = [p.key for p in plans]
    donors = np.fromiter(donor, np.int64, n)
    return [const(str(replication), n),
            value_cells(t, lambda x: f"{x:.3f}", floats=(float, int), nan="nan"),
            value_cells(kind, str),
            table_cells(np.fromiter(recipient, np.int64, n), keys),
            table_cells(np.where(donors >= 0, donors, len(keys)), [*keys, "pool"]),
            value_cells(seats, lambda x: f"{x}"),
            value_cells(donor_sl, _num, decimals=4, floats=(float, int)),
            value_cells(recipient_sl, _num, decimals=4, floats=(float, int))]


def format_seat_events(events, plans: Sequence[CentrePlan], replication: int) -> str:
    """Rows of ``borrowing.csv.gz``: every lend, arrival and release of remote seats."""
    return b"".join(csv_rows(seat_event_cells(events, plans, replication))).decode("utf-8")


def _num(x: float) -> str:
    return "" if x != x else f"{x:.4f}"
