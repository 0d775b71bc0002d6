"""``--set path.to.key=value`` overrides of a scenario, applied before validation."""

from __future__ import annotations

from typing import Any

import yaml

from sim.errors import ScenarioError


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


def apply_override(data: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """A copy of ``data`` with ``value`` set at ``path`` (intermediate mappings created)."""
    if not path:
        return data
    head, rest = path[0], path[1:]
    out = dict(data)
    if not rest:
        out[head] = value
        return out
    child = out.get(head, {})
    if isinstance(child, list):
        child = {str(i): v for i, v in enumerate(child)}
        updated = apply_override(child, rest, value)
        out[head] = [updated[str(i)] for i in range(len(updated))] if all(
            k.isdigit() for k in updated) else updated
        return out
    if not isinstance(child, dict):
        # A shorthand value (``seats: 3``) is replaced by the mapping the override builds.
        child = {}
    out[head] = apply_override(child, rest, value)
    return out
