"""Send a drill's injects through an endpoint profile (``hotline drill play --to URL --profile F``).

Each inject becomes a ``call.received`` trace event (``call_id`` = inject id, ``channel``
voice, ``category`` the hidden category, plus the inject's fields, usable in templates as
``{opening}``, ``{trainee}``, …) and is sent as the profile's ``call.received`` request(s)
(docs/loadtest.md). A platform that shows the category to trainees should leave
``{category}`` out of its profile.

The drill player (``sim.drill``) knows nothing of profiles: ``loadtest.commands.install_drill_sender``
gives the ``hotline drill`` group this module's :func:`make_sender` for ``--profile``.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from loadtest.profile import Profile, load_profile
from loadtest.template import MissingValue
from sim.drill.play import Cue
from sim.drill.send import Log, Sender, no_log

PRIORITY = {"emergency": 0, "urgent": 1, "normal": 2}


@dataclass
class ProfileSender(Sender):
    """Sends inject cues to ``url`` as ``profile``'s ``call.received`` requests."""

    profile: Profile = field(kw_only=True)
    start: datetime | None = field(default=None, kw_only=True)
    answers: dict[int, dict[str, Any]] = field(default_factory=dict, kw_only=True)

    def send(self, cue: Cue) -> None:
        """Send one inject as the profile's requests, keeping what each returns for the next."""
        event = self.event(cue)
        kept: dict[str, Any] = {}
        for spec in self.profile.specs("call.received"):
            try:
                prepared = self.profile.prepare(spec, self.profile.scope(event, kept, self.start))
            except MissingValue as exc:
                self.fail(cue, f"request {spec.name}: {exc}")
                return
            document = self.request(prepared.method, prepared.path, prepared.headers,
                                    prepared.body, cue, spec.succeeded)
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


def make_sender(url: str, profile_path: Path, drill: dict[str, Any],
                answers: dict[int, dict[str, Any]], client: httpx.Client | None = None,
                *, log: Log = no_log) -> ProfileSender:
    """A sender of ``profile_path``'s ``call.received`` requests to ``url`` (a
    ``sim.drill.send.ProfileSenders``)."""
    profile = load_profile(profile_path)
    start_time = drill.get("meta", {}).get("window_start_time")
    start = datetime.fromisoformat(start_time) if start_time else None
    return ProfileSender(url, client or httpx.Client(), profile=profile, start=start,
                         answers=answers, log=log)
