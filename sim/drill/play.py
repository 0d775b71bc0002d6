"""Pace a drill's injects in real time (``hotline drill play``).

The player reads ``drill.json`` (no answers), merges the facilitator timeline's phase changes
with the injects into one list of cues sorted by drill time, and emits each cue when it is due:
at ``offset / speed`` seconds after the start. The clock and the sleep are passed in, so tests
pace a whole drill without sleeping. Emitting goes to a view (plain lines, or a rich live table
on a terminal) and, with ``--to URL``, to a sender (:mod:`sim.drill.send`; endpoint profiles:
``loadtest.drill_sender``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.domain.errors import InputError

Emit = Callable[["Cue"], None]
LIVE_ROWS = 12
"""Injects the live view keeps on screen."""


@dataclass(frozen=True)
class Cue:
    """Something to announce at drill time ``at_s``: a phase change or an inject."""

    at_s: int
    kind: str  # "phase" or "inject"
    data: dict[str, Any]


def load_drill(directory: Path) -> dict[str, Any]:
    """``drill.json`` of a drill directory."""
    path = Path(directory) / "drill.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("not a drill directory: drill.json is missing (write one with "
                         "`hotline drill SCENARIO --out DIR`)", source=directory) from None
    except ValueError as exc:
        raise InputError(f"not valid JSON: {exc}", source=path) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("injects"), list):
        raise InputError("expected a drill document with a list of injects", source=path)
    return doc


def cues(doc: dict[str, Any], trainee: str | None = None) -> list[Cue]:
    """Phases and injects (of one trainee when given) in drill-time order, phases first."""
    out = [Cue(int(p["start_s"]), "phase", p) for p in doc.get("phases", [])]
    out += [Cue(int(i["offset_s"]), "inject", i) for i in doc["injects"]
            if trainee is None or i["trainee"] == trainee]
    return sorted(out, key=lambda c: (c.at_s, c.kind != "phase",
                                      int(c.data.get("inject_id", 0))))


def pace(items: Sequence[Cue], speed: float, emit: Emit,
         clock: Callable[[], float] = time.monotonic,
         sleep: Callable[[float], None] = time.sleep) -> int:
    """Emit every cue at ``at_s / speed`` seconds after the first call; return how many."""
    if speed <= 0:
        raise ValueError("speed must be positive")
    started = clock()
    for cue in items:
        wait = started + cue.at_s / speed - clock()
        if wait > 0:
            sleep(wait)
        emit(cue)
    return len(items)


def describe(cue: Cue) -> str:
    """One plain line for a cue."""
    from sim.drill.render import clock

    d = cue.data
    if cue.kind == "phase":
        return f"[{clock(cue.at_s)}] == phase 阶段: {d['label_zh']} {d['label_en']} — {d['note_en']}"
    return (f"[{clock(cue.at_s)}] #{d['inject_id']} {d['trainee']} ☎ {d['line']} "
            f"{d['region_name']} · {d['persona']}: {d['opening']}")


def plain_view(echo: Callable[[str], None] = print) -> Emit:
    """A view that prints one line per cue."""
    return lambda cue: echo(describe(cue))


def fan_out(emitters: Iterable[Emit]) -> Emit:
    """One emit that calls each of ``emitters`` in turn."""
    targets = list(emitters)

    def emit(cue: Cue) -> None:
        for target in targets:
            target(cue)
    return emit


class LiveView:
    """A rich live table: the current phase and the latest injects (a context manager)."""

    def __init__(self, title: str) -> None:
        from rich.console import Console
        from rich.live import Live

        self.title = title
        self.phase = ""
        self.rows: list[Cue] = []
        self.live = Live(self._table(), console=Console(), refresh_per_second=4)

    def __enter__(self) -> LiveView:
        self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.__exit__(*exc)

    def __call__(self, cue: Cue) -> None:
        if cue.kind == "phase":
            self.phase = f"{cue.data['label_zh']} {cue.data['label_en']}: {cue.data['note_en']}"
        else:
            self.rows = [*self.rows, cue][-LIVE_ROWS:]
        self.live.update(self._table())

    def _table(self):
        from rich.table import Table

        from sim.drill.render import clock

        table = Table(title=self.title, caption=self.phase or None, expand=True)
        for name in ("time", "#", "trainee", "line"):
            table.add_column(name, no_wrap=True)
        table.add_column("caller", ratio=2, overflow="fold")
        table.add_column("opening", ratio=5, overflow="fold")
        for cue in self.rows:
            d = cue.data
            table.add_row(clock(cue.at_s), str(d["inject_id"]), d["trainee"], d["line"],
                          d["persona"], d["opening"])
        return table
