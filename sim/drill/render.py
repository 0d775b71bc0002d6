"""Write a drill directory: the trainer's script, the trainee sheet, the answer key, the injects.

| file | for | answers |
|---|---|---|
| ``script.md``, ``script.html`` | the trainer (printable): timeline and every inject | yes |
| ``trainee-sheet.md``, ``trainee-sheet.html`` | trainees: their injects and blank decisions | no |
| ``answers.csv``, ``answers.json`` | ``hotline drill score`` and spreadsheets | yes |
| ``drill.json`` | ``hotline drill play``: meta, phases, injects | no |

No timestamps of the writing moment go into any file, so the same drill gives the same bytes.
Each file is written under a temporary name and renamed.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from sim.drill.build import DRILL_SCHEMA, Drill, Inject

TEMPLATES = Path(__file__).resolve().parent / "data"
KEY_COLUMNS = (
    "inject_id", "trainee", "offset_s", "clock", "line", "region", "challenge", "category",
    "category_zh", "category_en", "owner", "handling", "target_line", "first_dispatch",
    "priority", "target_s", "rule", "source_call_id", "category_source", "persona", "opening",
)
FILES = ("script.md", "script.html", "trainee-sheet.md", "trainee-sheet.html", "answers.csv",
         "answers.json", "drill.json")


def clock(seconds: float) -> str:
    """Seconds as H:MM:SS."""
    return str(timedelta(seconds=int(seconds)))


def _dumps(doc: Any) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def answers_csv(drill: Drill) -> str:
    """The answer key as CSV, one row per inject."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=KEY_COLUMNS, extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    for inject in drill.injects:
        writer.writerow(inject.key_row())
    return buf.getvalue()


def public_json(drill: Drill) -> str:
    """``drill.json``: what ``drill play`` paces; no answers."""
    doc = {"schema": DRILL_SCHEMA, "meta": drill.meta,
           "phases": [asdict(p) for p in drill.phases],
           "injects": [i.public() for i in drill.injects]}
    return _dumps(doc)


def _summary(drill: Drill) -> str:
    m = drill.meta
    cats = m["categories"]
    return (f"窗口 Window: {m['window_start_time']} (run +{m['window_start_s']:g} s), "
            f"{m['duration_s'] / 60:g} min · {m['trainees']} trainees · difficulty "
            f"{m['difficulty']} · seed {m['seed']} · {m['injects']} injects from "
            f"{m['calls_in_window']} calls in the window · categories: {cats['record']} from "
            f"the records, {cats['mix']} drawn from the line's mix, {cats['reshaped']} "
            f"redrawn for the difficulty")


def _md_cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _timeline_md(drill: Drill) -> list[str]:
    rows = ["## 阶段 Facilitator timeline", "",
            "| from | to | phase 阶段 | offered/h | borrowed seats | note |", "|---|---|---|---|---|---|"]
    for p in drill.phases:
        note = p.note_zh if drill.meta["lang"] == "zh" else p.note_en
        rows.append(f"| {clock(p.start_s)} | {clock(p.end_s)} | {p.label_zh} {p.label_en} | "
                    f"{p.offered_per_hour:g} | {p.borrowed:g} | {_md_cell(note)} |")
    return rows + [""]


def _answer_line(inject: Inject) -> str:
    a = inject.answer
    first = f" · first dispatch **{a.first_dispatch}**" if a.first_dispatch else ""
    return (f"**Answer 答案:** `{a.category}` {a.category_zh} · owner {a.owner} · "
            f"**{a.handling}** → {a.target_line}{first} · priority {a.priority} · "
            f"target {a.target_s} s · challenge {inject.challenge}")


def script_md(drill: Drill) -> str:
    """The trainer's script: summary, timeline, every inject with its answer."""
    m = drill.meta
    lines = [f"# 演练脚本 Drill script: {m['scenario']}", "", _summary(drill), "",
             *_timeline_md(drill), "## 注入 Injects", ""]
    for i in drill.injects:
        lines += [f"### #{i.inject_id} · {i.clock} · {i.trainee} · dials {i.line} · "
                  f"{i.region_name}", "", f"*Caller 来电人:* {i.persona} ({i.emotion})", "",
                  f"> {i.opening}", "", _answer_line(i), "", f"*Rule 依据:* {i.answer.rule}", ""]
    return "\n".join(lines)


def trainee_md(drill: Drill) -> str:
    """The trainee sheet: per trainee, their injects and empty decision columns."""
    m = drill.meta
    lines = [f"# 学员记录单 Trainee sheet: {m['scenario']}", "",
             "Write for each call: category 类别, handling 处置, target line 目标热线, "
             "first dispatch 先行派警/派车, decided at 决定时刻 (s from the drill start).", ""]
    for trainee in _trainees(drill.injects):
        lines += [f"## {trainee}", "",
                  "| # | time | line | caller | opening | category | handling | target line "
                  "| first dispatch | decided at |", "|---|---|---|---|---|---|---|---|---|---|"]
        for i in drill.injects:
            if i.trainee == trainee:
                lines.append(f"| {i.inject_id} | {i.clock} | {i.line} | {_md_cell(i.persona)} "
                             f"| {_md_cell(i.opening)} | | | | | |")
        lines.append("")
    return "\n".join(lines)


def _trainees(injects: Iterable[Inject]) -> list[str]:
    return sorted({i.trainee for i in injects}, key=lambda t: int(t[1:]))


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                      keep_trailing_newline=True)
    env.filters["clock"] = clock
    return env


def html(drill: Drill, template: str) -> str:
    """One of the printable HTML pages (``script.html.j2`` or ``trainee.html.j2``)."""
    return _environment().get_template(template).render(
        drill=drill, meta=drill.meta, summary=_summary(drill), trainees=_trainees(drill.injects),
        zh=drill.meta["lang"] == "zh")


def render_all(drill: Drill) -> dict[str, str]:
    """Every file of a drill directory, by name."""
    return {
        "script.md": script_md(drill),
        "script.html": html(drill, "script.html.j2"),
        "trainee-sheet.md": trainee_md(drill),
        "trainee-sheet.html": html(drill, "trainee.html.j2"),
        "answers.csv": answers_csv(drill),
        "answers.json": _dumps(drill.to_dict()),
        "drill.json": public_json(drill),
    }


def write_drill(drill: Drill, out: Path) -> list[Path]:
    """Write the drill directory ``out`` (created if needed); return the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_all(drill).items():
        path = out / name
        tmp = out / f".{name}.tmp"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
        written.append(path)
    return written
