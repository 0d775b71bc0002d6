"""Writing a run directory safely, and the run's record (``run.json``) even when it fails.

**A new run starts from a clean directory.** A run's files are written into a sibling staging
directory (``.NAME.staging-PID`` beside ``NAME``); when they are all written, the staging
directory takes the place of the target in two renames (the earlier directory is moved aside to
``.NAME.replaced-PID`` and then removed). So after a run the directory holds exactly that run's
files: nothing of an earlier run into it survives (not its ``borrowing.csv.gz``, report,
``plots/`` or ``variants/``, nor a file you put there: a run directory belongs to hotline).
A target that cannot be renamed -- a mount point (a Docker or Kubernetes volume), a folder whose
parent is not writable, or one whose rename fails with EBUSY, EXDEV, EPERM or EACCES -- is
staged inside instead (``NAME/.staging-PID``): its entries are moved to ``NAME/.replaced-PID``,
the staged ones up, then the replaced ones removed. That commit is a series of renames, not one:
a reader during it may see a mix, and a SIGKILL during it leaves one.

**A failed run never destroys an earlier good one.** Until the commit, the target is untouched.
An exception or Ctrl-C (or SIGTERM, see ``sim.commands.group``) during the commit puts the
earlier directory back before it propagates; a process killed outright between the two renames
leaves ``.NAME.replaced-PID``, which the next writer into the parent puts back as ``NAME``.
When the run fails or is interrupted, the staging directory is removed and the failure is
recorded (:func:`record_failure`): a target with no earlier complete run (absent, empty, or an
earlier failure's record) then holds only ``run.json`` saying what ran and what went wrong; a
target holding an earlier complete run (its ``kpis.json``) keeps it whole, with its own
``run.json``, and gets ``run.failed.json`` beside it (gone again after the next good run).

**Two runs into one directory at once** both complete, and the later commit wins: when another
run's directory took the target's place between this run's two renames, it is moved aside
(``.NAME.replaced-PID.N``) and removed like the earlier directory, as if it had committed first.
There is no lock: each run's directory is whole, and the folder ends with one of them.

**A folder that is not a run directory is refused** (:func:`check_run_directory`, exit 2 before
any work): an existing non-empty folder without ``run.json``, ``run.failed.json``,
``kpis.json`` or ``scenario.resolved.yaml`` is not replaced (``--out ~/Documents`` must not
empty it), nor is the current folder or one holding it (``--out .``), nor a path below a file.
Through a symbolic link, the folder it points to is replaced and the link stays.

A run killed outright (SIGKILL) cannot remove its staging directory: the next writer into the
same parent removes those of dead processes, whatever directory they were for (and their
``NAME/.staging-PID``, ``NAME/.replaced-PID`` and the ``.NAME.partial-PID`` files that earlier
versions wrote inside the directory it writes).

Commands whose folder other code writes (``hotline sweep``, ``hotline staff``) get only their
``run.json`` from here (:func:`recorded`), not a clean folder.

``run.json`` is not among the byte-identical outputs: it holds wall-clock facts (start time,
runtime) beside the status, the exception if any, the package version, the command line, the
scenario's name and seed.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from sim.domain.errors import InputError

_PARTIAL = re.compile(r"^\..+\.partial-(\d+)$")
_SIBLING = re.compile(r"^\.(.+)\.(staging|replaced)-(\d+)(?:\.\d+)?$")
_INSIDE = re.compile(r"^\.(staging|replaced)-(\d+)$")
_CANNOT_MOVE = (errno.EBUSY, errno.EXDEV, errno.EPERM, errno.EACCES)
_RETRIES = 5
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


def _dead(pid: str) -> bool:
    return int(pid) != os.getpid() and not _alive(int(pid))


def remove_stale_partials(directory: Path) -> list[Path]:
    """Clean up after dead processes, beside ``directory`` and inside it; return the paths
    removed (or restored).

    Beside it, for any name X: ``.X.staging-PID`` is removed, and ``.X.replaced-PID`` too unless
    ``X`` is gone (the process died between the two renames of its commit): then it is put back
    as ``X``; this process's own ``.X.replaced-PID`` (an interrupted commit) is put back the
    same way. Inside it: ``.staging-PID``/``.replaced-PID`` (staging inside a mount point) and
    ``.NAME.partial-PID`` files. Those of running processes stay."""
    directory = Path(directory)
    removed = []
    parent = directory.parent
    if parent.is_dir():
        for path in sorted(parent.glob(".*")):
            match = _SIBLING.match(path.name)
            if not match or not path.is_dir():
                continue
            name, kind, pid = match.groups()
            mine = int(pid) == os.getpid()
            if kind == "replaced" and (mine or _dead(pid)) and not (parent / name).exists():
                os.replace(path, parent / name)  # an earlier run moved aside and not replaced
                removed.append(path)
            elif not mine and _dead(pid):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    if directory.is_dir():
        for path in sorted(directory.iterdir()):
            inside = _INSIDE.match(path.name)
            if inside and path.is_dir() and _dead(inside.group(2)):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
            partial = _PARTIAL.match(path.name)
            if partial and _dead(partial.group(1)):
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
    for above in Path(os.path.abspath(directory)).parents:
        if above.exists():
            if not above.is_dir():
                raise InputError(f"is below {above}, which is a file, not a folder",
                                 source=str(directory), key="--out")
            break
    if Path.cwd().resolve().is_relative_to(_target(directory)):
        raise InputError("is the current folder or holds it: a run replaces its directory as a "
                         "whole, so give a folder below it (e.g. results/NAME)",
                         source=str(directory), key="--out")
    if not is_run_directory(directory):
        raise InputError("is a folder that holds no run (no run.json or kpis.json): a run "
                         "replaces its directory as a whole, so give a new or empty folder",
                         source=str(directory), key="--out")


def _fixed(directory: Path) -> bool:
    """Whether ``directory`` exists but cannot be renamed: a mount point (a Docker or
    Kubernetes volume), or its parent is not writable."""
    return directory.is_dir() and (os.path.ismount(directory)
                                   or not os.access(directory.parent, os.W_OK | os.X_OK))


_DEFERRED = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[list[int]]:
    """Hold Ctrl-C and SIGTERM while the block runs (a commit's renames); yields the list of
    signals that arrived, which the caller delivers once the block is done. Python runs signal
    handlers in the main thread only, so elsewhere nothing is deferred (nor needed)."""
    pending: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield pending
        return
    previous = {s: signal.getsignal(s) for s in _DEFERRED}
    for s in _DEFERRED:
        signal.signal(s, lambda signum, _frame: pending.append(signum))
    try:
        yield pending
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _deliver(pending: list[int]) -> None:
    """Deliver a signal held during a commit that succeeded: its handler's exception (Ctrl-C's
    ``KeyboardInterrupt``, SIGTERM's) is marked ``run_committed`` so the run is not recorded as
    failed: it is complete on disk."""
    if not pending:
        return
    try:
        signal.raise_signal(pending[0])
    except BaseException as exc:
        exc.run_committed = True  # type: ignore[attr-defined]
        raise


class RunWriter:
    """Collects a run's files in a staging directory and puts them in place at once."""

    def __init__(self, directory: Path) -> None:
        self.directory = _target(directory)
        remove_stale_partials(self.directory)
        self.inside = _fixed(self.directory)
        self.staging = (self.directory / f".staging-{os.getpid()}" if self.inside else
                        self.directory.parent / f".{self.directory.name}.staging-{os.getpid()}")
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

    def _earlier(self) -> list[Path]:
        """The target's entries (not the staging of this or another writer inside it)."""
        if not self.directory.is_dir():
            return []
        return [p for p in sorted(self.directory.iterdir()) if not _INSIDE.match(p.name)]

    def commit(self) -> list[Path]:
        """Put the staged files in the target's place; return the paths of the earlier
        directory's entries that the new run did not write (now gone).

        An exception at any point leaves the earlier directory in place. Ctrl-C and SIGTERM
        are held until the commit is done (it is a few renames and the removal of the earlier
        directory), then delivered (see :func:`_deliver`)."""
        with _signals_deferred() as pending:
            self.staging.mkdir(parents=True, exist_ok=True)
            removed = [self.directory / p.name for p in self._earlier()
                       if p.name not in self._written]
            if self.inside:
                self._commit_inside()
            else:
                self._commit_beside()
            self._written.clear()
        _deliver(pending)
        return removed

    def _commit_beside(self) -> None:
        """Two renames: the target aside to ``.NAME.replaced-PID``, the staging in its place."""
        parent, name, pid = self.directory.parent, self.directory.name, os.getpid()
        old = parent / f".{name}.replaced-{pid}"
        aside: list[Path] = []  # other runs' directories committed between our renames
        moved = False
        try:
            if self.directory.exists():
                if old.exists():
                    shutil.rmtree(old)
                try:
                    os.replace(self.directory, old)
                    moved = True
                except FileNotFoundError:
                    pass  # another run moved it aside just now: as if it were absent
                except OSError as exc:
                    if exc.errno not in _CANNOT_MOVE:
                        raise
                    self._move_staging_inside()
                    self._commit_inside()
                    return
            for attempt in range(1, _RETRIES + 1):
                try:
                    os.replace(self.staging, self.directory)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST) or attempt == _RETRIES:
                        raise
                # another run committed between our two renames: the last commit wins, as if
                # it had committed before us
                aside.append(parent / f".{name}.replaced-{pid}.{attempt}")
                with contextlib.suppress(FileNotFoundError):
                    os.replace(self.directory, aside[-1])
        except BaseException:
            if not self.directory.exists():  # put back the newest complete run there is
                for candidate in (*reversed(aside), *([old] if moved else [])):
                    if candidate.exists():
                        os.replace(candidate, self.directory)
                        break
            raise
        for path in (old, *aside):
            shutil.rmtree(path, ignore_errors=True)

    def _move_staging_inside(self) -> None:
        """The target turned out not to be movable: stage inside it instead."""
        inside = self.directory / f".staging-{os.getpid()}"
        if inside.exists():
            shutil.rmtree(inside)
        shutil.move(self.staging, inside)
        self.staging, self.inside = inside, True

    def _commit_inside(self) -> None:
        """For a target that cannot be renamed: its entries aside to ``.replaced-PID`` inside
        it, the staged ones up, then the replaced ones removed; undone on any exception."""
        old = self.directory / f".replaced-{os.getpid()}"
        if old.exists():
            shutil.rmtree(old)
        earlier = self._earlier()
        old.mkdir()
        moved_old: list[str] = []
        moved_new: list[str] = []
        try:
            for path in earlier:
                os.replace(path, old / path.name)
                moved_old.append(path.name)
            for path in sorted(self.staging.iterdir()):
                os.replace(path, self.directory / path.name)
                moved_new.append(path.name)
        except BaseException:
            for entry in reversed(moved_new):
                os.replace(self.directory / entry, self.staging / entry)
            for entry in reversed(moved_old):
                os.replace(old / entry, self.directory / entry)
            raise
        shutil.rmtree(old, ignore_errors=True)
        shutil.rmtree(self.staging, ignore_errors=True)

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


def write_record(directory: Path, record: dict, *, replaced: bool = False) -> Path:
    """Write ``record`` as ``directory/run.json`` in one rename, for a command whose folder
    other code writes (``hotline sweep``, ``hotline staff``); return the file.

    A failure (``status`` not ``ok``) goes to ``run.failed.json`` instead when the folder
    already holds a successful run's ``run.json``, which stays, unless ``replaced`` (the failed
    run has already overwritten some of that run's files, so ``run.json`` must say it failed);
    a success removes an earlier ``run.failed.json``. A failure's record never raises: the run's own exception is the one
    to report."""
    directory = Path(directory)
    ok = record["status"] == "ok"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        name = RUN_RECORD
        if not ok and not replaced and _succeeded(directory / RUN_RECORD):
            name = FAILED_RECORD
        temp = directory / f".{name}.partial-{os.getpid()}"
        temp.write_text(record_text(record), encoding="utf-8")
        os.replace(temp, directory / name)
        if ok:
            (directory / FAILED_RECORD).unlink(missing_ok=True)
    except OSError:
        if ok:
            raise
        return directory / RUN_RECORD
    return directory / name


def _written_since(directory: Path, started: float) -> bool:
    """Whether any file of ``directory`` (records aside) was written since ``started``."""
    try:
        return any(p.is_file() and p.name not in (RUN_RECORD, FAILED_RECORD)
                   and p.stat().st_mtime >= started for p in directory.rglob("*"))
    except OSError:
        return True


def _succeeded(path: Path) -> bool:
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("status") == "ok"
    except (OSError, ValueError, AttributeError):
        return False


@contextlib.contextmanager
def recorded(directory: Path, *, scenario: str, seed: int, replications: int,
             command: Sequence[str] | None = None) -> Iterator[None]:
    """Record the block's run in ``directory`` (:func:`write_record`): status ``ok`` when it
    ends, ``failed`` or ``interrupted`` (with the exception) when it raises, which it re-raises
    (into ``run.json`` when the block had already written a file there, else beside an earlier
    successful record as ``run.failed.json``).
    ``SystemExit`` (a command's own exit code, e.g. 1 for a missed target) counts as ended;
    bad input (``InputError``, exit 2 before any work) writes nothing, as for ``hotline run``."""
    started = time.time()

    def record(status: str, error: BaseException | None = None) -> dict:
        return run_record(status, scenario=scenario, seed=seed, replications=replications,
                          started=started, command=command, error=error)

    try:
        yield
    except SystemExit:
        write_record(directory, record("ok"))
        raise
    except InputError:
        raise
    except BaseException as exc:
        write_record(directory, record("interrupted" if isinstance(exc, KeyboardInterrupt)
                                       else "failed", exc),
                     replaced=_written_since(Path(directory), started))
        raise
    write_record(directory, record("ok"))
