"""Acceptance: baseline run → trace (10-minute window) → reference server → replay at 60× → pass.

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

from loadtest.cli import trace
from loadtest.runner import LoadtestOptions, run_loadtest
from loadtest.trace import read_trace
from sim.paths import DEFAULT_SCENARIO

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

E2E_SLO = """\
requests:
  "*": {p50_ms: 10000, p99_ms: 60000}
error_rate: 0
achieved_rate: 0.2
"""


def _served(server) -> int:
    doc = httpx.get(server.url + "/metrics", headers=server.headers("admin"), timeout=10).json()
    return doc["requests"]["by_class"].get("2xx", 0)


def test_baseline_window_replayed_against_the_reference_server(tmp_path: Path) -> None:
    from loadtest.server.process import start_server

    out = tmp_path / "trace.jsonl"
    result = CliRunner().invoke(trace, [str(DEFAULT_SCENARIO), "--set", "horizon_hours=11",
                                        "--window", "10h/10h10m", "--out", str(out)])
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
        after = _served(server) - 1  # the first /metrics request counts itself afterwards
    verdict = json.loads((tmp_path / "out" / "slo.json").read_text())
    assert verdict["requests"]["failed"] == 0, verdict["errors"]
    assert code == 0 and verdict["pass"], [c for c in verdict["checks"] if not c["passed"]]
    scheduled = verdict["requests"]["scheduled"]
    assert after - before == scheduled == verdict["requests"]["sent"] > 100
