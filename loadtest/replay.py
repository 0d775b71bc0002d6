"""The Locust side of a replay: the user class, its command-line options, the master's verdict.

Imported only by ``loadtest/locustfile.py`` inside a Locust process (importing Locust
monkey-patches the process). Each Locust process (the local runner, or each worker) runs one
:class:`ReplayUser`, which replays its share of the trace — whole calls, partitioned by call id
over ``--expect-workers`` workers by the worker index — from a start time the master (or the
local runner) sets. Every request is reported to Locust's statistics with the latency from the
scheduled time by default (``--latency sent`` for the latency from the actual send). When a
worker is done it flushes its statistics and sends its HdrHistograms to the master, which
merges them, writes ``slo.json``, prints the verdict and sets the exit code (0 pass, 1 fail).
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path
from time import perf_counter
from typing import Any

import gevent
from locust import User, events, task
from locust.env import Environment
from locust.runners import WorkerRunner

from loadtest.profile import RequestSpec, load_profile, trace_start
from loadtest.results import Recorder, merge
from loadtest.scheduler import HttpSender, Replayer, partition
from loadtest.slo import evaluate, format_verdict, load_slo, verdict_document, write_verdict
from loadtest.trace import Trace, read_trace

log = logging.getLogger("hotline.replay")


class ReplayError(Exception):
    """A failed or unsent request, as Locust's statistics show it."""


class _State:
    """Per-process replay state (one replay per Locust process)."""

    def __init__(self) -> None:
        self.trace: Trace | None = None
        self.started = False
        self.summaries: list[dict[str, Any]] = []
        self.local: tuple[Recorder, Replayer, float] | None = None
        self.finished = False


STATE = _State()


@events.init_command_line_parser.add_listener
def _add_arguments(parser: Any) -> None:
    group = parser.add_argument_group("hotline replay")
    group.add_argument("--trace", default=None, help="trace file (docs/trace.md)")
    group.add_argument("--endpoint-profile", default=None, help="endpoint profile YAML")
    group.add_argument("--slo-file", default=None, help="SLO file YAML")
    group.add_argument("--speedup", type=float, default=1.0, help="replay speed-up factor")
    group.add_argument("--max-in-flight", type=int, default=100, help="in-flight cap per process")
    group.add_argument("--late-after-ms", type=float, default=10.0, help="a send later than this is late")
    group.add_argument("--latency", choices=["scheduled", "sent"], default=None,
                       help="latency Locust's statistics show (default: the SLO file's, scheduled)")
    group.add_argument("--request-timeout", type=float, default=30.0, help="seconds per request")
    group.add_argument("--start-lead", type=float, default=1.0, help="seconds from start to t = 0")
    group.add_argument("--replay-out", default=".", help="directory for slo.json")
    group.add_argument("--replay-t0", type=float, default=None, help=argparse.SUPPRESS)


@events.init.add_listener
def _on_init(environment: Environment, **_: Any) -> None:
    options = environment.parsed_options
    if options is not None and options.trace:
        STATE.trace = read_trace(options.trace)  # before the start, so t = 0 is not delayed
    if environment.runner is not None and not isinstance(environment.runner, WorkerRunner):
        environment.runner.register_message("replay_done", _on_worker_done)


@events.test_start.add_listener
def _on_test_start(environment: Environment, **_: Any) -> None:
    if not isinstance(environment.runner, WorkerRunner):  # master or local runner sets t = 0
        options = environment.parsed_options
        options.replay_t0 = time.time() + options.start_lead


def _latency_basis(options: Any) -> str:
    if options.latency:
        return options.latency
    return load_slo(options.slo_file).latency


class ReplayUser(User):
    """Replays this process's share of the trace, open-loop (one per Locust process)."""

    @task
    def replay(self) -> None:
        """Run the replay once, report the results, then idle until the runner stops."""
        if STATE.started:  # a second user in this process would send the same share again
            self._idle()
        STATE.started = True
        env, options = self.environment, self.environment.parsed_options
        runner = env.runner
        worker = isinstance(runner, WorkerRunner)
        index, count = (runner.worker_index, options.expect_workers) if worker else (0, 1)
        trace = STATE.trace or read_trace(options.trace)
        profile = load_profile(options.endpoint_profile)
        recorder = Recorder(options.late_after_ms / 1000)
        sender = HttpSender(self.host, options.max_in_flight, options.request_timeout)
        hook = _locust_hook(env, _latency_basis(options))
        replayer = Replayer(partition(trace.events, index, count), profile, sender, recorder,
                            start=trace_start(trace), speedup=options.speedup,
                            max_in_flight=options.max_in_flight, on_request=hook)
        t0 = perf_counter() + (options.replay_t0 - time.time())
        STATE.local = (recorder, replayer, t0)
        replayer.run(t0)
        sender.close()
        summary = {**recorder.summary(t0, replayer.last_due), "worker": index}
        if worker:
            runner._send_stats()  # every request in Locust's statistics before the verdict
            runner.send_message("replay_done", summary)
        else:
            _finish(env, [summary])
        self._idle()

    def _idle(self) -> None:
        while True:
            gevent.sleep(3600)


def _locust_hook(env: Environment, basis: str) -> Any:
    fire = env.events.request.fire

    def hook(spec: RequestSpec, due: float, sent: float | None, finished: float, length: int,
             error: str | None) -> None:
        start = due if basis == "scheduled" or sent is None else sent
        fire(request_type=spec.method, name=spec.name, response_time=(finished - start) * 1000,
             response_length=length, exception=ReplayError(error) if error else None, context={})

    return hook


def _on_worker_done(environment: Environment, msg: Any, **_: Any) -> None:
    STATE.summaries.append(msg.data)
    if len(STATE.summaries) >= (environment.parsed_options.expect_workers or 1):
        _finish(environment, STATE.summaries)


@events.quitting.add_listener
def _on_quitting(environment: Environment, **_: Any) -> None:
    """A replay cut short (run-time bound, Ctrl-C) still gets a verdict, which then fails."""
    if isinstance(environment.runner, WorkerRunner) or STATE.finished:
        return
    summaries = list(STATE.summaries)
    if STATE.local is not None and not summaries:
        recorder, replayer, t0 = STATE.local
        summaries = [recorder.summary(t0, replayer.last_due)]
    _finish(environment, summaries, quit_runner=False)


def _finish(env: Environment, summaries: list[dict[str, Any]], quit_runner: bool = True) -> None:
    """Merge, judge, write ``slo.json``, print the verdict, set the exit code and stop."""
    STATE.finished = True
    options = env.parsed_options
    trace = STATE.trace or read_trace(options.trace)
    profile = load_profile(options.endpoint_profile)
    slo = load_slo(options.slo_file, profile.request_names())
    totals = merge(summaries)
    totals.scheduled = max(totals.scheduled, profile.count(trace.events))
    totals.scheduled_span = max(totals.scheduled_span,
                                trace.events[-1]["t"] / options.speedup if trace.events else 0.0)
    checks = evaluate(slo, totals)
    document = verdict_document(slo, totals, checks)
    write_verdict(Path(options.replay_out), document)
    print("\n" + format_verdict(document), flush=True)
    env.process_exit_code = 0 if document["pass"] else 1
    if quit_runner and env.runner is not None:
        # Locust rewrites its CSV files once a second: wait for one more pass before quitting.
        gevent.spawn_later(1.2, env.runner.quit)
