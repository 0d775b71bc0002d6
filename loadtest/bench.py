"""``hotline bench replay`` and ``hotline bench server`` (benchmarks, not tests).

``bench_replay``: the highest rate at which one Locust process replaying open-loop keeps the
schedule lag p99 under 5 ms, against the trivial endpoint and the reference server's
``/healthz``, next to Locust's own closed-loop maximum (FastHttpUser, no wait) against the same
endpoint measured in the same invocation, and their ratio.
``bench_server``: the reference server with SQLite, one process: the highest request rate it
sustains under the project's replay (call create → order create → order update per call), with
p50/p99 of order create and order update.
Locust runs as child processes (``loadtest/locustfiles/``); the rate search itself runs inside
one Locust process (``loadtest.benchrun``), so every rate step shares its warm-up.
"""

from __future__ import annotations

import csv
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from loadtest.runner import run_locust

LOCUSTFILES = Path(__file__).resolve().parent / "locustfiles"
Trial = dict[str, Any]


def search_rate(trial: Callable[[float], Trial], ok: Callable[[Trial], bool], start: float,
                *, refine: int = 3, max_rate: float = 100_000.0) -> tuple[Trial | None, list[Trial]]:
    """Double the rate from ``start`` until a trial fails, then bisect ``refine`` times.

    Returns the best passing trial (None if none passed) and every trial in order.
    """
    trials: list[Trial] = []
    good: Trial | None = None
    bad: Trial | None = None
    rate = start
    while bad is None and rate <= max_rate:
        result = trial(rate)
        trials.append(result)
        if ok(result):
            good, rate = result, rate * 2
        else:
            bad = result
    for _ in range(refine if bad is not None else 0):
        low = good["rate"] if good else 0.0
        result = trial((low + bad["rate"]) / 2)
        trials.append(result)
        if ok(result):
            good = result
        else:
            bad = result
    return good, trials


def closed_loop_max(url: str, path: str, *, seconds: float = 6.0, users: int = 32) -> float:
    """Locust's own closed-loop maximum (FastHttpUser, no wait), requests/s of one process."""
    with tempfile.TemporaryDirectory(prefix="hotline-bench-") as temp:
        prefix = Path(temp) / "closed"
        cmd = _locust(LOCUSTFILES / "closed.py", url, users, seconds) + [
            "--csv", str(prefix), "--bench-path", path]
        run_locust(cmd)
        with open(f"{prefix}_stats.csv", encoding="utf-8") as fh:
            rows = {row["Name"]: row for row in csv.DictReader(fh)}
    return float(rows["Aggregated"]["Requests/s"])


def open_loop_max(url: str, mode: str, *, step_seconds: float, lag_p99_ms: float,
                  start_rate: float) -> dict[str, Any]:
    """The rate search of ``loadtest.benchrun`` in one Locust process; its JSON result."""
    with tempfile.TemporaryDirectory(prefix="hotline-bench-") as temp:
        out = Path(temp) / "open.json"
        spec = {"mode": mode, "step_seconds": step_seconds, "lag_p99_ms": lag_p99_ms,
                "start_rate": start_rate, "out": str(out)}
        run_locust(_locust(LOCUSTFILES / "bench.py", url, 1, 3600) + ["--bench-spec", json.dumps(spec)])
        return json.loads(out.read_text(encoding="utf-8"))


def _locust(locustfile: Path, url: str, users: int, seconds: float) -> list[str]:
    import sys

    return [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "--host", url,
            "--users", str(users), "--spawn-rate", str(users), "--run-time", f"{int(seconds)}s",
            "--only-summary", "--loglevel", "ERROR", "--exit-code-on-error", "0"]


def _replay_row(target: str, url: str, path: str, step_seconds: float, lag: float) -> dict[str, Any]:
    closed = closed_loop_max(url + "", path)
    found = open_loop_max(url, "get:" + path, step_seconds=step_seconds, lag_p99_ms=lag,
                          start_rate=500.0)
    best = found["best"] or {"rate": 0.0, "lag_p99_ms": None}
    return {"target": target, "open_rate": best["rate"], "lag_p99_ms": best["lag_p99_ms"],
            "closed_rate": closed, "ratio": best["rate"] / closed if closed else 0.0,
            "trials": found["trials"]}


def bench_replay(*, step_seconds: float = 2.0, lag_p99_ms: float = 5.0,
                 echo: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """Open-loop replay rate vs Locust's closed-loop maximum, trivial endpoint and reference server."""
    from loadtest.server.process import start_server
    from loadtest.trivial import TrivialServer

    rows = []
    with TrivialServer() as trivial:
        rows.append(_replay_row("trivial endpoint", trivial.url, "/", step_seconds, lag_p99_ms))
    with tempfile.TemporaryDirectory(prefix="hotline-bench-") as temp, \
            start_server(f"sqlite:///{temp}/bench.db") as server:
        rows.append(_replay_row("reference server /healthz", server.url, "/healthz",
                                step_seconds, lag_p99_ms))
    echo(f"one Locust worker process; open loop: highest rate with schedule lag p99 < {lag_p99_ms:g} ms"
         f" ({step_seconds:g} s per step); closed loop: FastHttpUser, no wait, 32 users")
    echo(f"{'target':28} {'open-loop req/s':>16} {'lag p99 ms':>11} {'closed-loop req/s':>18} {'ratio':>6}")
    for r in rows:
        lag = f"{r['lag_p99_ms']:.2f}" if r["lag_p99_ms"] is not None else "-"
        echo(f"{r['target']:28} {r['open_rate']:16.0f} {lag:>11} {r['closed_rate']:18.0f} {r['ratio']:6.2f}")
    echo("reproduce: hotline bench replay")
    return rows


def bench_server(*, step_seconds: float = 3.0, echo: Callable[[str], None] = print) -> dict[str, Any]:
    """Reference server (SQLite, one process) under the project's replay: sustained rate, p50/p99."""
    from loadtest.server.process import start_server

    with tempfile.TemporaryDirectory(prefix="hotline-bench-") as temp, \
            start_server(f"sqlite:///{temp}/bench.db") as server:
        found = open_loop_max(server.url, "orders", step_seconds=step_seconds, lag_p99_ms=50.0,
                              start_rate=60.0)
    best = found["best"]
    echo("reference server, SQLite, one server process; load: the project's open-loop replay "
         "(per call: call create, order create, order update), one Locust process")
    echo("sustained = no errors, achieved/scheduled >= 0.98, latency p99 from scheduled time < 250 ms")
    echo(f"{'rate req/s':>10} {'sustained':>9} {'kind':14} {'p50 ms':>8} {'p99 ms':>8}")
    for t in found["trials"]:
        for kind in ("order.create", "order.update"):
            k = t["kinds"].get(kind, {})
            echo(f"{t['rate']:10.0f} {('yes' if t['ok'] else 'no'):>9} {kind:14} "
                 f"{k.get('p50_ms', 0):8.2f} {k.get('p99_ms', 0):8.2f}")
    if best:
        echo(f"highest sustained: {best['rate']:.0f} requests/s "
             f"({best['achieved_rate']:.0f} achieved)")
    echo("reproduce: hotline bench server")
    return found
