"""Reading the diversion list file: YAML with the line of every key, every field checked.

``parse`` turns ``scenarios/data/diversion-list.yaml`` (or a scenario's own list) into the
frozen ``sim.domain.taxonomy.Taxonomy``; every problem raises
:class:`sim.domain.errors.InputError` naming the key path (``categories[3].owner``,
``mix.110.P-CRIME``) and the file line. ``sim.domain.taxonomy.load_taxonomy`` is the entry point.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn

import yaml

from sim.domain import datafiles
from sim.domain.errors import InputError
from sim.domain.lines import UTILITY_LINES
from sim.domain.taxonomy import (
    HANDLINGS,
    KINDS,
    MIX_TOLERANCE,
    NO_OWNER,
    OWNERS,
    TRANSFER_MODES,
    URGENCIES,
    Category,
    Taxonomy,
)

_CODE = re.compile(r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*")
_CODE_MAX = 24


# ---- reading YAML with the line of every key ----

def _child(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _load(text: str, fast: bool = True) -> tuple[yaml.Node | None, Any]:
    """The YAML document's node tree and its data, parsed once: by libyaml where PyYAML has it
    (a model run reads the list on start-up; libyaml parses it some 20 times faster), else,
    and for the error message of a file libyaml rejects, by PyYAML's own parser."""
    loader_class = getattr(yaml, "CSafeLoader", None) if fast else None
    if loader_class is None:
        loader_class = yaml.SafeLoader
    try:
        loader = loader_class(text)
    except yaml.YAMLError:
        if loader_class is yaml.SafeLoader:
            raise
        return _load(text, fast=False)
    try:
        node = loader.get_single_node()
        return node, (None if node is None else loader.construct_document(node))
    except yaml.YAMLError:
        if loader_class is yaml.SafeLoader:
            raise
        return _load(text, fast=False)  # (the same error, as PyYAML words it)
    finally:
        loader.dispose()


class _Source:
    """The parsed file plus the line of every key path, for error messages."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: dict[str, int] = {}
        try:
            text = datafiles.read_text(path)
        except FileNotFoundError:
            raise InputError("file not found", source=path) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read: {exc}", source=path) from None
        try:
            node, self.data = _load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise InputError(f"not valid YAML: {getattr(exc, 'problem', exc)}", source=path,
                             line=mark.line + 1 if mark is not None else None) from None
        if node is not None:
            self._walk(node, "")

    def _walk(self, node: yaml.Node, path: str) -> None:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = str(key_node.value)
                here = _child(path, key)
                self.lines[here] = key_node.start_mark.line + 1
                if key in seen:
                    self.fail("duplicate key", here)
                seen.add(key)
                self._walk(value_node, here)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._walk(item, _child(path, i))

    def fail(self, message: str, key: str) -> NoReturn:
        """Raise an ``InputError`` at ``key`` (the line of the nearest known ancestor)."""
        probe = key
        while probe and probe not in self.lines:
            probe = re.sub(r"(\.[^.\[]*|\[\d+\])$", "", probe)
        raise InputError(message, source=self.path, key=key or None,
                         line=self.lines.get(probe))


# ---- field checks ----

def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _text(src: _Source, value: object, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        src.fail(f"expected a non-empty string, got {value!r}", key)
    return value


def _choice(src: _Source, value: object, key: str, allowed: tuple[str, ...]) -> str:
    # Line ids may be written unquoted (``owner: 110``); YAML reads those as integers.
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if value not in allowed:
        src.fail(f"expected one of {', '.join(allowed)}; got {value!r}", key)
    return str(value)


def _flag(src: _Source, value: object, key: str) -> bool:
    if not isinstance(value, bool):
        src.fail(f"expected true or false, got {value!r}", key)
    return value


def _probability(src: _Source, value: object, key: str) -> float:
    if not _is_number(value) or not 0.0 <= float(value) <= 1.0:
        src.fail(f"expected a probability in [0, 1], got {value!r}", key)
    return float(value)


def _positive(src: _Source, value: object, key: str) -> float:
    if not _is_number(value) or float(value) <= 0.0:
        src.fail(f"expected a positive number, got {value!r}", key)
    return float(value)


def _items(src: _Source, value: object, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        src.fail("expected a non-empty list of example matters (strings)", key)
    return tuple(_text(src, item, _child(key, i)) for i, item in enumerate(value))


def _code(src: _Source, value: object, key: str) -> str:
    text = _text(src, value, key)
    if not _CODE.fullmatch(text) or len(text) > _CODE_MAX:
        src.fail(f"expected an upper-case ASCII code such as P-CRIME (at most {_CODE_MAX} "
                 f"characters), got {text!r}", key)
    return text


_FIELDS: dict[str, Any] = {
    "code": _code,
    "zh": _text,
    "en": _text,
    "items": _items,
    "owner": lambda s, v, k: _choice(s, v, k, OWNERS),
    "kind": lambda s, v, k: _choice(s, v, k, KINDS),
    "urgency": lambda s, v, k: _choice(s, v, k, URGENCIES),
    "handling": lambda s, v, k: _choice(s, v, k, HANDLINGS),
    "transfer_mode": lambda s, v, k: None if v is None else _choice(s, v, k, TRANSFER_MODES),
    "danger": _flag,
    "violent_dispute": _flag,
    "harassment": _flag,
    "outage": _flag,
    "scope_unclear": _probability,
    "department": lambda s, v, k: None if v is None else _text(s, v, k),
    "talk_factor": _positive,
}
_REQUIRED = ("code", "zh", "en", "items", "owner", "kind", "urgency", "handling")


# ---- categories and mix ----

def _category(src: _Source, raw: object, key: str) -> Category:
    if not isinstance(raw, dict):
        src.fail("expected a mapping of category keys (code, zh, en, items, owner, ...)", key)
    for name in raw:
        if name not in _FIELDS:
            src.fail(f"unknown key; expected one of {', '.join(_FIELDS)}", _child(key, str(name)))
    for name in _REQUIRED:
        if name not in raw:
            src.fail(f"missing required key {name!r}", key)
    values = {name: _FIELDS[name](src, value, _child(key, name)) for name, value in raw.items()}
    category = Category(**values)
    _check_rules(src, category, key)
    return category


def _check_rules(src: _Source, c: Category, key: str) -> None:
    """Keys that must agree with each other (the routing rules rely on them)."""
    if c.handling in ("police_order", "dual") and c.owner != "110":
        src.fail(f"handling {c.handling} needs owner 110, got {c.owner}", _child(key, "handling"))
    if c.handling == "dispatch" and c.owner not in ("119", "120", "122", *UTILITY_LINES):
        src.fail("handling dispatch needs owner 119, 120, 122 or a utility line",
                 _child(key, "handling"))
    if (c.handling == "guidance") != (c.kind == "out_of_scope"):
        src.fail("handling guidance goes with kind out_of_scope and only with it",
                 _child(key, "handling"))
    if c.out_of_scope and c.handling not in ("guidance", "resolve"):
        src.fail("owner none needs handling guidance or resolve", _child(key, "handling"))
    if c.out_of_scope and c.transfer_mode is not None:
        src.fail("owner none is never transferred: expected transfer_mode null",
                 _child(key, "transfer_mode"))
    if not c.out_of_scope and c.transfer_mode is None:
        src.fail(f"expected one of {', '.join(TRANSFER_MODES)} for a category owned by a line",
                 _child(key, "transfer_mode"))
    if c.violent_dispute and c.handling != "dual":
        src.fail("violent_dispute needs handling dual (S8)", _child(key, "violent_dispute"))
    if c.harassment and c.kind != "harassment":
        src.fail("harassment: true needs kind harassment", _child(key, "harassment"))
    if c.handling in ("work_order", "dual") and c.department is None:
        src.fail(f"handling {c.handling} needs a department", _child(key, "department"))


def _categories(src: _Source, raw: object) -> dict[str, Category]:
    if not isinstance(raw, list) or not raw:
        src.fail("expected a non-empty list of categories", "categories")
    out: dict[str, Category] = {}
    for i, item in enumerate(raw):
        category = _category(src, item, _child("categories", i))
        if category.code in out:
            src.fail(f"duplicate code {category.code}", _child(_child("categories", i), "code"))
        out[category.code] = category
    return out


def _line_mix(src: _Source, raw: object, key: str, codes: Mapping[str, Category]
              ) -> dict[str, float]:
    if not isinstance(raw, dict) or not raw:
        src.fail("expected a mapping of category code to weight", key)
    weights: dict[str, float] = {}
    for code, weight in raw.items():
        here = _child(key, str(code))
        if str(code) not in codes:
            src.fail("unknown category code; expected one listed under categories", here)
        if not _is_number(weight) or weight < 0:
            src.fail(f"expected a non-negative weight, got {weight!r}", here)
        weights[str(code)] = float(weight)
    total = sum(weights.values())
    if abs(total - 1.0) > MIX_TOLERANCE:
        src.fail(f"weights sum to {total:.6g}; expected 1 (within {MIX_TOLERANCE:g})", key)
    return weights


def _mix(src: _Source, raw: object, codes: Mapping[str, Category]) -> dict[str, dict[str, float]]:
    if not isinstance(raw, dict) or not raw:
        src.fail("expected a mapping of line to category weights", "mix")
    lines = tuple(o for o in OWNERS if o != NO_OWNER)
    out: dict[str, dict[str, float]] = {}
    for line, weights in raw.items():
        key = _child("mix", str(line))
        _choice(src, line, key, lines)
        out[str(line)] = _line_mix(src, weights, key, codes)
    return out


def parse(path: Path) -> Taxonomy:
    """Read and validate the diversion list at ``path`` (or its bundled text in a cluster
    task); raise ``InputError`` at the key path and line of the first problem."""
    src = _Source(path)
    if not isinstance(src.data, dict):
        src.fail("expected a mapping with keys categories and mix at the top level", "")
    for key in src.data:
        if key not in ("categories", "mix"):
            src.fail("unknown key; expected categories or mix", str(key))
    for key in ("categories", "mix"):
        if key not in src.data:
            src.fail(f"missing required key {key!r}", "")
    categories = _categories(src, src.data["categories"])
    mix = _mix(src, src.data["mix"], categories)
    return Taxonomy(
        categories=MappingProxyType(categories),
        raw_mix=MappingProxyType({k: MappingProxyType(v) for k, v in mix.items()}),
        source=str(path),
    )
