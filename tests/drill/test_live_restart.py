"""kill -9 of a live drill server: acknowledged decisions survive, the clock resumes."""

from __future__ import annotations

import sqlite3
import time

import pytest

from sim.drill.live.session import HEARTBEAT_S

from .live_support import SPEED, Server, key_of, perfect, wait_until

pytestmark = pytest.mark.slow


def test_acknowledged_decisions_survive_kill_9_and_the_clock_resumes(four, tmp_path):
    key = key_of(four)
    db = tmp_path / "live.sqlite"
    server = Server(four, db, tmp_path)
    acked = {}
    try:
        assert server.call("POST", "/api/clock/start", server.trainer).status_code == 200
        for inject_id in (1, 2):  # as each rings, its trainee decides
            answer = key[inject_id]
            token = server.tokens[answer["trainee"]]

            def ringing(answer=answer, token=token):
                calls = server.call("GET", "/api/state", token).json()["calls"]
                return any(c["inject_id"] == answer["inject_id"] for c in calls)

            wait_until(ringing, 20, f"inject {inject_id} rings")
            body = {"decision_id": f"kill9-{inject_id:04d}", **perfect(answer)}
            response = server.call("POST", "/api/decisions", token, json=body)
            assert response.status_code == 201, response.text
            acked[inject_id] = (token, body, response.json()["decision"])
        before = server.call("GET", "/api/state", server.trainer).json()["clock"]
        server.kill9()
        with sqlite3.connect(db) as conn:  # what the crash left: a recent reading
            saved = conn.execute("SELECT drill_s FROM clock").fetchone()[0]
        last = max(d["decided_at_s"] for _, _, d in acked.values())
        assert before["drill_s"] - (HEARTBEAT_S + 1) * SPEED <= saved <= before["drill_s"]
        restarted = time.monotonic()
        server = Server(four, db, tmp_path)
        after = server.call("GET", "/api/state", server.trainer).json()
        since = time.monotonic() - restarted
        assert after["clock"]["status"] == "running"
        assert max(saved, last) <= after["clock"]["drill_s"] <= saved + since * SPEED + 1
        stored = server.call("GET", "/api/score", server.trainer).json()
        assert stored["overall"]["answered"] == len(acked)
        for token, body, decision in acked.values():  # the page retries: nothing doubles
            again = server.call("POST", "/api/decisions", token, json=body)
            assert again.status_code == 200 and again.json()["decision"] == decision
        csv_rows = server.call("GET", "/api/responses.csv", server.trainer).text.splitlines()
        assert len(csv_rows) == 1 + len(acked)
        resumed = after["clock"]["drill_s"]
        wait_until(lambda: server.call("GET", "/api/state", server.trainer).json()["clock"]
                   ["drill_s"] > resumed + SPEED * 0.5, 10, "the clock runs on")
    finally:
        server.stop()
