"""A drill directory checked for live play: ``drill.json`` and ``answers.json`` against each other.

Everything the live drill reads from the two files is checked once, here: a wrong type, a
non-finite number (JSON's ``NaN``/``Infinity``, which Python's parser accepts) or an inject whose
trainee or offset differs between the two files is an :class:`~sim.domain.errors.InputError` naming the
file and the key, before any database is written. So a live drill can never deliver, score or
push what ``hotline drill score`` would refuse on the exported ``responses.csv``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.domain.errors import InputError
from sim.drill.play import load_drill
from sim.drill.score import load_key

INJECT_KEYS = ("inject_id", "trainee", "offset_s", "clock", "line", "region", "region_name",
               "persona", "emotion", "opening")
KEY_KEYS = ("trainee", "offset_s", "target_s", "category", "handling", "target_line",
            "first_dispatch")
PHASE_KEYS = ("phase", "label_zh", "label_en", "start_s", "end_s", "note_zh", "note_en")
AGREE = ("trainee", "offset_s")
"""Fields of an inject that drill.json (delivery) and answers.json (scoring) must share."""


@dataclass(frozen=True)
class DrillFiles:
    """A drill directory's ``drill.json`` and answer key, checked against each other."""

    meta: dict[str, Any]
    phases: list[dict[str, Any]]
    injects: dict[int, dict[str, Any]]
    key: dict[int, dict[str, Any]]

    @classmethod
    def read(cls, directory: Path) -> DrillFiles:
        """Read and check (``InputError`` naming the file and key when something is wrong)."""
        directory = Path(directory)
        drill_path, key_path = directory / "drill.json", directory / "answers.json"
        doc = load_drill(directory)
        key = load_key(directory)
        meta = doc.get("meta")
        if not isinstance(meta, dict):
            raise InputError("expected an object", source=drill_path, key="meta")
        _seconds(meta.get("duration_s"), drill_path, "meta.duration_s", positive=True)
        phases = _phases(doc.get("phases", []), drill_path)
        injects = _injects(doc["injects"], drill_path)
        _check_key(key, injects, key_path)
        return cls(meta, phases, injects, key)


def _seconds(value: Any, path: Path, key: str, positive: bool = False) -> float:
    """A finite number of seconds, ≥ 0 (> 0 when ``positive``)."""
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (positive and value == 0):
        raise InputError(f"expected a finite number of seconds{' > 0' if positive else ' ≥ 0'}; "
                         f"got {value!r}", source=path, key=key)
    return float(value)


def _text(value: Any, path: Path, key: str) -> str:
    if not isinstance(value, str):
        raise InputError(f"expected a string; got {value!r}", source=path, key=key)
    return value


def _phases(phases: Any, path: Path) -> list[dict[str, Any]]:
    if not isinstance(phases, list):
        raise InputError("expected a list of phases", source=path, key="phases")
    for n, phase in enumerate(phases):
        missing = [k for k in PHASE_KEYS if not isinstance(phase, dict) or k not in phase]
        if missing:
            raise InputError(f"missing {', '.join(missing)}", source=path, key=f"phases[{n}]")
        for k in ("start_s", "end_s"):
            _seconds(phase[k], path, f"phases[{n}].{k}")
    return phases


def _injects(items: list[Any], path: Path) -> dict[int, dict[str, Any]]:
    injects: dict[int, dict[str, Any]] = {}
    for n, inject in enumerate(items):
        missing = [k for k in INJECT_KEYS if not isinstance(inject, dict) or k not in inject]
        if missing:
            raise InputError(f"missing {', '.join(missing)}", source=path, key=f"injects[{n}]")
        inject_id = inject["inject_id"]
        if not isinstance(inject_id, int) or isinstance(inject_id, bool) or inject_id < 1:
            raise InputError(f"expected a whole number ≥ 1; got {inject_id!r}", source=path,
                             key=f"injects[{n}].inject_id")
        if inject_id in injects:
            raise InputError(f"inject {inject_id} appears twice", source=path,
                             key=f"injects[{n}].inject_id")
        if not _text(inject["trainee"], path, f"injects[{n}].trainee"):
            raise InputError("expected a trainee name; got ''", source=path,
                             key=f"injects[{n}].trainee")
        _seconds(inject["offset_s"], path, f"injects[{n}].offset_s")
        injects[inject_id] = inject
    return injects


def _check_key(key: dict[int, dict[str, Any]], injects: dict[int, dict[str, Any]],
               path: Path) -> None:
    if set(injects) != set(key):
        raise InputError(f"the answer key has injects {sorted(set(key) ^ set(injects))[:5]} "
                         "that drill.json has not (or the other way round)", source=path)
    for i, row in key.items():
        where = f"injects[inject_id={i}]"
        missing = [k for k in KEY_KEYS if k not in row]
        if missing:
            raise InputError(f"missing {', '.join(missing)}", source=path, key=where)
        _seconds(row["target_s"], path, f"{where}.target_s")
        _seconds(row["offset_s"], path, f"{where}.offset_s")
        for k in ("trainee", "category", "handling", "target_line", "first_dispatch"):
            _text(row[k], path, f"{where}.{k}")
        for k in AGREE:
            if row[k] != injects[i][k]:
                raise InputError(f"{row[k]!r} here but {injects[i][k]!r} in drill.json: the "
                                 "two files must agree (rebuild the drill, or edit both)",
                                 source=path, key=f"{where}.{k}")
