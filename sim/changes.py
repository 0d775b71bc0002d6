"""Which centres and regions changed between two runs: their inputs, then their KPIs.

A planner who halves one centre's seats wants that centre first, with its change and whether
the change is real. :func:`centre_changes` lists, per centre (中心) and region (地区):

1. the centres whose inputs differ (seats, trunks, calls, talk, patience, ...) and their
   regions, every KPI asked for, whatever its p-value;
2. then the other centres and regions whose KPIs changed significantly: paired-difference
   t test (:mod:`sim.paired`), with Benjamini–Hochberg adjusted p-values (q) over those rows,
   so 73 centres × 4 KPIs do not produce "changes" by chance (the rows of item 1 answer the
   planner's own question and are judged by their plain p-value).

``selection`` (``--centre``, ``--region``, ``--line``) restricts the rows to those centres and
regions and then lists every one of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from sim.errors import InputError
from sim.paired import PairedDiff, paired_entries

CENTRE_KPIS = ("abandon_rate", "asa", "occupancy")
INPUT_FIELDS = {"calls_per_day": "calls", "arrival_times": "arrivals", "seats_by_hour": "seats",
                "trunks": "trunks", "talk": "talk", "wrapup": "wrap-up",
                "patience": "patience", "redial": "redial", "target": "target",
                "hour_profile": "hour profile", "day_profile": "day profile",
                "busyness_variance": "busyness"}
Q_LEVEL = 0.05
MOST = 12


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

    def check(self, doc: dict) -> None:
        """Exit-2 errors for selections the run does not have, listing what it has."""
        for opt, wanted, have in (("--centre", self.centres, doc.get("centres", {})),
                                  ("--region", self.regions, doc.get("regions", {})),
                                  ("--line", self.lines, doc.get("lines", {}))):
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
    base: dict | None
    variant: dict | None
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


def input_changes(base, variant) -> dict[str, tuple[str, ...]]:
    """Centre key → the inputs that differ between two scenarios (``added``/``removed``)."""
    from sim.plan import build_plans

    a = {p.key: plan_signature(p) for p in build_plans(base)}
    b = {p.key: plan_signature(p) for p in build_plans(variant)}
    out: dict[str, tuple[str, ...]] = {}
    for key in dict.fromkeys([*a, *b]):
        if key not in a or key not in b:
            out[key] = ("added",) if key not in a else ("removed",)
            continue
        diff = tuple(INPUT_FIELDS[f] for f in INPUT_FIELDS if a[key][f] != b[key][f])
        if diff:
            out[key] = diff
    return out


def target_kpi(doc: dict, key: str, kind: str) -> str | None:
    """The target KPI of a centre (``sl15``, ...), or of a region's first centre."""
    for tg in doc.get("targets", []):
        if tg["kind"] == "centre" and (tg["name"] == key or (
                kind == "region" and tg["name"].split("/")[0] == key)):
            return tg["kpi"]
    return None


def _kpis_for(doc: dict, key: str, kind: str, kpis: Sequence[str] | None) -> list[str]:
    if kpis:
        return list(kpis)
    sl = target_kpi(doc, key, kind)
    return [*([sl] if sl else []), *CENTRE_KPIS]


def _rows(base: dict, variant: dict, kind: str, changed: dict[str, tuple[str, ...]],
          kpis: Sequence[str] | None, selection: Selection) -> list[ChangeRow]:
    group = "centres" if kind == "centre" else "regions"
    rows = []
    for key, entries in base.get(group, {}).items():
        if not selection.wants(kind, key):
            continue
        other = variant.get(group, {}).get(key, {})
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


def centre_changes(base: dict, variant: dict, changed: dict[str, tuple[str, ...]] | None = None,
                   kpis: Sequence[str] | None = None, selection: Selection = EVERYTHING,
                   most: int = MOST) -> list[ChangeRow]:
    """The centre and region rows a planner should see first (see the module docstring)."""
    changed = changed or {}
    rows = _with_q(_rows(base, variant, "centre", changed, kpis, selection)
                   + _rows(base, variant, "region", changed, kpis, selection))
    if selection:
        return sorted(rows, key=lambda r: (not r.inputs, r.kind != "centre"))
    first = [r for r in rows if r.inputs]
    keys = {(r.kind, r.key) for r in first}
    rest = [r for r in rows if (r.kind, r.key) not in keys and r.significant]
    rest.sort(key=lambda r: (r.q_value, -abs(r.diff.delta)))
    picked = list(dict.fromkeys((r.kind, r.key) for r in rest))[:most]
    ordered = [r for k in picked for r in rows if (r.kind, r.key) == k]
    return first + ordered


def unknown_kpis(wanted: Iterable[str], valid: Iterable[str], key: str = "--kpi") -> None:
    """Exit-2 error for KPI names a run does not have, listing the valid ones."""
    valid = list(valid)
    bad = [k for k in wanted if k not in valid]
    if bad:
        raise InputError(f"unknown KPI {', '.join(map(repr, bad))}; valid KPIs: "
                         f"{', '.join(valid)}", key=key)

