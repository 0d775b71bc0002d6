"""The open-loop rate search inside one Locust process (``hotline bench``; imports Locust).

Each trial replays a synthetic trace at one rate through the same :class:`Replayer` and
Locust request events as ``hotline loadtest``, so the measured ceiling is the real one.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from time import perf_counter
from typing import Any

import gevent
from locust import User, events, task

from loadtest.bench import search_rate
from loadtest.profile import Profile, RequestSpec, load_profile
from loadtest.results import Recorder, merge
from loadtest.scheduler import HttpSender, Replayer
from loadtest.slo import achieved_ratio
from loadtest.template import compile_template
from loadtest.trace import Event

START = datetime.fromisoformat("2024-06-03T10:00:00+08:00")


@events.init_command_line_parser.add_listener
def _add_arguments(parser: Any) -> None:
    parser.add_argument("--bench-spec", default="{}", help="JSON: mode, step_seconds, ...")


def get_profile(path: str) -> Profile:
    """One GET of ``path`` per ``call.received`` event."""
    spec = RequestSpec(name="bench", method="GET", path=compile_template(path), body=None,
                       headers=compile_template({}), keep=(), expect=None)
    return Profile("bench", {"call.received": (spec,)}, {})


ORDER_AFTER_S, UPDATE_AFTER_S = 0.5, 1.0
"""When a call's order is created and updated, after the call (``orders`` mode)."""


def synthetic(mode: str, rate: float, seconds: float) -> list[Event]:
    """Evenly spaced events at ``rate`` requests/s; ``orders``: call, order, update per call.

    A call's order events come ``ORDER_AFTER_S`` and ``UPDATE_AFTER_S`` after it, as in a real
    trace (seconds apart), not a fraction of the gap between calls: a call's requests go out
    in order, so requests a millisecond apart would queue behind their call's previous
    request and measure that wait (one durable commit each) rather than the target's latency.
    """
    from sim.domain.taxonomy import category_codes

    per_call = 3 if mode == "orders" else 1
    calls = int(rate * seconds / per_call)
    gap = per_call / rate
    category = sorted(category_codes())[0]
    out: list[Event] = []
    for i in range(calls):
        base = {"call_id": i, "line": "12345", "region": "620100", "category": category}
        out.append({"t": i * gap, "kind": "call.received", **base, "caller_id": i, "attempt": 1,
                    "channel": "voice", "priority": 0, "incident_id": -1})
        if mode == "orders":
            order = {"order_id": i, "order_kind": "work_order"}
            out.append({"t": i * gap + ORDER_AFTER_S, "kind": "order.created", **base, **order,
                        "urgency": "normal", "deadline": 86400.0, "dispatched_to": "dept",
                        "dispatched_to_line": None, "linked_order_id": None})
            out.append({"t": i * gap + UPDATE_AFTER_S, "kind": "order.updated", **base,
                        **order, "status": "signed"})
    return sorted(out, key=lambda e: e["t"])


def run_trial(env: Any, spec: dict[str, Any], profile: Profile, sender: HttpSender, rate: float) -> dict[str, Any]:
    """Replay one rate step; the measurements as a JSON-able dict."""
    mode = spec["mode"]
    recorder = Recorder(spec["lag_p99_ms"] / 1000)
    fire = env.events.request.fire

    def hook(req: RequestSpec, due: float, sent: float | None, done: float, length: int, error: str | None) -> None:
        fire(request_type=req.method, name=req.name, response_time=(done - due) * 1000,
             response_length=length, exception=RuntimeError(error) if error else None, context={})

    replayer = Replayer(synthetic(mode, rate, spec["step_seconds"]), profile, sender, recorder,
                        start=START, speedup=1.0, max_in_flight=200, on_request=hook)
    t0 = perf_counter() + 0.2
    replayer.run(t0)
    totals = merge([recorder.summary(t0, replayer.last_due)])
    kinds = {name: {"p50_ms": k.percentile_ms("scheduled", 50), "p99_ms": k.percentile_ms("scheduled", 99),
                    "p50_sent_ms": k.percentile_ms("sent", 50), "p99_sent_ms": k.percentile_ms("sent", 99)}
             for name, k in totals.kinds.items()}
    ratio = achieved_ratio(totals)
    return {"rate": rate, "lag_p99_ms": totals.lag.get_value_at_percentile(99) / 1000,
            "slot_wait_p99_ms": totals.slot_wait.get_value_at_percentile(99) / 1000,
            "achieved_ratio": ratio, "achieved_rate": rate * ratio, "failed": totals.failed + totals.not_sent,
            "errors": dict(list(totals.errors.items())[:3]), "kinds": kinds}


def trial_ok(spec: dict[str, Any], trial: dict[str, Any]) -> bool:
    """Whether a step was sustained (see ``loadtest.bench``)."""
    if trial["failed"]:
        return False
    if spec["mode"] == "orders":  # lag_p99_ms is the latency limit here
        return trial["achieved_ratio"] >= 0.98 and all(
            k["p99_ms"] is not None and k["p99_ms"] < spec["lag_p99_ms"]
            for k in trial["kinds"].values())
    return (trial["lag_p99_ms"] < spec["lag_p99_ms"] and trial["slot_wait_p99_ms"] < spec["lag_p99_ms"]
            and trial["achieved_ratio"] >= 0.99)


class BenchUser(User):
    """Runs the whole rate search once, writes the result, stops Locust."""

    @task
    def search(self) -> None:
        """The search; then quit the runner."""
        spec = json.loads(self.environment.parsed_options.bench_spec)
        mode = spec["mode"]
        profile = load_profile() if mode == "orders" else get_profile(mode.split(":", 1)[1])
        sender = HttpSender(self.host, 200, 30.0)

        def trial(rate: float) -> dict[str, Any]:
            result = run_trial(self.environment, spec, profile, sender, rate)
            result["ok"] = trial_ok(spec, result)
            gevent.sleep(0.3)  # let the target settle between steps
            return result

        best, trials = search_rate(trial, lambda t: t["ok"], spec["start_rate"])
        Path(spec["out"]).write_text(json.dumps({"best": best, "trials": trials}), encoding="utf-8")
        gevent.spawn(self.environment.runner.quit)
        gevent.sleep(3600)
