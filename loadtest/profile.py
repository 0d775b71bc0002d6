"""Endpoint profiles: how each trace event becomes HTTP requests (docs/loadtest.md).

A profile (YAML) maps an event kind to one request or a list of requests sent one after the
other: method, path and JSON body templates, headers, the statuses that count as success, and
what to keep from the response for the call's later requests. Loading checks every key and
compiles every template; :meth:`Profile.check_trace` then fills each request of a trace with
stand-in kept values, so a field the trace lacks is reported before any traffic.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from loadtest.template import (
    MissingValue,
    Placeholder,
    Scope,
    TemplateError,
    compile_template,
    placeholders,
    render,
)
from loadtest.trace import EVENT_KINDS, Event, Trace
from loadtest.yamlfile import YamlDoc, check_keys, read_yaml
from sim.domain.errors import InputError

PROFILES_DIR = Path(__file__).resolve().parent / "profiles"
DEFAULT_PROFILE = PROFILES_DIR / "reference.yaml"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")
TOP_KEYS = ("version", "description", "headers", "tokens", "values", "events")
REQUEST_KEYS = ("name", "method", "path", "body", "headers", "keep", "expect", "when")


@dataclass(frozen=True)
class KeepRule:
    """Keep ``path`` of the JSON response as ``name`` (per ``key_field`` value when given)."""

    name: str
    key_field: str | None
    path: tuple[str, ...]

    def extract(self, document: Any) -> Any:
        """The value at ``path``; ``KeyError`` when the response lacks it."""
        value = document
        for part in self.path:
            if isinstance(value, list) and part.isdigit() and int(part) < len(value):
                value = value[int(part)]
            elif isinstance(value, dict) and part in value:
                value = value[part]
            else:
                raise KeyError(".".join(self.path))
        return value


@dataclass(frozen=True)
class RequestSpec:
    """One request of an event kind, with compiled templates."""

    name: str
    method: str
    path: Any
    body: Any
    headers: Any
    keep: tuple[KeepRule, ...]
    expect: frozenset[int] | None
    when: tuple[tuple[str, frozenset[str | None]], ...] = ()

    def applies(self, event: Event) -> bool:
        """Whether the event's fields have the values ``when`` allows (always, without ``when``)."""
        for name, allowed in self.when:
            value = event.get(name)
            if (None if value is None else str(value)) not in allowed:
                return False
        return True

    def succeeded(self, status: int) -> bool:
        """Whether ``status`` counts as success (any 2xx unless ``expect`` lists statuses)."""
        return status in self.expect if self.expect else 200 <= status < 300


@dataclass(frozen=True)
class Prepared:
    """A filled request, ready to send."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None


@dataclass(frozen=True)
class Profile:
    """A loaded endpoint profile."""

    source: str
    requests: dict[str, tuple[RequestSpec, ...]]
    tokens: dict[str, str]
    values: dict[str, dict[str, Any]] = field(default_factory=dict)

    def specs(self, kind: str) -> tuple[RequestSpec, ...]:
        """The requests for an event kind (empty when the profile does not map it)."""
        return self.requests.get(kind, ())

    def specs_for(self, event: Event) -> tuple[RequestSpec, ...]:
        """The requests of one event: those of its kind whose ``when`` it meets."""
        specs = self.requests.get(event["kind"], ())
        if any(spec.when for spec in specs):
            return tuple(spec for spec in specs if spec.applies(event))
        return specs

    def count(self, events: list[Event]) -> int:
        """How many requests ``events`` make."""
        return sum(len(self.specs_for(event)) for event in events)

    def request_names(self) -> list[str]:
        """Every request name, in profile order (the request kinds of SLO files)."""
        return [spec.name for specs in self.requests.values() for spec in specs]

    def scope(self, event: Event, kept: dict[str, Any], start: datetime | None) -> Scope:
        """The values ``event``'s templates are filled from."""
        return Scope(event, lambda name, ev: self._derived(name, ev, start), kept, self.values)

    def _derived(self, name: str, event: Event, start: datetime | None) -> Any:
        if name == "token":
            if event["line"] not in self.tokens:
                raise MissingValue(f"no token for line {event['line']} under 'tokens' in {self.source}")
            return self.tokens[event["line"]]
        if name in ("at", "deadline_at"):
            offset = event.get("t" if name == "at" else "deadline")
            if offset is None or start is None:
                raise MissingValue(f"{{{name}}} needs the trace header's start and the event time")
            return (start + timedelta(seconds=offset)).isoformat()
        raise MissingValue(f"the event has no field {name!r}")

    def prepare(self, spec: RequestSpec, scope: Scope) -> Prepared:
        """Fill ``spec`` for one event; ``MissingValue`` when a value is missing."""
        headers = {k: "" if v is None else str(v) for k, v in render(spec.headers, scope).items()}
        body = None
        if spec.body is not None:
            body = json.dumps(render(spec.body, scope), separators=(",", ":")).encode()
            headers.setdefault("Content-Type", "application/json")
        return Prepared(spec.method, str(render(spec.path, scope)), headers, body)

    def check_trace(self, trace: Trace) -> int:
        """Fill every request of ``trace`` with stand-in kept values; return the request count.

        Raises ``InputError`` naming the trace line and the profile request on the first event
        whose request cannot be filled.
        """
        start = trace_start(trace)
        count = 0
        for index, event in enumerate(trace.events):
            for spec in self.specs_for(event):
                try:
                    self.prepare(spec, self.scope(event, _ANY_KEPT, start))
                except MissingValue as exc:
                    raise InputError(f"request {spec.name!r} of profile {self.source} cannot be "
                                     f"filled: {exc}", source=trace.path, line=index + 2,
                                     key=event["kind"]) from None
                count += 1
        return count


class _AnyKey(dict):
    """Stands in for a keyed kept value during the dry run."""

    def __contains__(self, key: object) -> bool:
        return True

    def __getitem__(self, key: Any) -> str:
        return "0"


_ANY_KEPT = type("_AnyKept", (dict,), {"__contains__": lambda self, key: True,
                                       "__getitem__": lambda self, key: _AnyKey()})()


def trace_start(trace: Trace) -> datetime | None:
    """The trace header's start as a datetime (None when absent or malformed)."""
    try:
        return datetime.fromisoformat(trace.header.start) if trace.header.start else None
    except ValueError:
        return None


def load_profile(path: str | Path | None = None) -> Profile:
    """Load and check a profile (the reference server's by default); ``InputError`` on a problem."""
    doc = read_yaml(path or DEFAULT_PROFILE, "endpoint profile")
    data = {k: v for k, v in doc.data.items() if not k.startswith("x-")}  # x-*: free, for anchors
    check_keys(doc, [], data, TOP_KEYS)
    if data.get("version", 1) != 1:
        raise doc.error(["version"], "unsupported profile version; expected 1")
    tokens = data.get("tokens") or {}
    check_keys(doc, ["tokens"], tokens, list(tokens))
    if not all(isinstance(v, str) for v in tokens.values()):
        raise doc.error(["tokens"], "expected a mapping of line to token string")
    events = data.get("events")
    if not isinstance(events, dict) or not events:
        raise doc.error(["events"], "expected a mapping of event kind to request(s)")
    requests = {}
    for kind, value in events.items():
        if kind not in EVENT_KINDS:
            raise doc.error(["events", kind], f"unknown event kind; expected one of {', '.join(EVENT_KINDS)}")
        items = value if isinstance(value, list) else [value]
        requests[kind] = tuple(
            _request(doc, ["events", kind, *([str(i)] if isinstance(value, list) else [])], item,
                     data.get("headers") or {}, f"{kind}.{i + 1}" if len(items) > 1 else kind)
            for i, item in enumerate(items))
    values = data.get("values") or {}
    check_keys(doc, ["values"], values, list(values))
    for name, table in values.items():
        if not isinstance(table, dict):
            raise doc.error(["values", name], "expected a mapping of trace value to request value")
    profile = Profile(str(doc.path), requests, dict(tokens), values)
    _check_kept_names(doc, profile)
    return profile


def _request(doc: YamlDoc, key: list[str], item: Any, common_headers: Any, default_name: str) -> RequestSpec:
    check_keys(doc, key, item, REQUEST_KEYS)
    method = str(item.get("method", "")).upper()
    if method not in METHODS:
        raise doc.error([*key, "method"], f"expected one of {', '.join(METHODS)}")
    path = item.get("path")
    if not isinstance(path, str) or not path.startswith("/"):
        raise doc.error([*key, "path"], "expected a path starting with /")
    headers = {**_mapping(doc, ["headers"], common_headers), **_mapping(doc, [*key, "headers"], item.get("headers") or {})}
    expect = item.get("expect")
    if expect is not None and not (isinstance(expect, list) and expect
                                   and all(isinstance(s, int) and 100 <= s < 600 for s in expect)):
        raise doc.error([*key, "expect"], "expected a list of HTTP status codes")
    return RequestSpec(
        name=str(item.get("name") or default_name), method=method,
        path=_compile(doc, [*key, "path"], path), body=_compile(doc, [*key, "body"], item.get("body")) if "body" in item else None,
        headers=_compile(doc, [*key, "headers"], headers),
        keep=_keep_rules(doc, [*key, "keep"], item.get("keep") or {}),
        expect=frozenset(expect) if expect else None,
        when=_when(doc, [*key, "when"], item.get("when") or {}),
    )


def _when(doc: YamlDoc, key: list[str], when: Any) -> tuple[tuple[str, frozenset[str | None]], ...]:
    if not isinstance(when, dict) or not all(isinstance(v, list) and v for v in when.values()):
        raise doc.error(key, "expected a mapping of event field to a list of allowed values")
    return tuple((str(name), frozenset(None if v is None else str(v) for v in values))
                 for name, values in when.items())


def _mapping(doc: YamlDoc, key: list[str], value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise doc.error(key, "expected a mapping of header name to value")
    return value


def _compile(doc: YamlDoc, key: list[str], value: Any) -> Any:
    try:
        return compile_template(value)
    except TemplateError as exc:
        raise doc.error(key, str(exc)) from None


def _keep_rules(doc: YamlDoc, key: list[str], keep: Any) -> tuple[KeepRule, ...]:
    if not isinstance(keep, dict):
        raise doc.error(key, "expected a mapping NAME: response.field (NAME@event_field for several)")
    rules = []
    for target, source in keep.items():
        name, _, key_field = str(target).partition("@")
        if not name.isidentifier() or (key_field and not key_field.isidentifier()):
            raise doc.error([*key, target], "expected NAME or NAME@event_field as the key")
        if not isinstance(source, str | int) or not str(source):
            raise doc.error([*key, target], "expected a response field path like id or data.id")
        rules.append(KeepRule(name, key_field or None, tuple(str(source).split("."))))
    return tuple(rules)


def _check_kept_names(doc: YamlDoc, profile: Profile) -> None:
    kept = {rule.name: rule.key_field is not None
            for specs in profile.requests.values() for spec in specs for rule in spec.keep}
    for kind, specs in profile.requests.items():
        for spec in specs:
            for holder in _all_placeholders(spec):
                if not holder.kept:
                    continue
                if holder.name not in kept:
                    raise doc.error(["events", kind], f"{{{holder.text}}}: no request keeps {holder.name!r}")
                if kept[holder.name] != (holder.key_field is not None):
                    form = f"kept.{holder.name}@FIELD" if kept[holder.name] else f"kept.{holder.name}"
                    raise doc.error(["events", kind], f"{{{holder.text}}}: {holder.name!r} is kept "
                                    f"as {{{form}}}")


def _all_placeholders(spec: RequestSpec) -> list[Placeholder]:
    return placeholders(spec.path) + placeholders(spec.body) + placeholders(spec.headers)
