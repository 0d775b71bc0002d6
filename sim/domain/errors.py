"""Errors for bad input. The command line turns every ``InputError`` into exit code 2."""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """Bad input from a user's file or argument: names the source, the key path and what was expected.

    ``source`` is the file (or ``--set``/argument name), ``key`` the dotted key path (or row and
    column), ``line`` the 1-based file line when known.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | Path | None = None,
        key: str | None = None,
        line: int | None = None,
    ) -> None:
        self.message = message
        self.source = str(source) if source is not None else None
        self.key = key
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.source:
            where = self.source + (f":{self.line}" if self.line else "")
        if self.key:
            where = f"{where}: {self.key}" if where else self.key
        return f"{where}: {self.message}" if where else self.message


class ScenarioError(InputError):
    """A scenario file (or an override of it) is invalid."""


class SimulationError(RuntimeError):
    """The model broke one of its own invariants (an event in the past, a seat over-used):
    a bug in hotline-sim, never bad input."""
