"""Acceptance: the README's trace (baseline week, window 10h/10h10m) → reference server →
replay at 60× → pass, with every request answered 2xx (three-way returns included).

The SLO here is deliberately loose on latency (a shared 2-core CI machine runs the simulator,
the server and Locust at once); what must hold exactly is that every scheduled request reached
the server and succeeded.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from loadtest.commands import trace
from loadtest.locust_run import LoadtestOptions, run_loadtest
from loadtest.trace import read_trace

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

E2E_SLO = """\
requests:
  "*": {p50_ms: 10000, p99_ms: 60000}
error_rate: 0
achieved_rate: 0.2
"""


def _served(server) -> dict[str, int]:
    doc = httpx.get(server.url + "/metrics", headers=server.headers("admin"), timeout=10).json()
    return doc["requests"]["by_class"]


def test_baseline_window_replayed_against_the_reference_server(tmp_path: Path) -> None:
    from loadtest.server.process import start_server

    out = tmp_path / "trace.jsonl"
    # exactly the README's command: hotline trace gansu-baseline --out … --window 10h/10h10m
    result = CliRunner().invoke(trace, ["gansu-baseline", "--out", str(out),
                                        "--window", "10h/10h10m"])
    assert result.exit_code == 0, result.output
    events = read_trace(out)
    assert events.header.scenario == "gansu-baseline" and events.header.window == (36000, 36600)
    assert len(events.events) > 100
    slo = tmp_path / "slo.yaml"
    slo.write_text(E2E_SLO, encoding="utf-8")
    with start_server(f"sqlite:///{tmp_path}/server.db") as server:
        before = _served(server)
        code = run_loadtest(LoadtestOptions(trace=out, host=server.url, speedup=60.0, slo=slo,
                                            out=tmp_path / "out"))
        after = _served(server)
    verdict = json.loads((tmp_path / "out" / "slo.json").read_text())
    assert verdict["requests"]["failed"] == 0, verdict["errors"]
    assert code == 0 and verdict["pass"], [c for c in verdict["checks"] if not c["passed"]]
    scheduled = verdict["requests"]["scheduled"]
    # the first /metrics request counts itself afterwards
    assert after["2xx"] - before.get("2xx", 0) - 1 == scheduled == verdict["requests"]["sent"]
    assert scheduled > 500 and set(after) == {"2xx"}  # not one 4xx or 5xx
