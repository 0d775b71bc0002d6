"""What each page may see: the trainer everything, a trainee only their own calls, never the key."""

from __future__ import annotations

from typing import Any

from sim.domain.lines import EMERGENCY_LINES
from sim.domain.taxonomy import load_taxonomy
from sim.drill.answers import HANDLINGS
from sim.drill.live.decide import responses, score
from sim.drill.live.session import TARGET_LINES, LiveDrill
from sim.drill.score import TABLE_HEAD, judge, table_rows

HANDLING_LABELS = {
    "resolve": ("直接办结", "resolve here"), "work_order": ("工单", "work order"),
    "police_order": ("警单", "police order"),
    "dual_order": ("警单+工单(双派)", "dual: police order + work order"),
    "dispatch": ("派警/派车", "dispatch crews"), "guidance": ("解释引导", "guidance"),
    "one_key_transfer": ("一键携号转接", "one-key transfer"),
    "three_way_call": ("三方通话", "three-way call"),
    "system_dispatch": ("系统派件", "system dispatch"),
}
"""Labels (zh, en) of :data:`sim.drill.answers.HANDLINGS` on the console."""
INJECT_FIELDS = ("inject_id", "offset_s", "clock", "line", "region", "region_name", "persona",
                 "emotion", "opening")
FEED_ROWS = 50


def choices() -> dict[str, Any]:
    """The lists a console picks from: categories (zh, en), handlings, lines."""
    taxonomy = load_taxonomy()
    return {
        "categories": [{"code": c, "zh": taxonomy.get(c).zh, "en": taxonomy.get(c).en}
                       for c in taxonomy.codes],
        "handlings": [{"code": h, "zh": HANDLING_LABELS[h][0], "en": HANDLING_LABELS[h][1]}
                      for h in HANDLINGS],
        "target_lines": list(TARGET_LINES),
        "first_dispatch": list(EMERGENCY_LINES),
    }


def clock_view(live: LiveDrill) -> dict[str, Any]:
    """The clock and the current phase; pages run it on between pushes while it runs."""
    now = live.now()
    current = next((k for k, p in enumerate(live.phases) if p["start_s"] <= now < p["end_s"]),
                   len(live.phases) - 1 if live.phases else None)
    return {"status": live.clock.status, "drill_s": round(now, 3), "speed": live.clock.speed,
            "duration_s": live.clock.duration_s, "phase": current}


def trainee_view(live: LiveDrill, trainee: str) -> dict[str, Any]:
    """One trainee's console: their delivered calls (oldest first) and their own decisions."""
    now = live.now()
    calls = []
    for i, inject in sorted(live.injects.items()):
        if inject["trainee"] != trainee or not live.delivered(i, now):
            continue
        decision = live.decisions.get(i)
        status = "saved" if decision else "missed" if live.missed(i, now) else "ringing"
        row = {f: inject[f] for f in INJECT_FIELDS} | {"status": status}
        if decision:
            row["decision"] = {f: getattr(decision, f) for f in (
                "decision_id", "category", "handling", "target_line", "first_dispatch",
                "decided_at_s")}
        calls.append(row)
    return {"role": "trainee", "trainee": trainee, "clock": clock_view(live),
            "phases": [_phase(p, notes=False) for p in live.phases], "calls": calls,
            "scheduled": sum(i["trainee"] == trainee for i in live.injects.values())}


def trainer_view(live: LiveDrill) -> dict[str, Any]:
    """The dashboard: clock, phases, per-trainee progress, the feed and the score table."""
    doc = score(live)
    verdicts = {v["inject_id"]: v for v in doc["injects"]}
    return {"role": "trainer", "scenario": live.meta.get("scenario", ""),
            "clock": clock_view(live), "phases": [_phase(p) for p in live.phases],
            "progress": [_progress(live, t, verdicts) for t in live.trainees],
            "feed": _feed(live)[:FEED_ROWS],
            "score": {"trainees": doc["trainees"], "overall": doc["overall"],
                      "head": TABLE_HEAD, "rows": table_rows(doc),
                      "never_delivered": never_delivered(live),
                      "final": live.clock.status == "ended"}}


def never_delivered(live: LiveDrill) -> list[int]:
    """Injects that have not rung (yet, or ever when the drill was stopped early): they are
    scored as unanswered, as ``hotline drill score`` scores the exported ``responses.csv``."""
    now = live.now()
    return [i for i in sorted(live.injects) if not live.delivered(i, now)]


def _phase(p: dict[str, Any], notes: bool = True) -> dict[str, Any]:
    """A phase of the timeline; the facilitator's notes are for the trainer only."""
    keys = ("phase", "label_zh", "label_en", "start_s", "end_s")
    return {k: p[k] for k in (*keys, *(("note_zh", "note_en") if notes else ()))}


def _progress(live: LiveDrill, trainee: str, verdicts: dict[int, dict]) -> dict[str, Any]:
    now = live.now()
    mine = [i for i, inj in live.injects.items() if inj["trainee"] == trainee]
    delivered = [i for i in mine if live.delivered(i, now)]
    answered = [i for i in mine if i in live.decisions]
    missed = [i for i in mine if live.missed(i, now)]
    times = [verdicts[i]["decision_s"] for i in answered]
    return {"trainee": trainee, "scheduled": len(mine), "delivered": len(delivered),
            "not_delivered": len(mine) - len(delivered),
            "answered": len(answered), "missed": len(missed),
            "pending": len(delivered) - len(answered) - len(missed),
            "correct": sum(_correct(verdicts[i]) for i in answered),
            "mean_decision_s": round(sum(times) / len(times), 1) if times else None}


def _correct(verdict: dict[str, Any]) -> bool:
    """Right in every part the key judges: category, routing and (with danger) first dispatch."""
    return bool(verdict["category"] and verdict["routing"]
                and verdict["first_dispatch"] is not False)


def _feed(live: LiveDrill) -> list[dict[str, Any]]:
    rows = []
    for r in reversed(responses(live)):
        answer = live.key[r.inject_id]
        v = judge(answer, r)
        rows.append({"inject_id": r.inject_id, "trainee": r.trainee, "decided_at_s": r.decided_at_s,
                     "category": r.category, "handling": r.handling,
                     "target_line": r.target_line, "first_dispatch": r.first_dispatch,
                     "key": {k: answer[k] for k in ("category", "handling", "target_line",
                                                    "first_dispatch", "target_s")},
                     "verdict": {k: v[k] for k in ("category", "routing", "first_dispatch",
                                                   "on_time", "decision_s")},
                     "correct": _correct(v)})
    return rows
