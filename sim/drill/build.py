"""Build a drill (演练) from a run: window, injects with callers and hidden answers, phases.

``build_drill`` is pure: the same run, spec and seed give the same drill. The random draws come
from one ``SeedSequence(seed)`` spawned into three streams (selection, categories, callers), so
changing the wording of a template does not move which calls are chosen.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np

from sim.domain.errors import InputError
from sim.domain.regions import load_regions
from sim.domain.taxonomy import Taxonomy, load_taxonomy
from sim.drill.answers import Answer, answer_for
from sim.drill.openings import OpeningWriter
from sim.drill.phases import Phase, first_surge, timeline
from sim.drill.select import DEFAULT_PACE_S, Slot, assign, draw_category, thin
from sim.drill.traffic import Run

DRILL_SCHEMA = "hotline-sim/drill/1"
LEAD_IN = 1 / 6
"""Share of the drill spent in normal traffic before a surge, when the start is not given."""


@dataclass(frozen=True)
class DrillSpec:
    """What the trainer asked for (``hotline drill`` options)."""

    duration_s: float
    trainees: int = 6
    start_s: float | None = None
    difficulty: str = "mixed"
    lang: str = "zh"
    seed: int = 20221
    pace_s: float = DEFAULT_PACE_S


@dataclass(frozen=True)
class Inject:
    """One scripted call: what the trainee hears, and the hidden answer."""

    inject_id: int
    trainee: str
    offset_s: int
    line: str
    region: str
    region_name: str
    persona: str
    emotion: str
    opening: str
    challenge: str
    source_call_id: int
    category_source: str
    answer: Answer

    @property
    def clock(self) -> str:
        """The offset as H:MM:SS of drill time."""
        return str(timedelta(seconds=self.offset_s))

    def public(self) -> dict[str, Any]:
        """What the trainee may see: no category, challenge or answer."""
        return {"inject_id": self.inject_id, "trainee": self.trainee, "offset_s": self.offset_s,
                "clock": self.clock, "line": self.line, "region": self.region,
                "region_name": self.region_name, "persona": self.persona,
                "emotion": self.emotion, "opening": self.opening}

    def key_row(self) -> dict[str, Any]:
        """One row of the answer key."""
        return {**self.public(), "challenge": self.challenge, **asdict(self.answer),
                "source_call_id": self.source_call_id, "category_source": self.category_source}


@dataclass(frozen=True)
class Drill:
    """A whole drill: what was asked, where it came from, the phases and the injects."""

    meta: dict[str, Any]
    phases: list[Phase] = field(default_factory=list)
    injects: list[Inject] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The drill with answers (``answers.json``)."""
        return {"schema": DRILL_SCHEMA, "meta": self.meta,
                "phases": [asdict(p) for p in self.phases],
                "injects": [i.key_row() for i in self.injects]}


def default_start(run: Run, duration: float) -> float:
    """Where the window starts when not given: just before the first surge, else the busiest."""
    latest = max(0.0, run.horizon - duration)
    surge = first_surge(run.intervals)
    if surge is not None:
        return min(latest, max(0.0, surge - duration * LEAD_IN))
    best, best_load = 0.0, -1.0
    for interval in run.intervals:
        if interval.t > latest:
            break
        load = sum(i.offered for i in run.intervals if interval.t <= i.t < interval.t + duration)
        if load > best_load:
            best, best_load = interval.t, load
    return best


def window_start(run: Run, spec: DrillSpec) -> float:
    """The window's start in run seconds; ``InputError`` when it lies outside the run."""
    if spec.start_s is None:
        return default_start(run, spec.duration_s)
    if not 0 <= spec.start_s < run.horizon:
        raise InputError(f"start {spec.start_s:g} s is outside the run's horizon "
                         f"(0 to {run.horizon:g} s)", source="--start")
    return spec.start_s


def build_drill(run: Run, spec: DrillSpec, taxonomy: Taxonomy | None = None) -> Drill:
    """The drill of ``spec`` over ``run``'s traffic (rules: sim/drill/select.py, answers.py)."""
    taxonomy = taxonomy or load_taxonomy()
    start = window_start(run, spec)
    calls = run.calls(start, start + spec.duration_s)
    if not calls:
        raise InputError(f"no calls arrive between {start:g} s and "
                         f"{start + spec.duration_s:g} s of the run", source=run.directory)
    select_ss, category_ss, caller_ss = np.random.SeedSequence(spec.seed).spawn(3)
    chosen = thin(np.random.default_rng(select_ss), calls, spec.trainees, spec.duration_s,
                  spec.pace_s)
    slots = assign(chosen, spec.trainees, start, spec.duration_s)
    injects = _injects(run, spec, taxonomy, slots, (np.random.default_rng(category_ss),
                                                    np.random.default_rng(caller_ss)))
    meta = _meta(run, spec, start, len(calls), injects)
    return Drill(meta, timeline(run.intervals, start, spec.duration_s), injects)


def _injects(run: Run, spec: DrillSpec, taxonomy: Taxonomy, slots: list[Slot],
             rngs: tuple[np.random.Generator, np.random.Generator]) -> list[Inject]:
    category_rng, caller_rng = rngs
    writer = OpeningWriter(spec.lang)
    regions = load_regions()
    out = []
    for k, slot in enumerate(slots, start=1):
        call = slot.call
        drawn = draw_category(category_rng, taxonomy, call, spec.difficulty)
        caller = writer.write(caller_rng, drawn.category, call.line, call.region,
                              drawn.challenge)
        answer = answer_for(drawn.category, call.line, drawn.challenge == "ambiguous",
                            run.talk_mean(call.line))
        name = call.region
        if call.region in regions:
            region = regions.get(call.region)
            name = region.zh if spec.lang == "zh" else region.en
        out.append(Inject(k, slot.trainee, slot.offset_s, call.line, call.region, name,
                          caller.persona, caller.emotion, caller.opening, drawn.challenge,
                          call.call_id, drawn.source, answer))
    return out


def _meta(run: Run, spec: DrillSpec, start: float, window_calls: int,
          injects: list[Inject]) -> dict[str, Any]:
    scenario = run.scenario
    sources = [i.category_source for i in injects]
    challenges = [i.challenge for i in injects]
    return {
        "scenario": scenario.name, "run_seed": scenario.seed, **asdict(spec),
        "window_start_s": start, "window_end_s": start + spec.duration_s,
        "window_start_time": (scenario.start + timedelta(seconds=start)).isoformat(),
        "calls_in_window": window_calls, "injects": len(injects),
        "categories": {s: sources.count(s) for s in ("record", "mix", "reshaped")},
        "challenges": {c: challenges.count(c) for c in
                       ("routine", "emergency", "misdialled", "ambiguous")},
    }
