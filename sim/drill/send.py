"""Send injects to a training platform (``hotline drill play --to URL``).

Two forms:

- **plain** (no ``--profile``): ``POST URL/v1/drill/injects`` with the inject as JSON (the
  ``drill.json`` inject: id, trainee, offset, line, region, persona, opening; no answer);
- **endpoint profile** (``--profile FILE``, the load tester's format, docs/loadtest.md): each
  inject becomes a ``call.received`` event (``call_id`` = inject id, ``channel`` voice,
  ``category`` the hidden category, plus the inject's fields, usable in templates as
  ``{opening}``, ``{trainee}``, …) and is sent as that profile's ``call.received`` request(s).
  A platform that shows the category to trainees should leave ``{category}`` out of its profile.

A failed request (connection error or a status the profile does not accept) is counted, never
retried; phases are not sent.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from sim.drill.play import Cue

PLAIN_PATH = "/v1/drill/injects"
PRIORITY = {"emergency": 0, "urgent": 1, "normal": 2}
TIMEOUT_S = 10.0


@dataclass
class Sender:
    """Sends inject cues to ``url``; counts what was sent and what failed."""

    url: str
    client: httpx.Client
    profile: Any = None  # loadtest.profile.Profile
    start: datetime | None = None
    answers: dict[int, dict[str, Any]] = field(default_factory=dict)
    sent: int = 0
    failed: list[str] = field(default_factory=list)
    log: Callable[[str], None] = lambda _line: None

    def __call__(self, cue: Cue) -> None:
        if cue.kind != "inject":
            return
        if self.profile is None:
            self._request("POST", PLAIN_PATH, {"Content-Type": "application/json"},
                          json.dumps(cue.data, ensure_ascii=False).encode(), cue, None)
        else:
            self._profiled(cue)

    def _profiled(self, cue: Cue) -> None:
        from loadtest.template import MissingValue

        event = self.event(cue)
        kept: dict[str, Any] = {}
        for spec in self.profile.specs("call.received"):
            try:
                prepared = self.profile.prepare(spec, self.profile.scope(event, kept, self.start))
            except MissingValue as exc:
                self._fail(cue, f"request {spec.name}: {exc}")
                return
            document = self._request(prepared.method, prepared.path, prepared.headers,
                                     prepared.body, cue, spec)
            if document is None:
                return
            for rule in spec.keep:
                with contextlib.suppress(KeyError):  # the platform may not return it
                    kept[rule.name] = rule.extract(document)

    def event(self, cue: Cue) -> dict[str, Any]:
        """The ``call.received`` trace event an inject stands for."""
        d = cue.data
        answer = self.answers.get(int(d["inject_id"]), {})
        return {**d, "t": float(d["offset_s"]), "kind": "call.received",
                "call_id": int(d["inject_id"]), "category": answer.get("category", "-"),
                "caller_id": int(d["inject_id"]), "attempt": 1, "channel": "voice",
                "priority": PRIORITY.get(answer.get("priority", "normal"), 2), "incident_id": -1}

    def _request(self, method: str, path: str, headers: dict[str, str], body: bytes | None,
                 cue: Cue, spec: Any) -> Any:
        try:
            response = self.client.request(method, self.url.rstrip("/") + path, headers=headers,
                                           content=body, timeout=TIMEOUT_S)
        except httpx.HTTPError as exc:
            self._fail(cue, f"{method} {path}: {exc.__class__.__name__}: {exc}")
            return None
        ok = spec.succeeded(response.status_code) if spec is not None else response.is_success
        if not ok:
            self._fail(cue, f"{method} {path}: HTTP {response.status_code}")
            return None
        self.sent += 1
        try:
            return response.json()
        except ValueError:
            return {}

    def _fail(self, cue: Cue, message: str) -> None:
        line = f"inject #{cue.data.get('inject_id')}: {message}"
        self.failed.append(line)
        self.log(line)


def make_sender(url: str, profile_path: Path | None, drill: dict[str, Any],
                answers: dict[int, dict[str, Any]], client: httpx.Client | None = None,
                log: Callable[[str], None] = lambda _line: None) -> Sender:
    """A sender for ``url``: plain JSON, or ``profile_path``'s ``call.received`` requests."""
    profile = None
    if profile_path is not None:
        from loadtest.profile import load_profile

        profile = load_profile(profile_path)
    meta = drill.get("meta", {})
    start = None
    if meta.get("window_start_time"):
        start = datetime.fromisoformat(meta["window_start_time"])
    return Sender(url, client or httpx.Client(), profile, start, answers, log=log)

