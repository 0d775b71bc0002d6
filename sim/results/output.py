"""Writing a run directory safely: every file goes to a temporary name, renamed at the end.

An interrupted run therefore never leaves a file that looks complete, and a failed run does
not overwrite the files of an earlier good one. A run killed outright (SIGKILL) cannot remove
its temporary files: the next writer into the directory removes those of dead processes.

A run into a directory that holds an earlier run leaves only its own files: when it publishes,
it removes the files hotline writes into a run directory (``RUN_FILES``) that it did not write
this time (e.g. ``borrowing.csv.gz`` of an earlier run with borrowing). Any other file, and the
``plots/`` and ``variants/`` folders, are left as they are: hotline never deletes a file it
does not know.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

_PARTIAL = re.compile(r"^\..+\.partial-(\d+)$")
RUN_FILES = ("scenario.resolved.yaml", "kpis.json", "calls.csv.gz", "timeseries.csv",
             "orders.csv.gz", "borrowing.csv.gz", "report.html")
"""Every file a run writes at the top of its directory (the report rewrites report.html)."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def remove_stale_partials(directory: Path) -> list[Path]:
    """Remove the temporary files (``.NAME.partial-PID``) that dead processes left in
    ``directory``; those of running processes stay. Returns the paths removed."""
    removed = []
    if not Path(directory).is_dir():
        return removed
    for path in sorted(Path(directory).iterdir()):
        match = _PARTIAL.match(path.name)
        if match and int(match.group(1)) != os.getpid() and not _alive(int(match.group(1))):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


class RunWriter:
    """Collects a run's files under temporary names and publishes them all at once."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._pending: list[tuple[Path, Path]] = []
        remove_stale_partials(self.directory)

    def _temp(self, name: str) -> tuple[Path, Path]:
        self.directory.mkdir(parents=True, exist_ok=True)
        final = self.directory / name
        temp = self.directory / f".{name}.partial-{os.getpid()}"
        self._pending.append((temp, final))
        return temp, final

    def write_text(self, name: str, text: str) -> None:
        """Stage a text file (UTF-8)."""
        temp, _ = self._temp(name)
        temp.write_text(text, encoding="utf-8")

    def write_bytes(self, name: str, chunks: list[bytes] | bytes) -> None:
        """Stage a binary file from one or more chunks (e.g. gzip members)."""
        temp, _ = self._temp(name)
        with open(temp, "wb") as fh:
            for chunk in [chunks] if isinstance(chunks, bytes) else chunks:
                fh.write(chunk)

    def commit(self) -> list[Path]:
        """Rename every staged file to its final name, then remove the ``RUN_FILES`` of an
        earlier run that this one did not write. Returns the paths removed."""
        written = {final.name for _, final in self._pending}
        for temp, final in self._pending:
            os.replace(temp, final)
        self._pending.clear()
        stale = [self.directory / n for n in RUN_FILES if n not in written]
        removed = [p for p in stale if p.is_file()]
        for path in removed:
            path.unlink(missing_ok=True)
        return removed

    def abort(self) -> None:
        """Remove the staged files (after an error)."""
        for temp, _ in self._pending:
            temp.unlink(missing_ok=True)
        self._pending.clear()
