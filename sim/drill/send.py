"""Send injects to a training platform (``hotline drill play --to URL``).

Two forms:

- **plain** (no ``--profile``, :class:`Sender`): ``POST URL/v1/drill/injects`` with the inject
  as JSON (the ``drill.json`` inject: id, trainee, offset, line, region, persona, opening; no
  answer);
- **endpoint profile** (``--profile FILE``, the load tester's format, docs/loadtest.md): each
  inject is sent as that profile's ``call.received`` request(s). The load tester provides this
  sender (``loadtest.drill_sender``, a :class:`ProfileSenders`): ``sim`` never imports
  ``loadtest``.

A failed request (connection error or a status the form does not accept) is counted, never
retried; phases are not sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx

from sim.drill.play import Cue

PLAIN_PATH = "/v1/drill/injects"
TIMEOUT_S = 10.0

Log = Callable[[str], None]


class InjectSender(Protocol):
    """What ``hotline drill play`` sends cues to: an emitter that counts sent and failed."""

    sent: int
    failed: list[str]

    def __call__(self, cue: Cue) -> None: ...


class ProfileSenders(Protocol):
    """Makes the sender of ``--profile FILE`` for ``url`` (implemented by the load tester)."""

    def __call__(self, url: str, profile_path: Path, drill: dict[str, Any],
                 answers: dict[int, dict[str, Any]], *, log: Log) -> InjectSender: ...


def no_log(_line: str) -> None:
    """The default log: say nothing."""


@dataclass
class Sender:
    """Sends inject cues to ``url`` as plain JSON posts; counts what was sent and what failed.

    A subclass changes the form by overriding :meth:`send` and calling :meth:`request`.
    """

    url: str
    client: httpx.Client
    sent: int = field(default=0, kw_only=True)
    failed: list[str] = field(default_factory=list, kw_only=True)
    log: Log = field(default=no_log, kw_only=True)

    def __call__(self, cue: Cue) -> None:
        if cue.kind == "inject":
            self.send(cue)

    def send(self, cue: Cue) -> None:
        """Send one inject: ``POST URL/v1/drill/injects`` with it as JSON."""
        self.request("POST", PLAIN_PATH, {"Content-Type": "application/json"},
                     json.dumps(cue.data, ensure_ascii=False).encode(), cue)

    def request(self, method: str, path: str, headers: dict[str, str], body: bytes | None,
                cue: Cue, accepts: Callable[[int], bool] | None = None) -> Any:
        """Make one request for ``cue``; its JSON (``{}`` when not JSON), or None if it failed.

        ``accepts`` says which statuses succeed (default: 2xx).
        """
        try:
            response = self.client.request(method, self.url.rstrip("/") + path, headers=headers,
                                           content=body, timeout=TIMEOUT_S)
        except httpx.HTTPError as exc:
            self.fail(cue, f"{method} {path}: {exc.__class__.__name__}: {exc}")
            return None
        ok = accepts(response.status_code) if accepts is not None else response.is_success
        if not ok:
            self.fail(cue, f"{method} {path}: HTTP {response.status_code}")
            return None
        self.sent += 1
        try:
            return response.json()
        except ValueError:
            return {}

    def fail(self, cue: Cue, message: str) -> None:
        """Count and log a failed inject."""
        line = f"inject #{cue.data.get('inject_id')}: {message}"
        self.failed.append(line)
        self.log(line)


def make_sender(url: str, client: httpx.Client | None = None, log: Log = no_log) -> Sender:
    """The plain JSON sender for ``url``."""
    return Sender(url, client or httpx.Client(), log=log)
