"""Helpers for live-drill tests: a drill of four injects, a server process, HTTP calls."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
SPEED = 60.0
GRACE_S = 30.0
FOUR_INJECTS = ("--duration", "10m", "--trainees", "2", "--pace", "300", "--seed", "1")
"""From the small run: T1 gets injects 1 and 3, T2 gets 2 and 4, targets 100-150 s."""


def key_of(directory: Path) -> dict[int, dict]:
    """The answer key by inject id."""
    doc = json.loads((directory / "answers.json").read_text(encoding="utf-8"))
    return {row["inject_id"]: row for row in doc["injects"]}


def perfect(answer: dict) -> dict:
    """The decision fields the key calls right."""
    return {"inject_id": answer["inject_id"], "category": answer["category"],
            "handling": answer["handling"], "target_line": answer["target_line"],
            "first_dispatch": answer["first_dispatch"]}


class Server:
    """``hotline drill serve`` in a child process (stopped by its PID)."""

    def __init__(self, directory: Path, db: Path, tmp: Path, *extra: str) -> None:
        self.links_path = tmp / f"links-{time.monotonic_ns()}.json"
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        from loadtest.procs import die_with_parent

        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from cli import main; main()", "drill", "serve",
             str(directory), "--port", "0", "--speed", str(SPEED), "--grace", str(GRACE_S),
             "--db", str(db), "--links", str(self.links_path), *extra],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent)
        self.links = self._wait_for_links()
        self.base = self.links["trainer"].split("/trainer/")[0]
        self.trainer = self.links["trainer"].rsplit("/", 1)[1]
        self.tokens = {t: url.rsplit("/", 1)[1] for t, url in self.links["trainees"].items()}

    def _wait_for_links(self) -> dict:
        end = time.monotonic() + 30
        while not self.links_path.exists():
            if self.proc.poll() is not None or time.monotonic() > end:
                output = self.proc.stdout.read().decode() if self.proc.poll() is not None else ""
                self.stop()
                raise RuntimeError(f"drill server did not start: {output}")
            time.sleep(0.05)
        return json.loads(self.links_path.read_text(encoding="utf-8"))

    def call(self, method: str, path: str, token: str, **kwargs) -> httpx.Response:
        """One request with a bearer token."""
        return httpx.request(method, self.base + path, timeout=10,
                             headers={"Authorization": f"Bearer {token}"}, **kwargs)

    def kill9(self) -> None:
        """SIGKILL, as a crash would."""
        self.proc.kill()
        self.proc.wait(10)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self.proc.stdout:
            self.proc.stdout.close()


def wait_until(predicate, timeout: float, what: str, step: float = 0.05):
    """Poll ``predicate`` until it returns a true value (bounded by ``timeout`` seconds)."""
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > end:
            raise TimeoutError(what)
        time.sleep(step)
