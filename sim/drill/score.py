"""Score trainees' responses against a drill's answer key (``hotline drill score``).

``responses.csv`` has a header and one row per decision (docs/drills.md):
``trainee,inject_id,category,handling,target_line,first_dispatch,decided_at_s``. ``category``
and ``first_dispatch`` may be empty; ``decided_at_s`` is seconds from the drill's start, not
before the inject's offset. Rows are numbered like a spreadsheet (the header is row 1); any
malformed cell raises :class:`~sim.domain.errors.InputError` with ``key="row N, column NAME"``.

Per trainee and overall, over the injects assigned (an unanswered inject counts as wrong):
category right, routing right (handling and target line both), first dispatch respected (over
injects with danger only, S7), decided within the target time, the mean time to decision, and a
score: the mean of those rates (first dispatch left out where no inject has danger).
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.domain.errors import InputError
from sim.domain.taxonomy import NO_OWNER, OWNERS, load_taxonomy
from sim.drill.answers import EMERGENCY_LINES, normalise_handling

COLUMNS = ("trainee", "inject_id", "category", "handling", "target_line", "first_dispatch",
           "decided_at_s")
SCORE_SCHEMA = "hotline-sim/drill-score/1"
RATES = ("category", "routing", "first_dispatch", "on_time")


@dataclass(frozen=True)
class Response:
    """One trainee decision, checked."""

    trainee: str
    inject_id: int
    category: str
    handling: str
    target_line: str
    first_dispatch: str
    decided_at_s: float


def load_key(directory: Path) -> dict[int, dict[str, Any]]:
    """The answer key of a drill directory, by inject id."""
    path = Path(directory) / "answers.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return {int(row["inject_id"]): row for row in doc["injects"]}
    except FileNotFoundError:
        raise InputError("not a drill directory: answers.json is missing (write one with "
                         "`hotline drill SCENARIO --out DIR`)", source=directory) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"not a valid answer key: {exc}", source=path) from None


class _Cells:
    """Reads one row's cells, raising ``InputError`` at ``row N, column NAME``."""

    def __init__(self, path: Path, number: int, row: dict[str, str]) -> None:
        self.path, self.number, self.row = path, number, row

    def fail(self, column: str, message: str) -> InputError:
        return InputError(message, source=self.path, key=f"row {self.number}, column {column}")

    def text(self, column: str, required: bool = True) -> str:
        value = (self.row.get(column) or "").strip()
        if required and not value:
            raise self.fail(column, "empty; a value is required")
        return value

    def choice(self, column: str, allowed: tuple[str, ...], required: bool) -> str:
        value = self.text(column, required)
        if value and value not in allowed:
            raise self.fail(column, f"{value!r} is not one of {', '.join(allowed)}")
        return value


def _parse_row(cells: _Cells, key: dict[int, dict[str, Any]]) -> Response:
    raw_id = cells.text("inject_id")
    if not raw_id.isdigit() or int(raw_id) not in key:
        raise cells.fail("inject_id", f"{raw_id!r} is not an inject of this drill "
                         f"(1 to {len(key)})")
    answer = key[int(raw_id)]
    trainee = cells.text("trainee")
    if trainee != answer["trainee"]:
        raise cells.fail("trainee", f"inject {raw_id} was assigned to {answer['trainee']}, "
                         f"not {trainee!r}")
    category = cells.choice("category", load_taxonomy().codes, required=False)
    handling = normalise_handling(cells.text("handling"))
    if handling is None:
        raise cells.fail("handling", f"{cells.text('handling')!r} is not a handling; see "
                         "docs/drills.md")
    target = cells.choice("target_line", tuple(o for o in OWNERS if o != NO_OWNER), True)
    first = cells.choice("first_dispatch", EMERGENCY_LINES, required=False)
    decided = _decided(cells, float(answer["offset_s"]))
    return Response(trainee, int(raw_id), category, handling, target, first, decided)


def _decided(cells: _Cells, offset: float) -> float:
    raw = cells.text("decided_at_s")
    try:
        value = float(raw)
    except ValueError:
        raise cells.fail("decided_at_s", f"{raw!r} is not a number of seconds") from None
    if not math.isfinite(value) or value < offset:
        raise cells.fail("decided_at_s", f"{raw} is before the inject arrived at {offset:g} s")
    return value


def read_responses(path: Path, key: dict[int, dict[str, Any]]) -> list[Response]:
    """Every row of ``responses.csv``, checked against the answer key."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            for column in COLUMNS:
                if column not in header:
                    raise InputError("missing column", source=path, key=f"row 1, column {column}")
            out: list[Response] = []
            seen: dict[int, int] = {}
            for number, row in enumerate(reader, start=2):
                if None in row:
                    raise InputError(f"{len(header) + len(row[None])} cells, header has "
                                     f"{len(header)}", source=path, key=f"row {number}")
                response = _parse_row(_Cells(path, number, row), key)
                if response.inject_id in seen:
                    raise InputError(f"inject {response.inject_id} already answered in row "
                                     f"{seen[response.inject_id]}", source=path,
                                     key=f"row {number}, column inject_id")
                seen[response.inject_id] = number
                out.append(response)
    except FileNotFoundError:
        raise InputError("file not found", source=path) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text: {exc}", source=path) from None
    return out


def judge(answer: dict[str, Any], response: Response | None) -> dict[str, Any]:
    """One inject's verdict: which parts were right and the time to decision."""
    danger = bool(answer["first_dispatch"])
    row: dict[str, Any] = {"inject_id": int(answer["inject_id"]), "trainee": answer["trainee"],
                           "answered": response is not None, "danger": danger}
    if response is None:
        return {**row, "category": False, "routing": False,
                "first_dispatch": False if danger else None, "on_time": False,
                "decision_s": None}
    decision = response.decided_at_s - float(answer["offset_s"])
    return {**row, "category": response.category == answer["category"],
            "routing": (response.handling == answer["handling"]
                        and response.target_line == answer["target_line"]),
            "first_dispatch": response.first_dispatch == answer["first_dispatch"] if danger else None,
            "on_time": decision <= float(answer["target_s"]), "decision_s": round(decision, 3)}


def summarise(verdicts: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts, rates (percent) and the score of a set of verdicts."""
    out: dict[str, Any] = {"injects": len(verdicts),
                           "answered": sum(v["answered"] for v in verdicts)}
    rates = []
    for name in RATES:
        judged = [v[name] for v in verdicts if v[name] is not None]
        out[f"{name}_right"] = sum(judged)
        out[f"{name}_of"] = len(judged)
        pct = round(100.0 * sum(judged) / len(judged), 2) if judged else None
        out[f"{name}_pct"] = pct
        if pct is not None:
            rates.append(pct)
    times = [v["decision_s"] for v in verdicts if v["decision_s"] is not None]
    out["mean_decision_s"] = round(sum(times) / len(times), 1) if times else None
    out["score_pct"] = round(sum(rates) / len(rates), 2) if rates else None
    return out


def score_drill(directory: Path, responses_path: Path) -> dict[str, Any]:
    """The score document of a ``responses.csv``: per trainee, overall and per inject."""
    key = load_key(directory)
    return score_responses(key, read_responses(responses_path, key))


def score_responses(key: dict[int, dict[str, Any]], responses: list[Response]) -> dict[str, Any]:
    """The score document of checked responses (the live drill and ``score_drill`` share it)."""
    by_inject = {r.inject_id: r for r in responses}
    verdicts = [judge(key[i], by_inject.get(i)) for i in sorted(key)]
    trainees = sorted({v["trainee"] for v in verdicts}, key=lambda t: (len(t), t))
    return {
        "schema": SCORE_SCHEMA,
        "trainees": {t: summarise([v for v in verdicts if v["trainee"] == t]) for t in trainees},
        "overall": summarise(verdicts),
        "injects": verdicts,
    }


def format_table(doc: dict[str, Any]) -> str:
    """The score as a fixed-width table, one line per trainee and one overall."""
    head = (f"{'trainee':<9}{'answered':>10}{'category':>10}{'routing':>10}{'1st disp.':>11}"
            f"{'on time':>10}{'mean s':>9}{'score':>9}")
    lines = [head, "-" * len(head)]
    for name, row in [*doc["trainees"].items(), ("overall", doc["overall"])]:
        lines.append(f"{name:<9}{row['answered']:>5}/{row['injects']:<4}"
                     + "".join(f"{_pct(row[f'{r}_pct']):>{w}}" for r, w in
                               zip(RATES, (10, 10, 11, 10), strict=True))
                     + f"{_num(row['mean_decision_s']):>9}{_pct(row['score_pct']):>9}")
    return "\n".join(lines)


TABLE_HEAD = ("trainee", "answered", "category", "routing", "1st disp.", "on time", "mean s",
              "score")


def table_rows(doc: dict[str, Any]) -> list[list[str]]:
    """The cells of :func:`format_table` (per trainee, then overall), for the live dashboard."""
    return [[name, f"{row['answered']}/{row['injects']}",
             *(_pct(row[f"{r}_pct"]) for r in RATES), _num(row["mean_decision_s"]),
             _pct(row["score_pct"])]
            for name, row in [*doc["trainees"].items(), ("overall", doc["overall"])]]


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"
