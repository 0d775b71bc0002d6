"""``--set path.to.key=value`` overrides of a scenario, applied before validation."""

from __future__ import annotations

import re
from typing import Any

import yaml

from sim.domain.errors import ScenarioError

INDEX = re.compile(r"[0-9]+|-[1-9][0-9]*")  # a list index: plain digits, or negative from the end


def parse_override(text: str) -> tuple[tuple[str, ...], Any]:
    """Split ``a.b.c=value`` into the key path and the value, typed as YAML types it.

    ``--set centres.622900/110.seats.peak=40`` gives the int 40; the scenario's validation then
    checks it like any key in a file, so a value of the wrong type is an error naming the key.
    """
    if "=" not in text:
        raise ScenarioError(f"expected PATH=VALUE, got {text!r}", source="--set")
    path_text, value_text = text.split("=", 1)
    path = tuple(p for p in path_text.strip().split("."))
    if not path_text.strip() or any(not p for p in path):
        raise ScenarioError(f"empty key in path {path_text!r}", source="--set")
    try:
        value = yaml.safe_load(value_text) if value_text.strip() else ""
    except yaml.YAMLError as exc:
        raise ScenarioError(f"value is not valid YAML: {exc}", source="--set",
                            key=path_text) from None
    return path, value


def apply_override(data: dict[str, Any], path: tuple[str, ...], value: Any,
                   done: tuple[str, ...] = ()) -> dict[str, Any]:
    """A copy of ``data`` with ``value`` set at ``path`` (intermediate mappings created).

    A list is entered by index: ``borrowing.0.enabled=false`` sets ``enabled`` of the first
    entry of ``borrowing`` (``-1`` the last); ``borrowing.enabled``, ``borrowing.+0`` and
    ``borrowing.0_0`` are errors that say so.
    """
    if not path:
        return data
    head, rest = path[0], path[1:]
    out = dict(data)
    if not rest:
        out[head] = value
        return out
    child = out.get(head, {})
    if isinstance(child, list):
        out[head] = _apply_in_list(child, rest, value, (*done, head))
        return out
    if not isinstance(child, dict):
        # A shorthand value (``seats: 3``) is replaced by the mapping the override builds.
        child = {}
    out[head] = apply_override(child, rest, value, (*done, head))
    return out


def created_paths(data: Any, path: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The prefixes of ``path`` that an override creates or turns into a mapping (absent in
    ``data``, or a plain value there): errors at them are the override's, not the file's."""
    out, node = [], data
    for n in range(1, len(path) + 1):
        key = path[n - 1]
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and INDEX.fullmatch(key) and -len(node) <= int(key) < len(
                node):
            node = node[int(key)]
        else:
            return out + [path[:m] for m in range(n, len(path) + 1)]
        if n < len(path) and not isinstance(node, dict | list):
            out.append(path[:n])  # a plain value the override turns into a mapping
            node = {}
    return out


def _apply_in_list(items: list[Any], path: tuple[str, ...], value: Any,
                   done: tuple[str, ...]) -> list[Any]:
    """``items`` with ``path[0]`` read as an index (0-based; negative counts from the end)."""
    where = ".".join(done)
    index_text = path[0]
    if not INDEX.fullmatch(index_text):
        tail = path[1:] if any(ch.isdigit() for ch in index_text) else path  # a typo'd index
        raise ScenarioError(
            f"{where!r} is a list of {len(items)}: give an index, e.g. "
            f"{where}.0.{'.'.join(tail) or '...'} (0 to {len(items) - 1}), a plain whole "
            f"number or -1 for the last; got {index_text!r}", source="--set", key=where)
    index = int(index_text)
    if not -len(items) <= index < len(items):
        raise ScenarioError(f"index {index} is out of range: {where!r} has {len(items)} "
                            f"entr{'y' if len(items) == 1 else 'ies'} (0 to {len(items) - 1})",
                            source="--set", key=where)
    out = list(items)
    rest = path[1:]
    if not rest:
        out[index] = value
    else:
        entry = out[index] if isinstance(out[index], dict) else {}
        out[index] = apply_override(entry, rest, value, (*done, index_text))
    return out
