"""SLO files and the verdict of a replay (docs/loadtest.md).

An SLO file (YAML) states per request kind p50/p95/p99 limits (``"*"`` for every kind), an
error-rate limit, the least achieved/scheduled rate and the largest schedule lag. The verdict
checks each target against the merged HdrHistograms of the replay (percentiles within 0.1 %),
latency measured from the *scheduled* time by default (corrected for coordinated omission).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadtest.results import Totals
from loadtest.yamlfile import YamlDoc, check_keys, read_yaml

SLO_DIR = Path(__file__).resolve().parent / "slo"
DEFAULT_SLO = SLO_DIR / "default.yaml"
PERCENTILES = {"p50_ms": 50.0, "p95_ms": 95.0, "p99_ms": 99.0}
TOP_KEYS = ("version", "description", "latency", "requests", "error_rate", "achieved_rate",
            "schedule_lag")
PERCENTILE_NOTE = "HdrHistogram, 3 significant digits (within 0.1 %)"


@dataclass(frozen=True)
class SloFile:
    """The targets of one SLO file."""

    source: str
    latency: str = "scheduled"
    requests: dict[str, dict[str, float]] = field(default_factory=dict)
    error_rate: float | None = None
    achieved_rate: float | None = None
    lag_p99_ms: float | None = None
    lag_max_ms: float | None = None

    def limits_for(self, kind: str) -> dict[str, float]:
        """Percentile limits of a request kind: its own over those of ``"*"``."""
        return {**self.requests.get("*", {}), **self.requests.get(kind, {})}


def _number(doc: YamlDoc, key: list[str], value: Any, low: float, high: float | None) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or value < low or (high is not None and value > high):
        upper = f" and {high:g}" if high is not None else ""
        raise doc.error(key, f"expected a number between {low:g}{upper}, got {value!r}")
    return float(value)


def load_slo(path: str | Path | None = None, request_names: list[str] | None = None) -> SloFile:
    """Load and check an SLO file; request kinds are checked against ``request_names``."""
    doc = read_yaml(path or DEFAULT_SLO, "SLO file")
    data = doc.data
    check_keys(doc, [], data, TOP_KEYS)
    if data.get("version", 1) != 1:
        raise doc.error(["version"], "unsupported SLO version; expected 1")
    latency = data.get("latency", "scheduled")
    if latency not in ("scheduled", "sent"):
        raise doc.error(["latency"], "expected scheduled (corrected for coordinated omission) or sent")
    requests = {}
    for kind, limits in (data.get("requests") or {}).items():
        if request_names is not None and kind != "*" and kind not in request_names:
            raise doc.error(["requests", kind], "no request of the profile has this name; "
                            f"expected * or one of {', '.join(sorted(set(request_names)))}")
        check_keys(doc, ["requests", kind], limits, list(PERCENTILES))
        requests[kind] = {k: _number(doc, ["requests", kind, k], v, 0, None) for k, v in limits.items()}
    lag = data.get("schedule_lag") or {}
    check_keys(doc, ["schedule_lag"], lag, ["p99_ms", "max_ms"])
    def opt(key: list[str], value: Any, high: float | None) -> float | None:
        return None if value is None else _number(doc, key, value, 0, high)
    return SloFile(
        source=str(doc.path), latency=latency, requests=requests,
        error_rate=opt(["error_rate"], data.get("error_rate"), 1),
        achieved_rate=opt(["achieved_rate"], data.get("achieved_rate"), 1),
        lag_p99_ms=opt(["schedule_lag", "p99_ms"], lag.get("p99_ms"), None),
        lag_max_ms=opt(["schedule_lag", "max_ms"], lag.get("max_ms"), None),
    )


@dataclass(frozen=True)
class Check:
    """One row of the verdict: a target, its limit, what was measured, and whether it held."""

    target: str
    limit: str
    measured: str
    passed: bool


def _row(target: str, op: str, limit: float, value: float | None, unit: str = "") -> Check:
    if value is None:
        return Check(target, f"{op} {limit:g}{unit}", "n/a (no requests)", True)
    passed = value <= limit if op == "<=" else value >= limit
    return Check(target, f"{op} {limit:g}{unit}", f"{value:.4g}{unit}", passed)


def achieved_ratio(totals: Totals) -> float:
    """Achieved send rate over scheduled rate (1.0 when nothing was scheduled)."""
    if totals.scheduled == 0:
        return 1.0
    eps = 1e-3
    scheduled_rate = totals.scheduled / max(totals.scheduled_span, eps)
    achieved_rate = totals.sent / max(totals.last_sent, totals.scheduled_span, eps)
    return achieved_rate / scheduled_rate


def evaluate(slo: SloFile, totals: Totals) -> list[Check]:
    """Every target of ``slo`` checked against ``totals``, plus the no-request-lost check."""
    checks = []
    for kind in sorted(set(totals.kinds) | {k for k in slo.requests if k != "*"}):
        measured = totals.kinds.get(kind)
        for key, limit in sorted(slo.limits_for(kind).items(), key=lambda kv: PERCENTILES[kv[0]]):
            value = measured.percentile_ms(slo.latency, PERCENTILES[key]) if measured else None
            checks.append(_row(f"{kind} {key[:3]}", "<=", limit, value, " ms"))
    if slo.error_rate is not None:
        bad = totals.failed + totals.not_sent
        checks.append(_row("error rate", "<=", slo.error_rate, bad / totals.scheduled if totals.scheduled else None))
    if slo.achieved_rate is not None:
        checks.append(_row("achieved/scheduled rate", ">=", slo.achieved_rate, achieved_ratio(totals)))
    lag = totals.lag if totals.lag.get_total_count() else None
    if slo.lag_p99_ms is not None:
        checks.append(_row("schedule lag p99", "<=", slo.lag_p99_ms,
                           lag.get_value_at_percentile(99) / 1000 if lag else None, " ms"))
    if slo.lag_max_ms is not None:
        checks.append(_row("schedule lag max", "<=", slo.lag_max_ms,
                           lag.get_max_value() / 1000 if lag else None, " ms"))
    accounted = totals.sent + totals.not_sent
    checks.append(Check("every scheduled request sent or counted", f"= {totals.scheduled}",
                        str(accounted), accounted == totals.scheduled))
    return checks


def verdict_document(slo: SloFile, totals: Totals, checks: list[Check]) -> dict[str, Any]:
    """The content of ``slo.json``."""
    kinds = {}
    for name, kind in sorted(totals.kinds.items()):
        kinds[name] = {"count": kind.count, "failed": kind.failed, "not_sent": kind.not_sent}
        for basis in ("scheduled", "sent"):
            kinds[name][f"from_{basis}_ms"] = {
                key[:3]: kind.percentile_ms(basis, q) for key, q in PERCENTILES.items()
            } | {"max": kind.percentile_ms(basis, 100.0)}
    lag = totals.lag
    return {
        "pass": all(c.passed for c in checks), "slo_file": slo.source,
        "latency_basis": slo.latency, "percentiles": PERCENTILE_NOTE,
        "checks": [c.__dict__ for c in checks],
        "requests": {"scheduled": totals.scheduled, "sent": totals.sent, "failed": totals.failed,
                     "not_sent": totals.not_sent, "late": totals.late,
                     "late_after_ms": totals.late_after * 1000, "processes": totals.processes},
        "schedule_lag_ms": {"p50": lag.get_value_at_percentile(50) / 1000,
                            "p99": lag.get_value_at_percentile(99) / 1000,
                            "max": lag.get_max_value() / 1000},
        "rate": {"scheduled_span_s": totals.scheduled_span, "last_sent_s": totals.last_sent,
                 "achieved_over_scheduled": achieved_ratio(totals)},
        "kinds": kinds, "errors": totals.errors,
    }


def format_verdict(document: dict[str, Any]) -> str:
    """The verdict table people read (Chinese and English headings)."""
    rows = [("target 目标", "limit 限值", "measured 实测", "result 结果")]
    rows += [(c["target"], c["limit"], c["measured"], "pass 通过" if c["passed"] else "FAIL 未通过")
             for c in document["checks"]]
    widths = [max(_width(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(r, widths, strict=True))
             for r in rows]
    req = document["requests"]
    basis = "scheduled time (corrected for coordinated omission)" if document["latency_basis"] == \
        "scheduled" else "actual send"
    lines += ["", f"latency measured from the {basis}; percentiles: {document['percentiles']}",
              f"requests: {req['scheduled']} scheduled, {req['sent']} sent, {req['failed']} failed, "
              f"{req['not_sent']} not sent, {req['late']} late (> {req['late_after_ms']:g} ms)",
              "verdict 结论: " + ("PASS 通过" if document["pass"] else "FAIL 未通过")]
    return "\n".join(lines)


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def write_verdict(out_dir: str | Path, document: dict[str, Any]) -> Path:
    """Write ``slo.json`` into ``out_dir`` through a temporary file."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    temp = out / f".slo.json.partial-{os.getpid()}"
    temp.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(temp, out / "slo.json")
    return out / "slo.json"
