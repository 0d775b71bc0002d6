"""Load a scenario: read YAML (following ``extends:``), apply ``--set`` overrides, validate once.

Everything downstream receives the frozen ``Scenario``; nothing else reads raw scenario dicts.
The scenario remembers its file and overrides (``Scenario.provenance``), so ``with_overrides``
derives a variant or a sweep point from the loaded object, never from a path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sim.domain.errors import ScenarioError
from sim.domain.paths import SCENARIOS_DIR
from sim.domain.regions import load_regions
from sim.scenario.overrides import apply_override, created_paths, parse_override
from sim.scenario.schema import Provenance, Scenario
from sim.scenario.yamlsource import Origin, deep_merge, read_yaml

MAX_EXTENDS = 10


def resolve_path(name_or_path: str | Path) -> Path:
    """A scenario file from a path, or from a built-in name such as ``gansu-baseline``."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    for candidate in (SCENARIOS_DIR / f"{name_or_path}.yaml",
                      SCENARIOS_DIR / "validation" / f"{name_or_path}.yaml"):
        if candidate.exists():
            return candidate
    raise ScenarioError("no such scenario file or built-in scenario name "
                        "(see `hotline scenarios`)", source=str(name_or_path))


def read_with_extends(path: Path, seen: tuple[Path, ...] = ()) -> tuple[dict[str, Any], Origin]:
    """The file's data laid over the file it ``extends`` (recursively), with key origins."""
    path = path.resolve() if path.exists() else path
    if path in seen:
        raise ScenarioError("extends forms a cycle", source=path, key="extends")
    if len(seen) > MAX_EXTENDS:
        raise ScenarioError(f"more than {MAX_EXTENDS} levels of extends", source=path)
    data, origin = read_yaml(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data, origin
    if not isinstance(parent, str):
        raise ScenarioError("expected a file name (relative to this file) or a built-in name",
                            source=path, key="extends", line=origin.get(("extends",), ("", 0))[1])
    parent_path = path.parent / parent
    if not parent_path.exists():
        parent_path = resolve_path(parent)
    base, base_origin = read_with_extends(parent_path, (*seen, path))
    return deep_merge(base, data), {**base_origin, **origin}


def load_scenario(name_or_path: str | Path, overrides: Iterable[str] = (), *,
                  replications: int | None = None, seed: int | None = None) -> Scenario:
    """Read, merge, override and validate a scenario; raise ``ScenarioError`` on any problem.

    ``replications`` and ``seed`` (``-r``, ``--seed``) are applied after the overrides, as
    ``replications=N`` and ``seed=N``. The scenario records where it came from
    (``Scenario.provenance``), so :func:`with_overrides` can load a variant of it.
    """
    path = resolve_path(name_or_path)
    sets = tuple(overrides)
    data, origin = read_with_extends(path)
    scenario = _validate(data, origin, [*sets, *_options(replications, seed)], path, path.stem)
    scenario._provenance = Provenance(path, sets, replications, seed)
    return scenario


def with_overrides(scenario: Scenario, overrides: Iterable[str] = (), *,
                   replications: int | None = None, seed: int | None = None) -> Scenario:
    """``scenario`` with more ``--set`` overrides (and ``-r``/``--seed``, if given, in place of
    its own), validated as a whole: a variant, or a point of a sweep.

    A loaded scenario is loaded again from its file with its own overrides, then these, then
    ``-r``/``--seed``: the same object, and the same error messages (file, key path, line), as
    loading it with all of them at once. One built in code, or changed by ``model_copy``
    since it was loaded, has no file: its fields are the base (as ``scenario.resolved.yaml``
    holds them), and an error names the override or the key path in it.
    """
    more = list(overrides)
    known = scenario.provenance
    if known is not None:
        return load_scenario(known.source, [*known.overrides, *more],
                             replications=known.replications if replications is None
                             else replications,
                             seed=known.seed if seed is None else seed)
    data = scenario.model_dump(mode="json", by_alias=True)
    return _validate(data, {}, [*more, *_options(replications, seed)],
                     f"scenario {scenario.name!r} (built in code)", scenario.name)


def _options(replications: int | None, seed: int | None) -> list[str]:
    """``-r`` and ``--seed`` as the overrides they are."""
    return [*([f"replications={replications}"] if replications is not None else []),
            *([f"seed={seed}"] if seed is not None else [])]


def _validate(data: dict[str, Any], origin: Origin, overrides: Iterable[str],
              path: Path | str, name: str) -> Scenario:
    """``data`` with the overrides applied, validated and cross-checked; errors located by
    ``origin`` (a key an override set or created is the override's), else at ``path``;
    ``name`` is the scenario's name when neither gives one."""
    for text in overrides:
        key_path, value = parse_override(text)
        created = created_paths(data, key_path)
        data = apply_override(data, key_path, value)
        for known in [k for k in origin if k[: len(key_path)] == key_path]:
            del origin[known]
        for made in [*created, key_path]:
            origin[made] = ("--set", 0)
    data.setdefault("name", name)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise _from_validation(exc, data, origin, path) from None
    check_cross_references(scenario, origin, path)
    return scenario


def _key_path(loc: tuple[Any, ...]) -> tuple[str, ...]:
    """The error location as key names (drops pydantic's union and validator tags)."""
    return tuple(str(part) for part in loc if not _is_tag(str(part)))


def _is_tag(part: str) -> bool:
    """Pydantic's tags for union members and validators, which are not keys of the file."""
    return part in {"exponential", "lognormal", "gamma", "deterministic", "empirical", "none"} \
        or part.startswith(("function-", "tagged-union", "union["))


def _where(keys: tuple[str, ...], origin: Origin, path: Path | str,
           ) -> tuple[str, int | None]:
    for n in range(len(keys), -1, -1):
        if keys[:n] in origin:
            source, line = origin[keys[:n]]
            return source, (line or None)
    return str(path), None


def _from_validation(exc: ValidationError, data: Any, origin: Origin,
                     path: Path | str) -> ScenarioError:
    """The first problem as the error (file, line, key path), the others listed after it."""
    located = []
    for err in exc.errors():
        keys = _key_path(err["loc"])
        source, line = _where(keys, origin, path)
        located.append((source, line, ".".join(keys) or "(top level)", _explain(err)))
    source, line, key, message = located[0]
    also = [f"{s}{':' + str(n) if n else ''}: {k}: {m}" for s, n, k, m in located[1:]]
    if also:
        message += "\n  also: " + "\n  also: ".join(also)
    return ScenarioError(message, source=source, key=key, line=line)


def _explain(err: dict[str, Any]) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return "unknown key (not part of the scenario format; check its spelling)"
    if kind == "missing":
        return "required key is missing"
    ctx = err.get("ctx") or {}
    msg = str(err["msg"]).removeprefix("Value error, ")
    if "input" in err and kind not in ("model_type",) and not isinstance(err["input"], dict):
        return f"{msg} (got {err['input']!r})"
    return msg if not ctx.get("expected") else f"expected {ctx['expected']} ({msg})"


def check_cross_references(scenario: Scenario, origin: Origin, path: Path | str) -> None:
    """Checks between fields: centre keys, region codes, lines, schedules covering the horizon."""
    regions = load_regions()

    def fail(keys: tuple[str, ...], message: str) -> None:
        source, line = _where(keys, origin, path)
        raise ScenarioError(message, source=source, key=".".join(keys), line=line)

    for key, centre in scenario.centres.items():
        region, sep, line = key.partition("/")
        if not sep:
            fail(("centres", key), 'expected a key "REGION/LINE", e.g. "622900/110"')
        if region not in regions:
            fail(("centres", key), f"region code {region!r} does not exist "
                 "(expected a GB/T 2260 code from scenarios/data/regions.yaml)")
        if line not in scenario.lines:
            fail(("centres", key), f"line {line!r} has no entry under lines: "
                 f"(defined: {', '.join(scenario.lines)})")
        hourly = centre.seats.hourly
        if hourly is not None and len(hourly) not in (24, 168) \
                and len(hourly) < scenario.horizon_whole_hours:
            fail(("centres", key, "seats", "hourly"),
                 f"the seat schedule has {len(hourly)} hours but the horizon needs "
                 f"{scenario.horizon_whole_hours} (or give 24 values to repeat daily, 168 weekly)")


    check_disaster_references(scenario, origin, path, fail)


def check_disaster_references(scenario: Scenario, origin: Origin, path: Path | str,
                              fail) -> None:
    """Region codes, lines and centre keys named by disasters, outages, borrowing and the bot."""
    regions = load_regions()
    lines = set(scenario.lines)
    for i, disaster in enumerate(scenario.disasters):
        for code in disaster.regions:
            if code not in regions:
                fail(("disasters", str(i), "regions", code),
                     f"region code {code!r} does not exist (scenarios/data/regions.yaml)")
        for line in disaster.lines:
            if line not in lines:
                fail(("disasters", str(i), "lines", line), f"line {line!r} is not defined")
    for i, outage in enumerate(scenario.outages):
        for key in (outage.centre, *outage.fallback):
            if key not in scenario.centres:
                fail(("outages", str(i)), f"no centre {key!r} in centres:")
    for i, spec in enumerate(scenario.borrowing):
        if spec.line not in lines:
            fail(("borrowing", str(i), "line"), f"line {spec.line!r} is not defined")
    for key, keys in (("incidents", scenario.incidents), ("bot", scenario.bot.lines
                                                          if scenario.bot else ())):
        for line in keys:
            if line not in lines:
                fail((key, line), f"line {line!r} is not defined")
    for w in scenario.kpi_windows:
        if w.end_hours <= w.start_hours:
            fail(("kpi_windows",), f"window {w.name!r} ends before it starts")


# libyaml's emitter writes the text of PyYAML's pure-Python one three to four times faster, but
# the two disagree on a few characters (outside the Basic Multilingual Plane, NEL, the BOM, the
# line and paragraph separators, tabs and carriage returns), on keys of 128 bytes or more, the
# empty key and keys over several lines, and on how a long double-quoted string is folded
# (PyYAML double-quotes a string with a space beside a line break).
# It is used only when every string avoids those: then both give the same bytes.
_FAST_DUMPER = getattr(yaml, "CSafeDumper", None)
_PLAIN_TEXT = re.compile("[\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]*")
_SHORT_KEY = 127  # bytes of UTF-8


def _agreed(data: object) -> bool:
    """Whether libyaml and PyYAML write ``data`` (JSON-like values) alike: every string is
    plain text as ``_PLAIN_TEXT`` has it with no space beside a line break, every key a short,
    non-empty, one-line string."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if not isinstance(key, str) or not key or "\n" in key \
                        or len(key.encode("utf-8")) > _SHORT_KEY:
                    return False
                stack += (key, value)
        elif isinstance(item, list):
            stack += item
        elif isinstance(item, str) and (not _PLAIN_TEXT.fullmatch(item) or " \n" in item
                                        or "\n " in item):
            return False  # (a space beside a line break: PyYAML double-quotes, folds apart)
    return True


def dump_resolved(scenario: Scenario) -> str:
    """The scenario as it was run, as YAML (every default filled in; ``dump_yaml``)."""
    return dump_yaml(scenario.model_dump(mode="json", by_alias=True))


def dump_yaml(data: object) -> str:
    """``yaml.safe_dump(data, allow_unicode=True, sort_keys=False)`` for JSON-like ``data``,
    through libyaml when that gives the same text (see ``_agreed``)."""
    dumper = _FAST_DUMPER if _FAST_DUMPER is not None and _agreed(data) else yaml.SafeDumper
    return yaml.dump(data, Dumper=dumper, allow_unicode=True, sort_keys=False)
