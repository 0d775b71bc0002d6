"""Templates of endpoint profiles: strings with ``{placeholders}`` filled from an event.

``{field}`` is an event field or a derived value (``at``, ``deadline_at``, ``token``);
``{kept.NAME}`` a value kept from an earlier response of the same call, ``{kept.NAME@field}``
one of several kept values chosen by an event field (e.g. the order with this ``order_id``).
A trailing ``?`` (``{satisfaction?}``) makes a missing or null value ``null`` instead of an
error. A string that is exactly one placeholder keeps the value's JSON type (``!s`` before
any ``?``, as in ``{call_id!s}``, makes it a string); elsewhere the value is inserted as text. ``{{`` and ``}}`` are literal braces. Templates are compiled once,
when the profile loads, so a typo is reported with its key path before any traffic.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
_NAME = re.compile(r"^(kept\.)?([A-Za-z_][A-Za-z0-9_]*)(@[A-Za-z_][A-Za-z0-9_]*)?(!s)?(\?)?$")


class TemplateError(ValueError):
    """A template that cannot be compiled (the caller adds the key path)."""


class MissingValue(LookupError):
    """A placeholder without a value (an absent event field or kept value)."""


@dataclass(frozen=True)
class Placeholder:
    """One ``{...}``: an event field or a kept value, optionally keyed and optional."""

    name: str
    kept: bool = False
    key_field: str | None = None
    optional: bool = False
    as_text: bool = False

    def lookup(self, scope: Scope) -> Any:
        """The value in ``scope``; ``None`` for a missing optional value."""
        try:
            value = scope.kept_value(self.name, self.key_field) if self.kept else scope.field(self.name)
        except MissingValue:
            if self.optional:
                return None
            raise
        if value is None:
            if self.optional:
                return None
            raise MissingValue(f"{{{self.text}}} is null (write {{{self.text}?}} to allow null)")
        return str(value) if self.as_text else value

    @property
    def text(self) -> str:
        """The placeholder as written, without braces or ``?``."""
        key = f"@{self.key_field}" if self.key_field else ""
        return ("kept." if self.kept else "") + self.name + key


class Scope:
    """What a template is filled from: the event, derived values and the call's kept values."""

    def __init__(self, event: Mapping[str, Any], derived: Callable[[str, Mapping[str, Any]], Any],
                 kept: Mapping[str, Any], values: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self.event, self._derived, self.kept = event, derived, kept
        self.values = values or {}

    def field(self, name: str) -> Any:
        """An event field (through the profile's value map), else a derived value.

        ``MissingValue`` when neither exists.
        """
        if name in self.event:
            value = self.event[name]
            table = self.values.get(name)
            return table.get(str(value), value) if table and value is not None else value
        return self._derived(name, self.event)

    def kept_value(self, name: str, key_field: str | None) -> Any:
        """A kept value, keyed by the event's ``key_field`` when given."""
        if name not in self.kept:
            raise MissingValue(f"nothing kept as {name!r} for this call (its request failed "
                               "or has not happened)")
        value = self.kept[name]
        if key_field is None:
            return value
        key = self.field(key_field)
        if key is None or key not in value:
            raise MissingValue(f"nothing kept as {name!r} for {key_field}={key!r}")
        return value[key]


def parse_placeholder(text: str) -> Placeholder:
    """``kept.order@order_id?`` → ``Placeholder``; ``TemplateError`` when malformed."""
    match = _NAME.match(text.strip())
    if not match:
        raise TemplateError(f"bad placeholder {{{text}}}; expected {{field}}, {{kept.NAME}} or "
                            "{kept.NAME@field}, optionally ending in ?")
    kept, name, key, as_text, optional = match.groups()
    if key and not kept:
        raise TemplateError(f"bad placeholder {{{text}}}: @field only applies to kept values")
    return Placeholder(name, bool(kept), key[1:] if key else None, bool(optional), bool(as_text))


def compile_template(value: Any) -> Any:
    """Compile a YAML value (dict, list, string, scalar) into a renderable tree."""
    if isinstance(value, dict):
        return _Dict({str(k): compile_template(v) for k, v in value.items()})
    if isinstance(value, list):
        return _List([compile_template(v) for v in value])
    if isinstance(value, str):
        return _compile_string(value)
    return _Const(value)


def _compile_string(text: str) -> Any:
    parts: list[str | Placeholder] = []
    position = 0
    for match in _PLACEHOLDER.finditer(text):
        parts.append(text[position:match.start()])
        token = match.group(0)
        parts.append(token[0] if token in ("{{", "}}") else parse_placeholder(match.group(1)))
        position = match.end()
    parts.append(text[position:])
    if "{" in text.replace("{{", "") and not any(isinstance(p, Placeholder) for p in parts):
        raise TemplateError(f"unbalanced brace in {text!r}")
    parts = [p for p in parts if p != ""]
    if len(parts) == 1 and isinstance(parts[0], Placeholder):
        return parts[0]
    if all(isinstance(p, str) for p in parts):
        return _Const("".join(parts))  # type: ignore[arg-type]
    return _Text(tuple(parts))


def placeholders(tree: Any) -> list[Placeholder]:
    """Every placeholder in a compiled tree (for static checks)."""
    if isinstance(tree, Placeholder):
        return [tree]
    if isinstance(tree, _Text):
        return [p for p in tree.parts if isinstance(p, Placeholder)]
    if isinstance(tree, _Dict):
        return [p for v in tree.items.values() for p in placeholders(v)]
    if isinstance(tree, _List):
        return [p for v in tree.items for p in placeholders(v)]
    return []


def render(tree: Any, scope: Scope) -> Any:
    """Fill a compiled tree from ``scope``; ``MissingValue`` names the first missing value."""
    if isinstance(tree, Placeholder):
        return tree.lookup(scope)
    return tree.render(scope)


@dataclass(frozen=True)
class _Const:
    value: Any

    def render(self, scope: Scope) -> Any:
        return self.value


@dataclass(frozen=True)
class _Text:
    parts: tuple[str | Placeholder, ...]

    def render(self, scope: Scope) -> str:
        out = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
            else:
                value = part.lookup(scope)
                out.append("" if value is None else str(value))
        return "".join(out)


@dataclass(frozen=True)
class _Dict:
    items: dict[str, Any]

    def render(self, scope: Scope) -> dict[str, Any]:
        return {k: render(v, scope) for k, v in self.items.items()}


@dataclass(frozen=True)
class _List:
    items: list[Any]

    def render(self, scope: Scope) -> list[Any]:
        return [render(v, scope) for v in self.items]
