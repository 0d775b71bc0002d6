"""The data files a replication reads, handed over by content so a worker reads no files.

The model reads two data files while it runs: the diversion list (分流目录,
``scenarios/data/diversion-list.yaml`` or the scenario's ``linkage.diversion_list``) and the
region table (``scenarios/data/regions.yaml``). A cluster worker may be installed from a wheel
(no ``scenarios/`` folder) or hold other versions of them, so the client reads them once
(``bundle``) and sends their text with every task; in the task, ``provided(bundle)`` makes
``sim.domain.taxonomy`` and ``sim.domain.regions`` parse that text instead of opening files,
and a file that was not sent is an error rather than a silent read of the worker's copy.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sim.domain.errors import InputError
from sim.domain.paths import DATA_DIR


class _LinkageFiles(Protocol):
    @property
    def diversion_list(self) -> str | None: ...


class ScenarioFiles(Protocol):
    """What the data files of a run depend on: a scenario's linkage and its diversion list
    (``sim.scenario.schema.Scenario``; the domain layer does not import the scenario layer)."""

    @property
    def linkage(self) -> _LinkageFiles | None: ...


@dataclass(frozen=True)
class DataBundle:
    """The text of every data file a scenario's replications read, by ``data_key``."""

    files: tuple[tuple[str, str], ...]

    def get(self, key: str) -> str | None:
        """The text of the file ``key``, or ``None`` if it was not bundled."""
        return dict(self.files).get(key)


_provided: ContextVar[DataBundle | None] = ContextVar("hotline_data_bundle", default=None)


def data_key(path: str | Path) -> str:
    """A shipped data file by its name under ``scenarios/data`` (the same on every machine);
    any other file by the path the scenario gives."""
    resolved = Path(path).resolve()
    if resolved.parent == DATA_DIR.resolve():
        return f"data/{resolved.name}"
    return str(path)


def model_files(scenario: ScenarioFiles) -> list[Path]:
    """The data files a replication of ``scenario`` reads."""
    from sim.domain.taxonomy import DEFAULT_PATH

    files = [DATA_DIR / "regions.yaml"]
    if scenario.linkage is not None:
        files.append(Path(scenario.linkage.diversion_list or DEFAULT_PATH))
    return files


def bundle(scenario: ScenarioFiles) -> DataBundle:
    """Read, on the client, the data files ``scenario``'s replications need."""
    return DataBundle(tuple((data_key(p), read_text(p)) for p in model_files(scenario)))


def read_text(path: str | Path) -> str:
    """The text of a data file: from the bundle ``provided`` in this context if any (and an
    error if it is not in it), else from disk. Raises ``FileNotFoundError``/``OSError`` as
    ``Path.read_text`` does."""
    data = _provided.get()
    if data is None:
        return Path(path).read_text(encoding="utf-8")
    text = data.get(data_key(path))
    if text is None:
        raise InputError(f"data file {data_key(path)!r} was not sent with the task (bundled: "
                         f"{', '.join(k for k, _ in data.files)})", source="cluster worker")
    return text


def current() -> DataBundle | None:
    """The bundle provided in this context, or ``None`` (files are read from disk)."""
    return _provided.get()


@contextmanager
def provided(data: DataBundle | None) -> Iterator[None]:
    """Within the block, data files come from ``data`` (``None``: from disk as usual)."""
    token = _provided.set(data)
    try:
        yield
    finally:
        _provided.reset(token)
