"""``hotline loadtest``: check the inputs, run Locust headless on the replay, return the verdict.

Everything a user gives (trace, endpoint profile, SLO file, options) is checked here, in the
calling process, before Locust starts: a problem is an ``InputError`` and nothing is sent.
Locust then runs as a child process (``python -m locust``), so this process never imports it;
``--processes N`` is Locust's own multi-process mode (a master and N forked workers), and
``expect_workers`` runs a master that waits for workers started elsewhere (``worker_command``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from loadtest.procs import die_with_parent
from loadtest.profile import load_profile
from loadtest.slo import load_slo
from loadtest.trace import read_trace
from sim.domain.errors import InputError

PROJECT_DIR = Path(__file__).resolve().parent.parent
LOCUSTFILE = Path(__file__).resolve().parent / "locustfiles" / "replay.py"


@dataclass(frozen=True)
class LoadtestOptions:
    """What ``hotline loadtest`` was asked to do."""

    trace: Path
    host: str
    speedup: float = 1.0
    profile: Path | None = None
    slo: Path | None = None
    processes: int = 1
    out: Path = Path("results/loadtest")
    max_in_flight: int = 100
    timeout: float = 30.0
    late_after_ms: float = 10.0
    latency: str | None = None
    expect_workers: int | None = None
    start_lead: float = 1.0


@dataclass(frozen=True)
class Plan:
    """The checked inputs: event and request counts and the replay's scheduled length."""

    events: int
    requests: int
    duration: float


def check_inputs(opts: LoadtestOptions) -> Plan:
    """Validate trace, profile, SLO file and options; ``InputError`` before anything is sent."""
    if not opts.host.startswith(("http://", "https://")):
        raise InputError(f"expected a URL like http://127.0.0.1:8000, got {opts.host!r}", source="--host")
    if not opts.speedup > 0:
        raise InputError(f"expected a number > 0, got {opts.speedup}", source="--speedup")
    for name, value in (("--processes", opts.processes), ("--max-in-flight", opts.max_in_flight)):
        if value < 1:
            raise InputError(f"expected an integer >= 1, got {value}", source=name)
    trace = read_trace(opts.trace)
    profile = load_profile(opts.profile)
    load_slo(opts.slo, profile.request_names())
    requests = profile.check_trace(trace)
    duration = trace.events[-1]["t"] / opts.speedup if trace.events else 0.0
    return Plan(len(trace.events), requests, duration)


def locust_command(opts: LoadtestOptions, plan: Plan) -> list[str]:
    """The ``python -m locust`` command line of this load test."""
    workers = opts.expect_workers or opts.processes
    run_time = int(opts.start_lead + plan.duration + opts.timeout + 30)  # a bound, not the end
    out = opts.out.resolve()
    cmd = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
        "--host", opts.host, "--users", str(workers), "--spawn-rate", str(workers),
        "--run-time", f"{run_time}s", "--csv", str(out / "locust"), "--html", str(out / "locust.html"),
        "--only-summary", "--loglevel", "WARNING",
        "--trace", str(Path(opts.trace).resolve()), "--speedup", repr(opts.speedup),
        "--max-in-flight", str(opts.max_in_flight), "--late-after-ms", repr(opts.late_after_ms),
        "--request-timeout", repr(opts.timeout), "--start-lead", repr(opts.start_lead),
        "--replay-out", str(out),
    ]
    if opts.profile:
        cmd += ["--endpoint-profile", str(Path(opts.profile).resolve())]
    if opts.slo:
        cmd += ["--slo-file", str(Path(opts.slo).resolve())]
    if opts.latency:
        cmd += ["--latency", opts.latency]
    if opts.expect_workers:
        cmd += ["--master", "--expect-workers", str(opts.expect_workers)]
    elif opts.processes > 1:
        cmd += ["--processes", str(opts.processes)]
    return cmd


def worker_command(master_host: str, locustfile: Path = LOCUSTFILE) -> list[str]:
    """The command of a worker on another machine (its options come from the master)."""
    return [sys.executable, "-m", "locust", "-f", str(locustfile), "--worker",
            "--master-host", master_host]


def child_env() -> dict[str, str]:
    """The environment of a Locust child: the project importable from any directory."""
    path = os.environ.get("PYTHONPATH", "")
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(PROJECT_DIR), path) if p)}


def run_locust(cmd: list[str]) -> int:
    """Run a Locust child to its end; on Ctrl-C stop it by its PID. Returns its exit code."""
    process = subprocess.Popen(cmd, env=child_env(), preexec_fn=die_with_parent)
    try:
        return process.wait()
    except BaseException:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGINT)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
        raise


def run_loadtest(opts: LoadtestOptions) -> int:
    """Check the inputs, replay the trace, return 0 when every SLO target held, else 1."""
    plan = check_inputs(opts)
    opts.out.mkdir(parents=True, exist_ok=True)
    verdict = opts.out / "slo.json"
    verdict.unlink(missing_ok=True)  # an old verdict must not pass for this run's
    print(f"replaying {plan.events} events as {plan.requests} requests over "
          f"{plan.duration:.1f} s against {opts.host}", flush=True)
    code = run_locust(locust_command(opts, plan))
    if not verdict.is_file():
        print(f"error: Locust ended (exit code {code}) without a verdict", file=sys.stderr)
        return code if code not in (0, 1, 2) else 3
    return 0 if json.loads(verdict.read_text(encoding="utf-8")).get("pass") else 1
