"""Progress of a run in simulated hours: within replications, across processes, then phases.

Workers report ``(replication, hour)`` as the model's hour tick passes (``Network.on_hour``);
``run_replications`` turns them into the fraction of the replication simulated, and
``ReplicationProgress`` into fractional steps of a bar counting replications, so the bar moves
within a replication, not only between them. A replication that reports nothing (e.g. on a Dask
cluster) moves the bar by one step when it completes.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sim.scenario.schema import Scenario

# Share of a replication's wall time spent simulating (the rest summarises the records and
# compresses them); measured with `hotline bench model` on the baseline week.
SIMULATE_SHARE = 0.45


def replication_hours(scenario: Scenario) -> int:
    """Simulated hours of one replication (horizon plus drain), the bar's unit of work."""
    return max(1, math.ceil(scenario.horizon_hours + scenario.drain_hours))


class ReplicationProgress:
    """Feeds a progress bar counting replications, ``advance(n)``, with fractional steps from
    per-replication progress reports, so it moves within a replication."""

    def __init__(self, advance: Callable[[float], object]) -> None:
        self.advance = advance
        self._seen: dict[int, float] = {}

    def progress(self, replication: int, fraction: float) -> None:
        """Replication ``replication`` has simulated ``fraction`` (0–1) of its hours."""
        fraction = min(fraction, 1.0)
        delta = fraction - self._seen.get(replication, 0.0)
        if delta > 0:
            self._seen[replication] = fraction
            self.advance(delta)

    def done(self, replication: int) -> None:
        """Replication ``replication`` has finished: complete its step, ready for the next run
        (a variant, a sweep point) that reuses the index."""
        self.progress(replication, 1.0)
        self._seen.pop(replication, None)


class LogBar:
    """A progress bar for a log file (stderr not a terminal): no ``\\r`` redraws, a line each
    time another whole replication's worth is done (``desc: k/N rep [elapsed]``), so the last
    line reads ``N/N``; a phase (``total=None``) prints one line with its time when it ends.
    Like tqdm's ``delay``, nothing is printed for work done within ``delay`` seconds."""

    def __init__(self, total: float | None, desc: str, file, delay: float = 1.0) -> None:
        self.total, self.desc, self.file, self.delay = total, desc, file, delay
        self.n = 0.0
        self._printed = 0
        self._start = time.monotonic()
        self._lock = threading.RLock()

    def get_lock(self) -> threading.RLock:
        """The lock guarding updates (tqdm's interface)."""
        return self._lock

    def _elapsed(self) -> float:
        return time.monotonic() - self._start

    def update(self, n: float = 1) -> None:
        """Add ``n`` steps; print a line for each whole step passed (after ``delay``)."""
        self.n += n
        if self.total is None or self._elapsed() < self.delay:
            return
        whole = min(int(math.floor(self.n + 1e-6)), int(math.ceil(self.total)))
        while self._printed < whole:
            self._printed += 1
            self.write(f"{self.desc}: {self._printed}/{self.total:g} rep "
                       f"[{_clock(self._elapsed())}]")

    def set_description_str(self, desc: str) -> None:
        """Name the current phase (e.g. ``writing``) in the lines that follow."""
        self.desc = desc

    def write(self, text: str) -> None:
        """Print a line (a check's result, a progress line)."""
        print(text, file=self.file, flush=True)

    def close(self) -> None:
        """A phase's one line, when it took longer than ``delay``."""
        if self.total is None and self._elapsed() >= self.delay:
            self.write(f"{self.desc}: {_clock(self._elapsed())}")


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes:02d}:{secs:02d}"


@contextmanager
def _bar(total: float | None, desc: str, quiet: bool, delay: float) -> Iterator:
    import sys

    if not quiet and not sys.stderr.isatty():
        bar = LogBar(total, desc, sys.stderr, delay)
        try:
            yield bar
        finally:
            bar.close()
        return
    from tqdm import tqdm

    fmt = ("{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total_fmt} rep [{elapsed}<{remaining}]"
           if total is not None else "{desc}: {elapsed}")
    with tqdm(total=total, desc=desc, disable=quiet, delay=delay, miniters=0, file=sys.stderr,
              bar_format=fmt) as bar:
        yield bar


@contextmanager
def progress_bar(total: float | None, desc: str, quiet: bool = False, every: float = 0.5,
                 delay: float = 1.0) -> Iterator[tuple[object, ReplicationProgress]]:
    """A tqdm bar on stderr counting replications in fractional steps (``total``), or, with
    ``total=None``, a phase that shows its elapsed time. A thread redraws it every ``every``
    seconds, so the elapsed time moves through phases that report nothing themselves (writing
    the run directory, rendering the report); nothing shows for work done within ``delay``
    seconds. Yields the bar and its ``ReplicationProgress``. When stderr is not a terminal (a log file, CI) the bar is a ``LogBar``: lines, no ``\\r``.
    """
    with _bar(total, desc, quiet, delay) as bar:
        lock = bar.get_lock()

        def advance(n: float = 0.0) -> None:
            with lock:  # the redraw thread and this one both update the bar
                bar.update(round(n, 6))

        stop = threading.Event()
        thread = threading.Thread(target=_redraw, args=(stop, every, advance), daemon=True,
                                  name="progress-redraw")
        thread.start()
        try:
            yield bar, ReplicationProgress(advance)
            if total is not None:
                advance(total - bar.n)
        finally:
            stop.set()
            thread.join()


def _redraw(stop: threading.Event, every: float, advance: Callable[[float], None]) -> None:
    while not stop.wait(every):
        advance(0.0)
