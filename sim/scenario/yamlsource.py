"""Reading YAML while remembering where each key came from (file and line).

Errors about a scenario name the key path and, where possible, the file line, so this module
keeps a map ``key path -> (file, line)`` next to the plain data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sim.domain.errors import InputError, ScenarioError

Origin = dict[tuple[str, ...], tuple[str, int]]
"""Key path (as a tuple of str keys / list indices) → (file, 1-based line)."""


def _walk(node: yaml.Node, path: tuple[str, ...], source: str, origin: Origin) -> None:
    origin[path] = (source, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = str(key_node.value)
            origin[(*path, key)] = (source, key_node.start_mark.line + 1)
            _walk(value_node, (*path, key), source, origin)
            origin[(*path, key)] = (source, key_node.start_mark.line + 1)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, str(i)), source, origin)


def stringify_keys(value: Any) -> Any:
    """Mapping keys as strings, so ``110:`` and ``"110":`` mean the same line."""
    if isinstance(value, dict):
        return {str(k): stringify_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [stringify_keys(v) for v in value]
    return value


def read_yaml(path: Path, what: str = "scenario",
              error: type[InputError] = ScenarioError) -> tuple[dict[str, Any], Origin]:
    """Parse one YAML mapping file; return the data (string keys) and where each key stands.

    ``what`` names the kind of file in messages; ``error`` is the exception type raised.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"file not found (the {what})", source=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"cannot read the {what}: {exc}", source=path) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise error(f"not valid YAML: {getattr(exc, 'problem', None) or exc}", source=path,
                    line=line) from None
    if not isinstance(data, dict):
        raise error(f"expected a mapping at the top level of the {what}", source=path, line=1)
    origin: Origin = {}
    if node is not None:
        _walk(node, (), str(path), origin)
    return stringify_keys(data), origin


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` laid on ``base``: mappings merge key by key, anything else is replaced."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out
