"""Writing a run directory safely, and the run's record (``run.json``) even when it fails.

**A new run starts from a clean directory.** A run's files are written into a sibling staging
directory (``.NAME.staging-PID`` beside ``NAME``); when they are all written, the staging
directory takes the place of the target in two renames (the earlier directory is moved aside to
``.NAME.replaced-PID`` and then removed). So after a run the directory holds exactly that run's
files: nothing of an earlier run into it survives (not its ``borrowing.csv.gz``, report,
``plots/`` or ``variants/``, nor a file you put there: a run directory belongs to hotline).

**A failed run never destroys an earlier good one.** Until the swap, the target is untouched.
When the run fails or is interrupted, the staging directory is removed and the failure is
recorded (:func:`record_failure`): a target with no earlier complete run (absent, empty, or an
earlier failure's record) then holds only ``run.json`` saying what ran and what went wrong; a
target holding an earlier complete run (its ``kpis.json``) keeps it whole, with its own
``run.json``, and gets ``run.failed.json`` beside it (gone again after the next good run).

**A folder that is not a run directory is refused** (:func:`check_run_directory`, exit 2 before
any work): an existing non-empty folder without ``run.json``, ``run.failed.json``,
``kpis.json`` or ``scenario.resolved.yaml`` is not replaced (``--out ~/Documents`` must not
empty it), nor is the current folder or one holding it (``--out .``). Through a symbolic link,
the folder it points to is replaced and the link stays.

A run killed outright (SIGKILL) cannot remove its staging directory: the next writer into the
same parent removes those of dead processes (and the ``.NAME.partial-PID`` files that earlier
versions wrote inside the directory).

``run.json`` is not among the byte-identical outputs: it holds wall-clock facts (start time,
runtime) beside the status, the exception if any, the package version, the command line, the
scenario's name and seed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from sim.domain.errors import InputError

_PARTIAL = re.compile(r"^\..+\.partial-(\d+)$")
_SIBLING = re.compile(r"^\..+\.(?:staging|replaced)-(\d+)$")
RUN_RECORD = "run.json"
FAILED_RECORD = "run.failed.json"
RUN_SCHEMA = "hotline-sim/run/1"
RUN_FILES = ("scenario.resolved.yaml", "kpis.json", "calls.csv.gz", "timeseries.csv",
             "orders.csv.gz", "borrowing.csv.gz", "report.html", RUN_RECORD)
"""Every file a run writes at the top of its directory (the report adds report.html)."""
_MARKERS = (RUN_RECORD, FAILED_RECORD, "kpis.json", "scenario.resolved.yaml")


def _target(directory: Path) -> Path:
    """The directory to replace: absolute, through symbolic links (a link's target is the run
    directory, the link stays)."""
    return Path(os.path.realpath(directory))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _dead(match: re.Match | None) -> bool:
    return bool(match) and int(match.group(1)) != os.getpid() and not _alive(int(match.group(1)))


def remove_stale_partials(directory: Path) -> list[Path]:
    """Remove what dead processes left: staging and replaced directories beside ``directory``
    and temporary files (``.NAME.partial-PID``) inside it; those of running processes stay.
    Returns the paths removed."""
    directory = Path(directory)
    removed = []
    if directory.parent.is_dir():
        for path in sorted(directory.parent.glob(f".{directory.name}.*-*")):
            if path.is_dir() and _dead(_SIBLING.match(path.name)):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    if directory.is_dir():
        for path in sorted(directory.iterdir()):
            if _dead(_PARTIAL.match(path.name)):
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


def is_run_directory(directory: Path) -> bool:
    """Whether ``directory`` is absent, empty or holds a run (or a failed run's record)."""
    directory = Path(directory)
    if not directory.exists():
        return True
    return directory.is_dir() and (not any(directory.iterdir())
                                   or any((directory / m).is_file() for m in _MARKERS))


def check_run_directory(directory: Path) -> None:
    """``InputError`` (exit 2, before any work) when a run may not replace ``directory``."""
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise InputError("is a file, not a run directory", source=str(directory), key="--out")
    if Path.cwd().resolve().is_relative_to(_target(directory)):
        raise InputError("is the current folder or holds it: a run replaces its directory as a "
                         "whole, so give a folder below it (e.g. results/NAME)",
                         source=str(directory), key="--out")
    if not is_run_directory(directory):
        raise InputError("is a folder that holds no run (no run.json or kpis.json): a run "
                         "replaces its directory as a whole, so give a new or empty folder",
                         source=str(directory), key="--out")


class RunWriter:
    """Collects a run's files in a staging directory and puts it in place at once."""

    def __init__(self, directory: Path) -> None:
        self.directory = _target(directory)
        remove_stale_partials(self.directory)
        self.staging = self.directory.parent / f".{self.directory.name}.staging-{os.getpid()}"
        if self.staging.exists():  # left by an earlier writer of this process
            shutil.rmtree(self.staging)
        self._written: list[str] = []

    def _path(self, name: str) -> Path:
        self.staging.mkdir(parents=True, exist_ok=True)
        self._written.append(name)
        return self.staging / name

    def write_text(self, name: str, text: str) -> None:
        """Stage a text file (UTF-8)."""
        self._path(name).write_text(text, encoding="utf-8")

    def write_bytes(self, name: str, chunks: list[bytes] | bytes) -> None:
        """Stage a binary file from one or more chunks (e.g. gzip members)."""
        with open(self._path(name), "wb") as fh:
            for chunk in [chunks] if isinstance(chunks, bytes) else chunks:
                fh.write(chunk)

    def commit(self) -> list[Path]:
        """Put the staged directory in the target's place; return the paths of the earlier
        directory's entries that the new run did not write (now gone)."""
        self.staging.mkdir(parents=True, exist_ok=True)
        removed: list[Path] = []
        old = self.directory.parent / f".{self.directory.name}.replaced-{os.getpid()}"
        if self.directory.exists():
            removed = [self.directory / p.name for p in sorted(self.directory.iterdir())
                       if p.name not in self._written]
            if old.exists():
                shutil.rmtree(old)
            os.replace(self.directory, old)
        os.replace(self.staging, self.directory)
        shutil.rmtree(old, ignore_errors=True)
        self._written.clear()
        return removed

    def abort(self) -> None:
        """Remove the staged files (after an error); the target is left as it was."""
        shutil.rmtree(self.staging, ignore_errors=True)
        self._written.clear()


def package_version() -> str:
    """The installed hotline-sim version (``unknown`` when run from a bare checkout)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hotline-sim")
    except PackageNotFoundError:
        return "unknown"


def run_record(status: str, *, scenario: str, seed: int, replications: int, started: float,
               command: Sequence[str] | None = None, error: BaseException | None = None,
               runtime_s: float | None = None) -> dict:
    """The ``run.json`` document. ``status`` is ``ok``, ``failed`` or ``interrupted``;
    ``started`` a ``time.time()``; ``command`` the command line (default: this process's)."""
    if command is None:
        command = [Path(sys.argv[0]).name, *sys.argv[1:]] if sys.argv else []
    return {
        "schema": RUN_SCHEMA, "status": status, "scenario": scenario, "seed": seed,
        "replications": replications, "command": [str(c) for c in command],
        "version": package_version(),
        "python": ".".join(map(str, sys.version_info[:3])),
        "started": datetime.fromtimestamp(started, UTC).isoformat(timespec="seconds"),
        "runtime_s": round(time.time() - started if runtime_s is None else runtime_s, 3),
        "exception": None if error is None else {
            "type": type(error).__qualname__, "message": str(error),
            "traceback": "".join(traceback.format_exception(error))},
    }


def record_text(record: dict) -> str:
    """``run.json`` as written."""
    return json.dumps(record, indent=1, ensure_ascii=False) + "\n"


def record_failure(directory: Path, record: dict) -> Path:
    """Record a failed or interrupted run (see the module's docstring); return the file.

    Never raises: the run's own exception is the one to report."""
    directory = _target(directory)
    try:
        if (directory / "kpis.json").is_file():  # an earlier complete run: keep it whole
            target = directory / FAILED_RECORD
            temp = directory / f".{FAILED_RECORD}.partial-{os.getpid()}"
            temp.write_text(record_text(record), encoding="utf-8")
            os.replace(temp, target)
            return target
        writer = RunWriter(directory)
        writer.write_text(RUN_RECORD, record_text(record))
        writer.commit()
        return directory / RUN_RECORD
    except OSError:
        return directory / RUN_RECORD
