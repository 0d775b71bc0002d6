"""Durations typed by people: ``90m``, ``1h30m``, ``5400s``, ``2d``, or a bare number.

One parser for the command line's duration options (``hotline drill --duration``,
``hotline staff --interval``); each caller says what a bare number counts (seconds, minutes)
and words its own error. ``loadtest/export.py`` keeps its own (``loadtest`` stands apart).
"""

from __future__ import annotations

import re

from sim.domain.lines import DAY, HOUR, MINUTE

_NUMBER = r"(\d+(?:\.\d+)?)"
_DURATION = re.compile(rf"(?:{_NUMBER}d)?(?:{_NUMBER}h)?(?:{_NUMBER}m(?:in)?)?(?:{_NUMBER}s)?"
                       rf"{_NUMBER}?")
_UNITS = (DAY, HOUR, MINUTE, 1.0)


def duration_seconds(text: str, bare: float = 1.0) -> float | None:
    """Seconds in ``text`` (case and spaces ignored), or ``None`` when it is not a duration; a
    number without a unit counts ``bare`` seconds (60.0: minutes)."""
    match = _DURATION.fullmatch(re.sub(r"\s+", "", text or "").lower())
    if not match or not any(match.groups()):
        return None
    *parts, plain = match.groups()
    seconds = sum(float(v) * u for v, u in zip(parts, _UNITS, strict=True) if v)
    return seconds + (float(plain) * bare if plain else 0.0)
