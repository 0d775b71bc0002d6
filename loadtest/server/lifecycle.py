"""The order status machine (S13, S15) and default deadlines.

created → signed (签收) → in_progress → answered (答复) → closed (办结); a closed order may be
reopened (重办), which goes back to in_progress. Satisfaction comes with closing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from loadtest.server.errors import ApiError

TRANSITIONS: dict[str, frozenset[str]] = {
    "created": frozenset({"signed"}),
    "signed": frozenset({"in_progress"}),
    "in_progress": frozenset({"answered"}),
    "answered": frozenset({"closed"}),
    "closed": frozenset({"reopened"}),
    "reopened": frozenset({"in_progress"}),
}

DEFAULT_TIME_LIMIT = {"urgent": timedelta(hours=24), "normal": timedelta(days=5)}
"""Response time limits when an order is created without a deadline."""


def check_transition(current: str, new: str, satisfaction: float | None) -> None:
    """409 for a move the machine does not allow; 422 for satisfaction without closing."""
    if new not in TRANSITIONS.get(current, frozenset()):
        allowed = ", ".join(sorted(TRANSITIONS.get(current, ()))) or "none"
        raise ApiError(409, "illegal_transition",
                       f"cannot move from {current} to {new} (allowed: {allowed})", "status")
    if satisfaction is not None and new != "closed":
        raise ApiError(422, "invalid_value", "satisfaction is accepted only with status closed",
                       "satisfaction")


def default_deadline(urgency: str, created: datetime) -> datetime:
    """The deadline of an order created at ``created`` with no deadline given."""
    return created + DEFAULT_TIME_LIMIT[urgency]
