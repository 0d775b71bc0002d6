"""One parser for durations typed on the command line (``sim.domain.durations``)."""

from __future__ import annotations

import pytest

from sim.domain.durations import duration_seconds


@pytest.mark.parametrize(("text", "bare", "seconds"), [
    ("90m", 1.0, 5400.0), ("1h30m", 1.0, 5400.0), ("5400s", 1.0, 5400.0), ("5400", 1.0, 5400.0),
    ("1.5h", 1.0, 5400.0), ("2d", 1.0, 172800.0), (" 60 min ", 1.0, 3600.0),
    ("120", 60.0, 7200.0), ("1H", 1.0, 3600.0), ("1h30", 1.0, 3630.0)])
def test_durations(text, bare, seconds):
    assert duration_seconds(text, bare) == seconds


@pytest.mark.parametrize("text", ["", "soon", "1x", "h", "m30", "-5m", "1h 2h"])
def test_not_durations(text):
    assert duration_seconds(text) is None
