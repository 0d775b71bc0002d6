"""YAML files of the load tester (profiles, SLO files) with key paths and lines in every error."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from sim.errors import InputError


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


def _walk(node: yaml.Node, path: tuple[str, ...], lines: dict[tuple[str, ...], int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            _walk(value_node, (*path, str(key_node.value)), lines)
            lines[(*path, str(key_node.value))] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, str(index)), lines)


def _string_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _string_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_string_keys(v) for v in value]
    return value


def read_yaml(path: str | Path, what: str) -> YamlDoc:
    """Parse a YAML mapping file (``what`` names it in errors, e.g. "endpoint profile")."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read the {what}: {exc.strerror or exc}", source=path) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(f"not valid YAML: {getattr(exc, 'problem', None) or exc}", source=path,
                         line=mark.line + 1 if mark is not None else None) from None
    if not isinstance(data, dict):
        raise InputError(f"expected a mapping at the top level of the {what}", source=path, line=1)
    lines: dict[tuple[str, ...], int] = {}
    if node is not None:
        _walk(node, (), lines)
    return YamlDoc(path, _string_keys(data), lines)


def check_keys(doc: YamlDoc, key: Sequence[str], mapping: Any, allowed: Sequence[str]) -> None:
    """Reject a non-mapping or an unknown key under ``key``."""
    if not isinstance(mapping, dict):
        raise doc.error(key, f"expected a mapping with keys {', '.join(allowed)}")
    for name in mapping:
        if name not in allowed:
            raise doc.error([*key, name], f"unknown key; expected one of {', '.join(allowed)}")
