"""YAML files of the load tester (profiles, SLO files) with key paths and lines in every error."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.domain.errors import InputError
from sim.scenario.yamlsource import read_yaml as read_with_lines


class YamlDoc:
    """A parsed YAML mapping plus the line of every key path, for precise errors."""

    def __init__(self, path: Path, data: dict[str, Any], lines: dict[tuple[str, ...], int]) -> None:
        self.path, self.data, self._lines = path, data, lines

    def error(self, key: Sequence[str | int], message: str) -> InputError:
        """An ``InputError`` naming this file, the dotted key path and its line."""
        parts = tuple(str(k) for k in key)
        line = None
        for n in range(len(parts), -1, -1):
            line = self._lines.get(parts[:n])
            if line is not None:
                break
        return InputError(message, source=self.path, key=".".join(parts) or None, line=line)


def read_yaml(path: str | Path, what: str) -> YamlDoc:
    """Parse a YAML mapping file (``what`` names it in errors, e.g. "endpoint profile")."""
    path = Path(path)
    data, origin = read_with_lines(path, what, InputError)
    return YamlDoc(path, data, {key: line for key, (_, line) in origin.items()})


def check_keys(doc: YamlDoc, key: Sequence[str], mapping: Any, allowed: Sequence[str]) -> None:
    """Reject a non-mapping or an unknown key under ``key``."""
    if not isinstance(mapping, dict):
        raise doc.error(key, f"expected a mapping with keys {', '.join(allowed)}")
    for name in mapping:
        if name not in allowed:
            raise doc.error([*key, name], f"unknown key; expected one of {', '.join(allowed)}")
