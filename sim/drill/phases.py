"""The facilitator timeline: phases of the simulated traffic (normal → surge → remote seats
arrive → recovery), from the run's time series.

Rules, per interval of ``timeseries.csv``:

- a centre's normal level is the scenario's expected first attempts in that hour without
  disasters; a centre surges when its offered calls exceed 1.5x its normal level by more than
  4 Poisson standard deviations (``sim.drill.traffic``); the network is **high** when the
  surging centres' excess totals at least :data:`MIN_EXCESS` calls and :data:`EXCESS_SHARE` of
  the network's normal level. The daily peak is not a surge, and a local surge (one prefecture's
  earthquake) is not diluted by the rest of the province. Without normal levels (a series with
  no matching scenario) the network is high when its offered exceeds :data:`SURGE_FACTOR` times
  the median interval;
- **surge** (话务激增) starts when the network becomes high;
- **remote seats** (远程坐席到位, S12) starts when the ``borrowed`` column becomes positive;
- **recovery** (恢复) starts when the network is no longer high after a surge, and lasts until no
  seat is borrowed and offered is within :data:`SETTLE_FACTOR` of the normal level;
- otherwise **normal**. A run without a surge is a single normal phase.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from sim.drill.traffic import Interval

SURGE_FACTOR = 1.5
SETTLE_FACTOR = 1.1
MIN_EXCESS = 10.0
EXCESS_SHARE = 0.05
PHASES = ("normal", "surge", "remote_seats", "recovery")
LABELS = {
    "normal": ("常态", "normal"),
    "surge": ("话务激增", "surge"),
    "remote_seats": ("远程坐席到位", "remote seats arrive"),
    "recovery": ("恢复", "recovery"),
}
NOTES = {
    "normal": ("常规节奏:按清单分流,注意识别错拨与模糊诉求。",
               "Normal pace: route by the diversion list; watch for misdialled and unclear calls."),
    "surge": ("话务激增:来电排队,紧急警情优先,先派后转,缩短通话。",
              "Surge: callers queue; emergencies first, dispatch before transfer, keep talk short."),
    "remote_seats": ("外地远程坐席接入:提醒其不熟悉本地地名,地址要复核。",
                     "Remote seats join: they lack local knowledge, so confirm addresses twice."),
    "recovery": ("话务回落:处理积压回拨与工单,复盘分流错误。",
                 "Recovery: work through callbacks and orders; review routing mistakes."),
}


@dataclass(frozen=True)
class Phase:
    """One phase of the drill, in seconds from the drill's start."""

    phase: str
    label_zh: str
    label_en: str
    start_s: int
    end_s: int
    offered_per_hour: float
    borrowed: float
    note_zh: str
    note_en: str


def _tests(intervals: Sequence[Interval]):
    """(is high, has settled) tests for one interval, by normal level or by the median."""
    if any(i.normal > 0 for i in intervals):
        def high(i: Interval) -> bool:
            return i.excess >= max(MIN_EXCESS, EXCESS_SHARE * i.normal)

        def settled(i: Interval) -> bool:
            return i.offered <= SETTLE_FACTOR * i.normal
        return high, settled
    level = median(i.offered for i in intervals) if intervals else 0.0
    return (lambda i: i.offered > SURGE_FACTOR * level,
            lambda i: i.offered <= SETTLE_FACTOR * level)


def classify(intervals: Sequence[Interval]) -> list[str]:
    """The phase of every interval (see the module docstring for the rules)."""
    is_high, has_settled = _tests(intervals)
    state, out = "normal", []
    for i in intervals:
        high = is_high(i)
        if high:
            state = "remote_seats" if i.borrowed > 0 or state == "remote_seats" else "surge"
        elif state in ("surge", "remote_seats"):
            state = "recovery"
        elif state == "recovery" and i.borrowed <= 0 and has_settled(i):
            state = "normal"
        out.append(state)
    return out


def first_surge(intervals: Sequence[Interval]) -> float | None:
    """Start (s) of the first surge interval of the run, ``None`` when there is none."""
    for interval, state in zip(intervals, classify(intervals), strict=True):
        if state in ("surge", "remote_seats"):
            return interval.t
    return None


def timeline(intervals: Sequence[Interval], start: float, duration: float) -> list[Phase]:
    """The phases met in ``[start, start + duration)``, in drill seconds; at least one."""
    if not intervals:
        return [_phase("normal", 0, duration, [])]
    step = intervals[1].t - intervals[0].t if len(intervals) > 1 else duration
    states = classify(intervals)
    end = start + duration
    runs: list[tuple[str, float, list[Interval]]] = []
    for interval, state in zip(intervals, states, strict=True):
        if interval.t + step <= start or interval.t >= end:
            continue
        if runs and runs[-1][0] == state:
            runs[-1][2].append(interval)
        else:
            runs.append((state, max(interval.t, start) - start, [interval]))
    if not runs:
        return [_phase("normal", 0, duration, [], step)]
    bounds = [r[1] for r in runs[1:]] + [duration]
    return [_phase(state, s, e, members, step)
            for (state, s, members), e in zip(runs, bounds, strict=True)]


def _phase(state: str, start: float, end: float, members: Sequence[Interval],
           step: float = 900.0) -> Phase:
    offered = sum(i.offered for i in members) / len(members) if members else 0.0
    borrowed = sum(i.borrowed for i in members) / len(members) if members else 0.0
    zh, en = LABELS[state]
    note_zh, note_en = NOTES[state]
    return Phase(state, zh, en, int(round(start)), int(round(end)),
                 round(offered * 3600.0 / step, 1), round(borrowed, 1), note_zh, note_en)
