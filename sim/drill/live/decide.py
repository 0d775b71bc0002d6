"""Checking, stamping and storing one trainee decision; exporting and scoring them all."""

from __future__ import annotations

import csv
import io
from typing import Any

from sim.domain.taxonomy import load_taxonomy
from sim.drill.answers import EMERGENCY_LINES, normalise_handling
from sim.drill.live.clock import RUNNING
from sim.drill.live.session import TARGET_LINES, DecisionError, LiveDrill, Submission
from sim.drill.live.store import Decision
from sim.drill.score import COLUMNS, Response, score_responses


def decide(live: LiveDrill, trainee: str, sub: Submission) -> tuple[Decision, bool]:
    """Store ``sub`` for ``trainee``; (the decision, True when it was a retry of a stored one)."""
    live.tick()
    stored = next((d for d in live.decisions.values() if d.decision_id == sub.decision_id), None)
    if stored is not None:
        return _replay(stored, trainee, sub), True
    fields = _checked_fields(sub)
    _check_allowed(live, trainee, sub.inject_id)
    decision = Decision(trainee, sub.inject_id, *fields, decided_at_s=round(live.now(), 3),
                        decision_id=sub.decision_id)
    live.store.add_decision(decision)
    live.decisions[decision.inject_id] = decision
    live.tick()
    return decision, False


def _replay(stored: Decision, trainee: str, sub: Submission) -> Decision:
    same = (stored.trainee == trainee and stored.inject_id == sub.inject_id
            and (stored.category, stored.handling, stored.target_line, stored.first_dispatch)
            == _checked_fields(sub))
    if not same:
        raise DecisionError(409, "decision_id_reused", f"decision_id {sub.decision_id!r} was "
                            "already used for another decision", "decision_id")
    return stored


def _checked_fields(sub: Submission) -> tuple[str, str, str, str]:
    category = sub.category.strip()
    if category and category not in load_taxonomy():
        raise DecisionError(422, "unknown_category", f"{category!r} is not a category of the "
                            "diversion list (GET /api/choices lists them)", "category")
    handling = normalise_handling(sub.handling)
    if handling is None:
        raise DecisionError(422, "unknown_handling", f"{sub.handling!r} is not a handling",
                            "handling")
    if sub.target_line not in TARGET_LINES:
        raise DecisionError(422, "unknown_line", f"{sub.target_line!r} is not one of "
                            f"{', '.join(TARGET_LINES)}", "target_line")
    if sub.first_dispatch not in ("", *EMERGENCY_LINES):
        raise DecisionError(422, "unknown_line", f"{sub.first_dispatch!r} is not one of "
                            f"{', '.join(EMERGENCY_LINES)} (or empty: none)", "first_dispatch")
    return category, handling, sub.target_line, sub.first_dispatch


def _check_allowed(live: LiveDrill, trainee: str, inject_id: int) -> None:
    if inject_id not in live.injects:
        raise DecisionError(404, "no_such_inject", f"inject {inject_id} is not in this drill",
                            "inject_id")
    if live.injects[inject_id]["trainee"] != trainee:
        raise DecisionError(403, "not_your_call", f"inject {inject_id} is not yours",
                            "inject_id")
    if live.clock.status != RUNNING:
        raise DecisionError(409, f"drill_{live.clock.status}", f"the drill is "
                            f"{live.clock.status}; decisions are taken while it runs")
    now = live.now()
    if not live.delivered(inject_id, now):
        raise DecisionError(409, "not_delivered", f"inject {inject_id} has not rung yet",
                            "inject_id")
    if inject_id in live.decisions:
        raise DecisionError(409, "already_decided", f"inject {inject_id} is already decided",
                            "inject_id")
    if live.missed(inject_id, now):
        raise DecisionError(409, "missed", f"inject {inject_id} was missed: no decision within "
                            "its target time plus the grace period", "inject_id")


def responses(live: LiveDrill) -> list[Response]:
    """The decisions (scoring responses), in the order they were made."""
    return sorted(live.decisions.values(), key=lambda d: (d.decided_at_s, d.inject_id))


def score(live: LiveDrill) -> dict[str, Any]:
    """The score document, as ``hotline drill score`` writes it for the exported CSV."""
    return score_responses(live.key, responses(live))


def responses_csv(live: LiveDrill) -> str:
    """``responses.csv`` of the decisions so far (docs/drills.md's format)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in responses(live):
        writer.writerow([r.trainee, r.inject_id, r.category, r.handling, r.target_line,
                         r.first_dispatch, repr(r.decided_at_s)])
    return out.getvalue()
