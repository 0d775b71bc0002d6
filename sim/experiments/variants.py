"""Variants of one scenario run side by side: each the scenario with a list of ``--set``
overrides and the same seed, so replication *i* of every variant uses the same random streams
(common random numbers). ``sim.report.whatif`` and ``sim.report.compare`` format the comparison.

Two sources of variants: the ones a scenario declares (``variants:``, run beside it by
``hotline run``) and ``--variant NAME:PATH=VALUE,...`` options (``hotline compare``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from sim.domain.errors import InputError
from sim.experiments.runner import RunResult, run_scenario
from sim.scenario import Scenario, with_overrides


def run_variants(scenario: Scenario, variants: Sequence[tuple[str, Sequence[str]]], out: Path, *,
                 jobs: int = 1, on_done: Callable | None = None,
                 prefix: str | None = None) -> dict[str, RunResult]:
    """Run each variant ``(name, overrides)`` of the loaded ``scenario`` into ``out/<name>/``.

    A variant is ``with_overrides(scenario, overrides)``: the scenario's file with its own
    ``--set`` overrides, then the variant's, then its ``-r``/``--seed`` (so every variant has
    the same seed). Every variant is loaded (and so validated) before any runs; ``prefix``
    names each run ``<prefix>:<name>`` instead of the scenario's own name.
    """
    names = [n for n, _ in variants]
    if len(set(names)) != len(names):
        raise InputError("variant names must differ", key="--variant")
    prepared = [(n, with_overrides(scenario, o)) for n, o in variants]
    results = {}
    for name, scn in prepared:
        if prefix is not None:
            scn = scn.model_copy(update={"name": f"{prefix}:{name}"})
        results[name] = run_scenario(scn, jobs=jobs, out_dir=out / name, on_done=on_done)
    return results


def run_declared_variants(scenario: Scenario, out_dir: Path, *, jobs: int = 1,
                          on_done: Callable | None = None) -> dict[str, RunResult]:
    """Run each variant the loaded ``scenario`` declares into ``out_dir/variants/<name>/``."""
    declared = [(name, [*sets, "variants={}"]) for name, sets in scenario.variants.items()]
    return run_variants(scenario, declared, out_dir / "variants", jobs=jobs, on_done=on_done,
                        prefix=scenario.name)


def parse_variant(text: str) -> tuple[str, list[str]]:
    """``NAME:PATH=VALUE,PATH=VALUE`` (commas inside [] or {} stay in the value) → name, overrides."""
    name, sep, rest = text.partition(":")
    name = name.strip()
    if not sep or not name or any(ch in name for ch in "/\\=") or name.startswith("."):
        raise InputError(f"expected NAME:PATH=VALUE[,PATH=VALUE...], got {text!r}",
                         key="--variant")
    overrides = [p.strip() for p in split_top_level(rest) if p.strip()]
    for o in overrides:
        if "=" not in o:
            raise InputError(f"expected PATH=VALUE in {text!r}, got {o!r}", key="--variant")
    return name, overrides


def split_top_level(text: str, sep: str = ",") -> list[str]:
    """Split on ``sep`` outside brackets, braces and quotes."""
    parts, depth, quote, cur = [], 0, "", []
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    parts.append("".join(cur))
    return parts
