"""Which centres and regions changed between two runs: their inputs, then their KPIs.

A planner who halves one centre's seats wants that centre first, with its change and whether
the change is real. :func:`centre_changes` lists, per centre (中心) and region (地区):

1. the centres whose inputs differ (seats, trunks, calls, talk, patience, ...) and their
   regions, every KPI asked for, whatever its p-value;
2. then the other centres and regions whose KPIs changed significantly: paired-difference
   t test (:mod:`sim.results.paired`), with Benjamini–Hochberg adjusted p-values (q) over those rows,
   so 73 centres × 4 KPIs do not produce "changes" by chance (the rows of item 1 answer the
   planner's own question and are judged by their plain p-value).

``selection`` (``--centre``, ``--region``, ``--line``) restricts both lists to those centres and
regions (an unchanged selected centre is not listed as changed); :func:`outside_selection`
names the centres whose inputs differ but which the selection leaves out, so a planner still
learns what differs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from sim.domain.errors import InputError
from sim.results.document import KpiDocument, as_document
from sim.results.paired import PairedDiff, paired_entries
from sim.results.stats import KpiSummary

CENTRE_KPIS = ("abandon_rate", "asa", "occupancy")
INPUT_FIELDS = {"calls_per_day": "calls", "arrival_times": "arrivals", "seats_by_hour": "seats",
                "trunks": "trunks", "talk": "talk", "wrapup": "wrap-up",
                "patience": "patience", "redial": "redial", "target": "target",
                "hour_profile": "hour profile", "day_profile": "day profile",
                "busyness_variance": "busyness"}
Q_LEVEL = 0.05
MOST = 12
RUN_SETTINGS = {"horizon_hours": "horizon", "start": "start", "warmup_hours": "warm-up",
                "seed": "seed", "replications": "replications"}
PERIOD_SETTINGS = ("horizon_hours", "start", "warmup_hours")  # the hours the KPIs cover


@dataclass(frozen=True)
class Selection:
    """``--centre``, ``--region`` and ``--line`` choices (empty: no restriction)."""

    centres: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    lines: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.centres or self.regions or self.lines)

    def wants(self, kind: str, key: str) -> bool:
        """Whether a centre (``region/line``) or region row is selected."""
        if not self:
            return True
        if kind == "region":
            return key in self.regions and not self.lines
        region, _, line = key.partition("/")
        return (key in self.centres or region in self.regions or line in self.lines) and (
            not self.lines or line in self.lines)

    def check(self, doc: KpiDocument | Mapping) -> None:
        """Exit-2 errors for selections the run does not have, listing what it has.

        ``doc`` is a run's ``KpiDocument`` or a mapping with the names of its ``centres``,
        ``regions`` and ``lines`` (what a scenario would have, before it runs).
        """
        if isinstance(doc, KpiDocument):
            groups = (doc.centres, doc.regions, doc.lines)
        else:
            groups = tuple(doc.get(kind, {}) for kind in ("centres", "regions", "lines"))
        for opt, wanted, have in zip(("--centre", "--region", "--line"),
                                     (self.centres, self.regions, self.lines), groups,
                                     strict=True):
            unknown = [w for w in wanted if w not in have]
            if unknown:
                raise InputError(f"unknown {', '.join(unknown)}; the run has: "
                                 f"{', '.join(sorted(have))}", key=opt)


EVERYTHING = Selection()


@dataclass(frozen=True)
class ChangeRow:
    """One KPI of one centre or region, base against variant."""

    kind: str  # "centre" or "region"
    key: str
    kpi: str
    base: KpiSummary | None
    variant: KpiSummary | None
    diff: PairedDiff | None
    inputs: tuple[str, ...] = ()
    q_value: float | None = field(default=None, compare=False)

    @property
    def significant(self) -> bool:
        """Significant after the false-discovery adjustment (q < 0.05)."""
        return self.q_value is not None and self.q_value < Q_LEVEL


def plan_signature(plan) -> dict[str, object]:
    """A centre plan's inputs as comparable values (arrays become tuples)."""
    out = {}
    for name in INPUT_FIELDS:
        value = getattr(plan, name)
        out[name] = tuple(np.asarray(value).ravel().tolist()) if isinstance(
            value, np.ndarray) else repr(value)
    return out


def setting_changes(base: KpiDocument, variant: KpiDocument) -> list[tuple[str, object, object]]:
    """Run-wide settings two KPI documents differ in: (name, base, variant)."""
    return [(key, getattr(base, key), getattr(variant, key)) for key in RUN_SETTINGS
            if getattr(base, key) != getattr(variant, key)]


def _hour_offset(base, variant) -> int | None:
    """Whole hours from the base's start to the variant's (None: not whole hours)."""
    seconds = (variant.start - base.start).total_seconds()
    return int(seconds // 3600) if seconds % 3600 == 0 else None


def _seats_differ(a: np.ndarray, b: np.ndarray, offset: int | None, a_hours: int,
                  b_hours: int) -> bool:
    """Seats on duty differ in a clock hour both runs observe (``offset``: b's first hour in
    a's hours; ``a_hours``, ``b_hours``: each run's whole hours of horizon)."""
    if offset is None:
        return False  # starts not on a common hour grid: seats cannot be aligned
    first = max(0, -offset)
    last = min(b_hours, len(b), a_hours - offset, len(a) - offset)
    return first < last and not np.array_equal(a[first + offset:last + offset], b[first:last])


def input_changes(base, variant) -> dict[str, tuple[str, ...]]:
    """Centre key → the inputs that differ between two scenarios (``added``/``removed``).

    Seats are compared hour by hour on the clock hours both runs observe, so a run that is
    longer, shorter or starts later does not make every centre's seats "differ"."""
    from sim.scenario.plan import build_plans

    plans_a = {p.key: p for p in build_plans(base)}
    plans_b = {p.key: p for p in build_plans(variant)}
    offset = _hour_offset(base, variant)
    hours = (base.horizon_whole_hours, variant.horizon_whole_hours)
    out: dict[str, tuple[str, ...]] = {}
    for key in dict.fromkeys([*plans_a, *plans_b]):
        if key not in plans_a or key not in plans_b:
            out[key] = ("added",) if key not in plans_a else ("removed",)
            continue
        a, b = plan_signature(plans_a[key]), plan_signature(plans_b[key])
        diff = [INPUT_FIELDS[f] for f in INPUT_FIELDS if f != "seats_by_hour" and a[f] != b[f]]
        if _seats_differ(plans_a[key].seats_by_hour, plans_b[key].seats_by_hour, offset, *hours):
            diff.insert(list(INPUT_FIELDS).index("seats_by_hour"), "seats")
        if diff:
            out[key] = tuple(diff)
    return out


def target_kpi(doc: KpiDocument, key: str, kind: str) -> str | None:
    """The target KPI of a centre (``sl15``, ...), or of a region's first centre."""
    for tg in doc.targets:
        if tg.kind == "centre" and (tg.name == key or (
                kind == "region" and tg.name.split("/")[0] == key)):
            return tg.kpi
    return None


def _kpis_for(doc: KpiDocument, key: str, kind: str, kpis: Sequence[str] | None) -> list[str]:
    if kpis:
        return list(kpis)
    sl = target_kpi(doc, key, kind)
    return [*([sl] if sl else []), *CENTRE_KPIS]


def _rows(base: KpiDocument, variant: KpiDocument, kind: str,
          changed: dict[str, tuple[str, ...]], kpis: Sequence[str] | None,
          selection: Selection) -> list[ChangeRow]:
    rows = []
    for key, entries in base.group(kind).items():
        if not selection.wants(kind, key):
            continue
        other = variant.group(kind).get(key, {})
        inputs = changed.get(key, ()) if kind == "centre" else tuple(sorted(
            {f for c, fs in changed.items() if c.split("/")[0] == key for f in fs}))
        for kpi in _kpis_for(base, key, kind, kpis):
            a, b = entries.get(kpi), other.get(kpi)
            if a is None and b is None:
                continue
            rows.append(ChangeRow(kind, key, kpi, a, b, paired_entries(a, b), inputs))
    return rows


def _with_q(rows: list[ChangeRow]) -> list[ChangeRow]:
    """q-values: the rows of centres whose inputs differ are the planner's own questions and
    keep their p-value; the others are a search and get Benjamini–Hochberg adjusted p-values."""
    from dataclasses import replace

    from scipy.stats import false_discovery_control

    out = list(rows)
    tested = [i for i, r in enumerate(rows) if r.diff is not None and r.diff.p_value is not None]
    search = [i for i in tested if not rows[i].inputs]
    for i in tested:
        if rows[i].inputs:
            out[i] = replace(rows[i], q_value=rows[i].diff.p_value)
    if search:
        q = false_discovery_control([rows[i].diff.p_value for i in search], method="bh")
        for i, qi in zip(search, q, strict=True):
            out[i] = replace(rows[i], q_value=float(qi))
    return out


def centre_changes(base: KpiDocument | Mapping, variant: KpiDocument | Mapping,
                   changed: dict[str, tuple[str, ...]] | None = None,
                   kpis: Sequence[str] | None = None, selection: Selection = EVERYTHING,
                   most: int = MOST) -> list[ChangeRow]:
    """The centre and region rows a planner should see first (see the module docstring);
    the documents are ``KpiDocument`` objects or ``kpis.json`` objects."""
    changed = changed or {}
    base, variant = as_document(base), as_document(variant)
    rows = _with_q(_rows(base, variant, "centre", changed, kpis, selection)
                   + _rows(base, variant, "region", changed, kpis, selection))
    first = [r for r in rows if r.inputs]
    keys = {(r.kind, r.key) for r in first}
    rest = [r for r in rows if (r.kind, r.key) not in keys and r.significant]
    rest.sort(key=lambda r: (r.q_value, -abs(r.diff.delta)))
    picked = list(dict.fromkeys((r.kind, r.key) for r in rest))[:most]
    ordered = [r for k in picked for r in rows if (r.kind, r.key) == k]
    return first + ordered


def outside_selection(changed: dict[str, tuple[str, ...]],
                      selection: Selection) -> dict[str, tuple[str, ...]]:
    """The centres whose inputs differ that ``selection`` does not show."""
    return {k: v for k, v in changed.items() if not selection.wants("centre", k)}


def unknown_kpis(wanted: Iterable[str], valid: Iterable[str], key: str = "--kpi") -> None:
    """Exit-2 error for KPI names a run does not have, listing the valid ones."""
    valid = list(valid)
    bad = [k for k in wanted if k not in valid]
    if bad:
        raise InputError(f"unknown KPI {', '.join(map(repr, bad))}; valid KPIs: "
                         f"{', '.join(valid)}", key=key)

