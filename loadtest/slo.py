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
    """One row of the verdict: a target, its limit, what was measured, and whether it held.

    ``reason`` names what a failed row is about (``errors``, ``latency``, ``rate``, ``lag``,
    ``accounting``); ``note`` says what the reader must know besides the value.
    """

    target: str
    limit: str
    measured: str
    passed: bool
    reason: str = ""
    note: str = ""


def _row(target: str, op: str, limit: float, value: float | None, unit: str = "",
         reason: str = "") -> Check:
    if value is None:
        return Check(target, f"{op} {limit:g}{unit}", "n/a (no requests)", True)
    passed = value <= limit if op == "<=" else value >= limit
    return Check(target, f"{op} {limit:g}{unit}", f"{value:.4g}{unit}", passed,
                 "" if passed else reason)


def achieved_ratio(totals: Totals) -> float:
    """Achieved send rate over scheduled rate (1.0 when nothing was scheduled)."""
    if totals.scheduled == 0:
        return 1.0
    eps = 1e-3
    scheduled_rate = totals.scheduled / max(totals.scheduled_span, eps)
    achieved_rate = totals.sent / max(totals.last_sent, totals.scheduled_span, eps)
    return achieved_rate / scheduled_rate


def _error_check(slo: SloFile, totals: Totals) -> Check:
    """The error gate every verdict has: the SLO file's limit, else none allowed (0 %)."""
    bad = totals.failed + totals.not_sent
    limit = slo.error_rate if slo.error_rate is not None else 0.0
    check = _row("error rate", "<=", limit, bad / totals.scheduled if totals.scheduled else None,
                 reason="errors")
    note = f"{bad} failed or not sent" if bad else ""
    if slo.error_rate is None:
        note = "; ".join(filter(None, ["implicit limit (no error_rate in the SLO file)", note]))
    return Check(check.target, check.limit, check.measured, check.passed, check.reason, note)


def _latency_checks(slo: SloFile, totals: Totals, errors_ok: bool) -> list[Check]:
    """Percentile rows; failed requests are not samples, and a row with failures says so."""
    checks = []
    for kind in sorted(set(totals.kinds) | {k for k in slo.requests if k != "*"}):
        measured = totals.kinds.get(kind)
        failed = (measured.failed + measured.not_sent) if measured else 0
        for key, limit in sorted(slo.limits_for(kind).items(), key=lambda kv: PERCENTILES[kv[0]]):
            value = measured.percentile_ms(slo.latency, PERCENTILES[key]) if measured else None
            row = _row(f"{kind} {key[:3]}", "<=", limit, value, " ms", reason="latency")
            if not failed:
                checks.append(row)
                continue
            note = f"{failed} failed or not sent, not latency samples"
            if value is None:
                checks.append(Check(row.target, row.limit, f"n/a (all {failed} failed)", False,
                                    "errors", note))
            elif row.passed and not errors_ok:
                checks.append(Check(row.target, row.limit, row.measured, False, "errors", note))
            else:
                checks.append(Check(row.target, row.limit, row.measured, row.passed, row.reason,
                                    note))
    return checks


def evaluate(slo: SloFile, totals: Totals) -> list[Check]:
    """Every target of ``slo`` checked against ``totals``, the error gate, and the accounting.

    Every verdict gates on errors: without ``error_rate`` in the SLO file no failed or unsent
    request is allowed, so a target that answers nothing can never pass on latency alone.
    """
    errors = _error_check(slo, totals)
    checks = _latency_checks(slo, totals, errors.passed)
    checks.append(errors)
    if slo.achieved_rate is not None:
        checks.append(_row("achieved/scheduled rate", ">=", slo.achieved_rate,
                           achieved_ratio(totals), reason="rate"))
    lag = totals.lag if totals.lag.get_total_count() else None
    if slo.lag_p99_ms is not None:
        checks.append(_row("schedule lag p99", "<=", slo.lag_p99_ms,
                           lag.get_value_at_percentile(99) / 1000 if lag else None, " ms",
                           reason="lag"))
    if slo.lag_max_ms is not None:
        checks.append(_row("schedule lag max", "<=", slo.lag_max_ms,
                           lag.get_max_value() / 1000 if lag else None, " ms", reason="lag"))
    # A replay that schedules nothing (a profile filter that matches no event, an empty
    # window) tests nothing: it can never certify a platform.
    some = totals.scheduled > 0
    checks.append(Check("requests scheduled", "> 0", str(totals.scheduled), some,
                        "" if some else "no requests"))
    accounted = totals.sent + totals.not_sent
    ok = accounted == totals.scheduled
    checks.append(Check("every scheduled request sent or counted", f"= {totals.scheduled}",
                        str(accounted), ok, "" if ok else "accounting"))
    return checks


def failure_reasons(checks: list[Check]) -> list[str]:
    """The distinct reasons of the failed rows, in the order they first appear."""
    return list(dict.fromkeys(c.reason or "other" for c in checks if not c.passed))


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
        "pass": all(c.passed for c in checks), "reasons": failure_reasons(checks),
        "slo_file": slo.source,
        "latency_basis": slo.latency, "percentiles": PERCENTILE_NOTE,
        "checks": [c.__dict__ for c in checks],
        "requests": {"scheduled": totals.scheduled, "sent": totals.sent, "failed": totals.failed,
                     "not_sent": totals.not_sent, "late": totals.late,
                     "late_after_ms": totals.late_after * 1000, "processes": totals.processes},
        "schedule_lag_ms": _ms(lag),
        "slot_wait_ms": _ms(totals.slot_wait),
        "rate": {"scheduled_span_s": totals.scheduled_span, "last_sent_s": totals.last_sent,
                 "achieved_over_scheduled": achieved_ratio(totals)},
        "kinds": kinds, "errors": totals.errors,
    }


def format_verdict(document: dict[str, Any]) -> str:
    """The verdict table people read (Chinese and English headings)."""
    rows = [("target 目标", "limit 限值", "measured 实测", "result 结果")]
    rows += [(c["target"], c["limit"], c["measured"], _result(c)) for c in document["checks"]]
    widths = [max(_width(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(r, widths, strict=True))
             for r in rows]
    req = document["requests"]
    basis = "scheduled time (corrected for coordinated omission)" if document["latency_basis"] == \
        "scheduled" else "actual send"
    lines += ["", f"latency measured from the {basis}; percentiles: {document['percentiles']}",
              f"requests: {req['scheduled']} scheduled, {req['sent']} sent, {req['failed']} failed, "
              f"{req['not_sent']} not sent, {req['late']} late (> {req['late_after_ms']:g} ms)",
              _slot_wait_line(document),
              "verdict 结论: " + ("PASS 通过" if document["pass"] else
                                  "FAIL 未通过 (" + ", ".join(document["reasons"]) + ")")]
    return "\n".join(lines)


def _ms(hist: Any) -> dict[str, float]:
    return {"p50": hist.get_value_at_percentile(50) / 1000,
            "p99": hist.get_value_at_percentile(99) / 1000, "max": hist.get_max_value() / 1000}


def _slot_wait_line(document: dict[str, Any]) -> str:
    lag, wait = document["schedule_lag_ms"], document.get("slot_wait_ms") or {"max": 0.0}
    text = (f"schedule lag of the load generator: p99 {lag['p99']:.3g} ms, max {lag['max']:.3g} ms"
            f"; waiting for a free in-flight slot (the target's slowness): ")
    if not wait["max"]:
        return text + "none"
    return text + f"p99 {wait['p99']:.4g} ms, max {wait['max']:.4g} ms"


def _result(check: dict[str, Any]) -> str:
    text = "pass 通过" if check["passed"] else f"FAIL 未通过 ({check.get('reason') or 'other'})"
    return f"{text}: {check['note']}" if check.get("note") else text


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
