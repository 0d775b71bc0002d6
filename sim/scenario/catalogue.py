"""The built-in scenarios: every ``scenarios/*.yaml`` and ``scenarios/validation/*.yaml``."""

from __future__ import annotations

from sim.domain.paths import SCENARIOS_DIR


def _first_comment(path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            return line.lstrip("# ").strip()
        if line.startswith("description:"):
            return line.split(":", 1)[1].strip().strip("\"'")
    return ""


def builtin_scenarios() -> list[tuple[str, str]]:
    """(name, one-line description) of each built-in scenario; bases (``_*.yaml``) left out."""
    rows = []
    for folder, prefix in ((SCENARIOS_DIR, ""), (SCENARIOS_DIR / "validation", "validation/")):
        for path in sorted(folder.glob("*.yaml")):
            if path.name.startswith("_") or path.name == "cases.yaml":
                continue
            rows.append((prefix + path.stem, _first_comment(path)))
    return rows
