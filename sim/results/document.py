"""The KPI document of a run (``kpis.json``, docs/kpis.md) as frozen dataclasses.

``KpiDocument`` is what ``sim.experiments.runner.kpis_document`` builds and what the report,
the comparison and the terminal tables read; ``to_json`` gives the ``kpis.json`` object the
run directory holds and ``from_json`` / ``read`` read it back. This module is the one place
that knows the document's JSON keys.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sim.domain.errors import InputError
from sim.results import jsontext
from sim.results.stats import KpiSummary

Kpis = dict[str, KpiSummary]
"""One group's KPIs (a line, a region, a centre, the whole network): name → summary."""

HEADER = ("schema", "scenario", "seed", "start", "horizon_hours", "warmup_hours",
          "replications", "kpi_names")
_GROUPS = ("lines", "regions", "centres")
_KNOWN = {*HEADER, "overall", *_GROUPS, "targets", "windows"}


@dataclass(frozen=True)
class TargetRow:
    """A line's or centre's service-level target and the KPI's estimate against it."""

    kind: str  # "line" or "centre"
    name: str
    kpi: str  # e.g. "sl15"
    target: float  # the level, e.g. 0.9
    mean: float | None
    low: float | None
    high: float | None
    met: bool  # the mean reaches the target

    @property
    def half_width(self) -> float | None:
        """Half the CI's width, or ``None`` without an interval."""
        return None if self.low is None or self.high is None else (self.high - self.low) / 2

    @property
    def summary(self) -> KpiSummary:
        """The estimate as a ``KpiSummary`` (without per-replication values)."""
        return KpiSummary(self.mean, self.low, self.high)

    def to_json(self) -> dict[str, object]:
        """The ``kpis.json`` row."""
        return {"kind": self.kind, "name": self.name, "kpi": self.kpi, "target": self.target,
                "mean": self.mean, "ci95": [self.low, self.high], "met": self.met}

    @classmethod
    def from_json(cls, row: Mapping) -> TargetRow:
        """A ``kpis.json`` target row."""
        low, high = (list(row.get("ci95") or ()) + [None, None])[:2]
        return cls(row["kind"], row["name"], row["kpi"], row["target"], row.get("mean"),
                   low, high, bool(row.get("met")))


@dataclass(frozen=True)
class KpiDocument:
    """Every KPI of a run over its replications (mean, 95 % CI, per-replication values).

    ``windows`` (window → centre → KPIs) is ``None`` when the scenario declares none;
    ``sections`` are the tables model extensions add (``flows``, ``orders``, ``borrowing``,
    ``bot``, ``outages`` …), in document order; ``other`` keeps any further top-level JSON
    value a reader met that is not a KPI table (e.g. ``printed``), as read.
    """

    schema: str
    scenario: str
    seed: int
    start: str
    horizon_hours: float
    warmup_hours: float
    replications: int
    kpi_names: tuple[str, ...]
    overall: Kpis
    lines: dict[str, Kpis]
    regions: dict[str, Kpis]
    centres: dict[str, Kpis]
    targets: tuple[TargetRow, ...] = ()
    windows: dict[str, dict[str, Kpis]] | None = None
    sections: dict[str, Kpis] = field(default_factory=dict)
    other: dict[str, object] = field(default_factory=dict)

    def group(self, kind: str) -> dict[str, Kpis]:
        """The groups of one kind: ``line``, ``region`` or ``centre``."""
        return {"line": self.lines, "region": self.regions, "centre": self.centres}[kind]

    def to_json(self) -> dict[str, object]:
        """The ``kpis.json`` object (key order as written)."""
        return self._tree(_kpis_json)

    def _tree(self, kpis_json: Callable[[Kpis], object]) -> dict[str, object]:
        """The ``kpis.json`` object with each group's KPIs made by ``kpis_json``."""
        doc: dict[str, object] = {
            "schema": self.schema, "scenario": self.scenario, "seed": self.seed,
            "start": self.start, "horizon_hours": self.horizon_hours,
            "warmup_hours": self.warmup_hours, "replications": self.replications,
            "kpi_names": list(self.kpi_names), "overall": kpis_json(self.overall)}
        for name, groups in zip(_GROUPS, (self.lines, self.regions, self.centres), strict=True):
            doc[name] = {key: kpis_json(kpis) for key, kpis in groups.items()}
        doc["targets"] = [row.to_json() for row in self.targets]
        if self.windows is not None:
            doc["windows"] = {name: {key: kpis_json(kpis) for key, kpis in centres.items()}
                              for name, centres in self.windows.items()}
        for name, kpis in self.sections.items():
            doc[name] = kpis_json(kpis)
        doc.update(self.other)
        return doc

    def text(self) -> str:
        """``kpis.json``'s text: ``json.dumps(self.to_json(), indent=1, ensure_ascii=False)``
        and a newline, written by ``sim.results.jsontext`` from the summaries themselves."""
        return jsontext.dumps(self._tree(dict)) + "\n"

    @classmethod
    def from_json(cls, doc: Mapping) -> KpiDocument:
        """A ``kpis.json`` object (missing groups read as empty)."""
        sections: dict[str, Kpis] = {}
        other: dict[str, object] = {}
        for name, value in doc.items():
            if name in _KNOWN:
                continue
            if _is_kpi_table(value):
                sections[name] = _kpis(value)
            else:
                other[name] = value
        windows = doc.get("windows")
        return cls(
            doc.get("schema"), doc.get("scenario"), doc.get("seed"), doc.get("start"),
            doc.get("horizon_hours"), doc.get("warmup_hours"), doc.get("replications", 0),
            tuple(doc.get("kpi_names") or ()), _kpis(doc.get("overall") or {}),
            *({key: _kpis(kpis) for key, kpis in (doc.get(g) or {}).items()} for g in _GROUPS),
            tuple(TargetRow.from_json(row) for row in doc.get("targets") or ()),
            None if windows is None else {
                name: {key: _kpis(kpis) for key, kpis in centres.items()}
                for name, centres in windows.items()},
            sections, other)


def means(kpis: Kpis) -> dict[str, float | None]:
    """The mean of every KPI of a group or section (``None``: undefined)."""
    return {name: kpi.mean for name, kpi in kpis.items()}


def as_document(doc: KpiDocument | Mapping) -> KpiDocument:
    """``doc`` as a ``KpiDocument`` (a ``kpis.json`` object is read with ``from_json``)."""
    return doc if isinstance(doc, KpiDocument) else KpiDocument.from_json(doc)


def read(path: Path) -> KpiDocument:
    """A ``kpis.json`` file; ``InputError`` when it is missing or not JSON."""
    return KpiDocument.from_json(read_json(path))


def read_json(path: Path) -> dict:
    """A ``kpis.json`` file as its JSON object; ``InputError`` when missing or not JSON."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("not a run directory (no kpis.json)", source=path.parent) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"kpis.json is not valid JSON: {exc}", source=path) from None


def _kpis_json(kpis: Kpis) -> dict[str, object]:
    return {name: kpi.to_json() for name, kpi in kpis.items()}


def _kpis(section: Mapping) -> Kpis:
    return {name: KpiSummary.from_json(entry) for name, entry in section.items()}


def _is_kpi_table(value: object) -> bool:
    """Whether a JSON value is ``{name: {"mean", "ci95", "values"}}`` (a section of KPIs)."""
    return isinstance(value, dict) and all(
        isinstance(v, dict) and "mean" in v for v in value.values())
