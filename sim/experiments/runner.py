"""``hotline run``: scenario in, run directory out (resolved scenario, KPIs, records, series)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import numpy as np

from sim.domain.paths import RESULTS_DIR
from sim.experiments.precision import PrecisionOutcome, PrecisionTarget, run_to_precision
from sim.experiments.replications import ReplicationSummary, run_replications, sl_thresholds
from sim.results.allocator import keep_freed_memory
from sim.results.csvtext import csv_rows, general, table_cells
from sim.results.document import KpiDocument, TargetRow
from sim.results.flows import ORDER_COLUMNS
from sim.results.kpis import SCOPES, kpi_names
from sim.results.output import (
    RUN_RECORD,
    RunWriter,
    check_run_directory,
    record_failure,
    record_text,
    run_record,
)
from sim.results.records import CALL_COLUMNS, header_member
from sim.results.stats import KpiSummary, kpi_summary
from sim.results.timeseries import SERIES, interval_edges
from sim.scenario import Scenario, dump_resolved, load_scenario
from sim.scenario.plan import build_plans

KPIS_SCHEMA = "hotline-sim/kpis/1"
SEAT_EVENT_COLUMNS = ("replication", "t", "kind", "recipient", "donor", "seats", "donor_sl",
                      "recipient_sl")


@dataclass
class RunResult:
    """A finished run: where it was written and its KPI document (``document``; ``kpis`` is
    its ``kpis.json`` object, for callers that still read JSON)."""

    directory: Path
    scenario: Scenario
    kpis: dict
    violations: list = field(default_factory=list)  # (replication, Violation) with --audit
    precision: PrecisionOutcome | None = None
    document: KpiDocument | None = None


def prepare(scenario: str | Path, overrides: Iterable[str] = (), *, replications: int | None = None,
            seed: int | None = None) -> Scenario:
    """Load the scenario with ``--set`` overrides, ``--replications`` and ``--seed`` applied
    (the last two after the overrides); a variant of it is ``sim.scenario.with_overrides``."""
    return load_scenario(scenario, overrides, replications=replications, seed=seed)


def run_scenario(scenario: Scenario, *, jobs: int = 1, out_dir: Path | None = None,
                 on_done: Callable[[ReplicationSummary], None] | None = None,
                 on_progress: Callable[[int, float], None] | None = None,
                 on_phase: Callable[[str], None] | None = None,
                 audit: bool = False, precision: Sequence[PrecisionTarget] = (),
                 max_replications: int | None = None,
                 command: Sequence[str] | None = None) -> RunResult:
    """Run every replication of the loaded ``scenario`` and write the run directory; return
    its KPIs.

    ``scenario`` is a ``Scenario`` (``prepare`` loads one from a file, ``--set``, ``-r`` and
    ``--seed``); a path is a ``TypeError``. ``out_dir`` defaults to ``results/<scenario
    name>/`` in the current directory. Replications run where ``run_replications`` sends them
    (``jobs`` local processes or the configured cluster); this process writes the directory,
    so its bytes do not depend on where they ran (but for the compression of the records on a
    cluster whose workers have other CPUs: docs/cluster.md).
    ``on_done`` and ``on_progress`` follow the replications (see ``run_replications``);
    ``on_phase("write")`` is called when the replications are done and writing starts. With
    ``audit`` the model checks its invariants; ``RunResult.violations`` lists what broke.
    With ``precision`` targets, replications are added until each is met (``sim.experiments.precision``).

    The directory gets ``run.json`` (``sim.results.output``): status, runtime, version,
    ``command`` (default: this process's command line), scenario and seed; a run that fails or
    is interrupted after it started records that and re-raises. A folder that holds no run is
    refused (``InputError``) before any work.
    """
    if not isinstance(scenario, Scenario):
        raise TypeError(f"run_scenario takes a loaded Scenario, not {type(scenario).__name__} "
                        f"{scenario!r} (load it with sim.experiments.runner.prepare)")
    out = Path(out_dir) if out_dir is not None else RESULTS_DIR / scenario.name
    check_run_directory(out)
    started = time.time()
    outcome = None
    try:
        if precision:
            cap = max_replications or max(scenario.replications, 100)
            summaries, outcome = run_to_precision(scenario, precision, cap, jobs, on_done, audit)
            scenario = scenario.model_copy(update={"replications": len(summaries)})
        else:
            summaries = run_replications(scenario, jobs=jobs, on_done=on_done,
                                         on_progress=on_progress, audit=audit)
        if on_phase:
            on_phase("write")
        document = write_run(scenario, summaries, out,
                             record=_record("ok", scenario, started, command))
    except BaseException as exc:
        if getattr(exc, "run_committed", False):
            raise  # stopped just as the run was put in place: it is complete on disk
        status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
        record_failure(out, _record(status, scenario, started, command, exc))
        raise
    return RunResult(out, scenario, document.to_json(),
                     [(s.index, v) for s in summaries for v in s.violations], outcome, document)


def _record(status: str, scenario: Scenario, started: float,
            command: Sequence[str] | None, error: BaseException | None = None) -> dict:
    return run_record(status, scenario=scenario.name, seed=scenario.seed,
                      replications=scenario.replications, started=started, command=command,
                      error=error)


def write_run(scenario: Scenario, summaries: list[ReplicationSummary], out: Path, *,
              record: dict | None = None) -> KpiDocument:
    """Write the run directory from the replications' summaries; return the KPI document.

    Every file is staged in a sibling directory that then replaces ``out`` as a whole
    (``sim.results.output.RunWriter``); ``record`` is its ``run.json`` (default: status ok,
    this process's command line).
    """
    keep_freed_memory()  # the run's writer (often not a worker) reuses freed arrays too
    kpis = kpis_document(scenario, summaries)
    if record is None:
        record = _record("ok", scenario, time.time(), None)
    writer = RunWriter(out)
    try:
        writer.write_text(RUN_RECORD, record_text(record))
        writer.write_text("scenario.resolved.yaml", dump_resolved(scenario))
        writer.write_text("kpis.json", kpis.text())
        writer.write_bytes("calls.csv.gz",
                           [header_member(CALL_COLUMNS)] + [s.calls_gz for s in summaries])
        writer.write_text("timeseries.csv", timeseries_csv(scenario, summaries))
        for name, payload in _extra_files(summaries).items():
            writer.write_bytes(name, payload)
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    return kpis


def _extra_files(summaries: list[ReplicationSummary]) -> dict[str, list[bytes]]:
    """Files that model extensions add (e.g. orders), as gzip members per replication."""
    files: dict[str, list[bytes]] = {}
    headers = {"orders.csv.gz": header_member(ORDER_COLUMNS),
               "borrowing.csv.gz": header_member(SEAT_EVENT_COLUMNS)}
    for s in summaries:
        for name, payload in s.files.items():
            files.setdefault(name, [headers[name]] if name in headers else []).extend(payload)
    return files


def kpis_document(scenario: Scenario, summaries: list[ReplicationSummary]) -> KpiDocument:
    """The ``kpis.json`` document: every KPI's mean, 95 % CI and per-replication values."""
    plans = build_plans(scenario)
    lines, regions, centres = ({name: _summaries([s.kpis.group(kind)[name] for s in summaries])
                                for name in summaries[0].kpis.group(kind)}
                               for kind in SCOPES)
    windows = summaries[0].windows
    sections = {}
    for section in summaries[0].sections:
        per_rep = [s.sections[section] for s in summaries]
        names = list(dict.fromkeys(k for rep in per_rep for k in rep))
        sections[section] = _summaries([{k: rep.get(k, _missing(k)) for k in names}
                                        for rep in per_rep])
    return KpiDocument(
        schema=KPIS_SCHEMA, scenario=scenario.name, seed=scenario.seed,
        start=scenario.start.isoformat(), horizon_hours=scenario.horizon_hours,
        warmup_hours=scenario.warmup_hours, replications=len(summaries),
        kpi_names=tuple(kpi_names(sl_thresholds(scenario))),
        overall=_summaries([s.kpis.overall for s in summaries]),
        lines=lines, regions=regions, centres=centres,
        targets=targets(scenario, lines, centres, plans),
        windows={name: {key: _summaries([s.windows[name][key] for s in summaries])
                        for key in keys}
                 for name, keys in windows.items()} if windows else None,
        sections=sections)


def _summaries(per_replication: list[dict[str, float]]) -> dict[str, KpiSummary]:
    return {name: kpi_summary(name, per_replication) for name in per_replication[0]}


def _missing(key: str) -> float:
    """A KPI a replication did not produce: a count of zero, or an undefined time."""
    return math.nan if key.endswith(("first_request_hours", "released_after_hours")) else 0


def targets(scenario: Scenario, lines: dict[str, dict[str, KpiSummary]],
            centres: dict[str, dict[str, KpiSummary]], plans) -> tuple[TargetRow, ...]:
    """Each line's and centre's service-level target, and whether the mean meets it."""
    rows = []
    for kind, items, groups in (("line", scenario.lines.items(), lines),
                                ("centre", [(p.key, p) for p in plans], centres)):
        for name, spec in items:
            target = spec.target
            kpis = groups.get(name)
            if not kpis:
                continue
            kpi = f"sl{target.seconds:g}"
            got = kpis[kpi]
            rows.append(TargetRow(kind, name, kpi, target.level, got.mean, got.low, got.high,
                                  got.mean is not None and got.mean >= target.level))
    return tuple(rows)


def timeseries_csv(scenario: Scenario, summaries: list[ReplicationSummary]) -> str:
    """Per centre and interval, the mean over replications of each series, as ``%.6g`` (an
    undefined mean, NaN, is an empty field)."""
    plans = build_plans(scenario)
    edges = interval_edges(scenario)
    mean = np.mean(np.stack([s.series for s in summaries]), axis=0)
    start = scenario.start
    heads = [f"{t:g},{(start + timedelta(seconds=float(t))).isoformat()}" for t in edges[:-1]]
    n = len(heads)
    values = mean[[p.index for p in plans]].reshape(len(plans) * n, len(SERIES))
    columns = [table_cells(np.repeat(np.arange(len(plans)), n),
                           [f"{p.key},{p.region},{p.line}" for p in plans]),
               table_cells(np.tile(np.arange(n), len(plans)), heads),
               *(general(values[:, j]) for j in range(len(SERIES)))]
    rows = b"".join(csv_rows(columns)) if len(values) else b""
    return "centre,region,line,t,time," + ",".join(SERIES) + "\n" + rows.decode("utf-8")
