"""The layers of docs/architecture.md, checked: every import in ``sim/``, ``loadtest/`` and
``cli.py`` points down a layer, never up, never sideways between sibling layers.

Every import counts: module level, inside functions (lazy imports), under ``TYPE_CHECKING``
(a type-only import that points up still couples the layers) and by name through
``importlib.import_module("...")`` or ``__import__("...")``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Lowest first. A module may import its own layer and any layer of a lower rank; layers of
# equal rank (siblings) may not import each other.
LAYERS: tuple[tuple[int, str], ...] = (
    (0, "sim.domain"),
    (1, "sim.queueing"),
    (2, "sim.scenario"),
    (3, "sim.model"),
    (4, "sim.results"),
    (5, "sim.experiments"),
    (6, "sim.planning"),
    (7, "sim.report"),
    (8, "sim.drill"),
    (8, "sim.bench"),
    (9, "sim.commands"),
    (10, "loadtest"),
    (11, "cli"),
)


def layer_of(module: str) -> tuple[int, str] | None:
    """The (rank, layer) a dotted module name belongs to, or None outside the project."""
    best = None
    for rank, name in LAYERS:
        if (module == name or module.startswith(name + ".")) and (
                best is None or len(name) > len(best[1])):
            best = (rank, name)
    return best


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) of every project import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            # ``from sim import erlang`` imports the module sim.erlang
            found.extend((node.lineno, f"{target}.{a.name}") for a in node.names)
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, a.name) for a in node.names)
        elif isinstance(node, ast.Call) and _dynamic_import(node):
            found.append((node.lineno, node.args[0].value))
    return [(line, m) for line, m in found if layer_of(m) is not None]


def _dynamic_import(node: ast.Call) -> bool:
    """``importlib.import_module("x")``, ``import_module("x")`` or ``__import__("x")``."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return (name in ("import_module", "__import__") and bool(node.args)
            and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str))


def project_files() -> list[Path]:
    files = sorted((ROOT / "sim").rglob("*.py")) + sorted((ROOT / "loadtest").rglob("*.py"))
    return [*files, ROOT / "cli.py"]


def violations() -> list[str]:
    found = []
    for path in project_files():
        if module_name(path) == "sim":  # the bare package: must stay empty
            assert not imports_of(path), "sim/__init__.py imports nothing (it has no layer)"
            continue
        own = layer_of(module_name(path))
        if own is None:
            found.append(f"{path.relative_to(ROOT)}: in no layer of tests/test_architecture.py")
            continue
        for line, target in imports_of(path):
            other = layer_of(target)
            if other is None or other[1] == own[1]:
                continue
            if other[0] >= own[0]:
                how = "sideways to a sibling" if other[0] == own[0] else "up"
                found.append(f"{path.relative_to(ROOT)}:{line}: {own[1]} imports {target} "
                             f"({how}: {other[1]})")
    return found


def test_every_import_points_down_a_layer():
    assert violations() == []


def test_the_check_sees_an_upward_import(tmp_path, monkeypatch):
    """The checker itself can fail: a model module importing results is reported."""
    fake = tmp_path / "sim" / "model" / "leak.py"
    fake.parent.mkdir(parents=True)
    fake.write_text("from sim.results.kpis import replication_kpis\n"
                    "def f():\n    from sim.report import write_report\n"
                    "from sim.domain import lines\n"
                    "import importlib\n"
                    "trace = importlib.import_module('loadtest.trace')\n"
                    "kpis = __import__('sim.results.kpis')\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    found = [m for _, m in imports_of(fake)]
    assert "sim.results.kpis" in found and "sim.report.write_report" in found
    assert "loadtest.trace" in found and found.count("sim.results.kpis") == 2
    ups = [m for m in found if layer_of(m)[0] > layer_of("sim.model.leak")[0]]
    assert {"sim.results.kpis", "sim.report"} <= set(ups)


@pytest.mark.parametrize(("module", "rank"), [
    ("sim.domain.lines", 0), ("sim.model.centre", 3), ("sim.report", 7), ("loadtest.trace", 10),
    ("cli", 11), ("simpy", None)])
def test_layer_of(module, rank):
    got = layer_of(module)
    assert (got[0] if got else None) == rank


def test_sim_never_imports_loadtest():
    offenders = [f"{p.relative_to(ROOT)}:{line}: {m}"
                 for p in sorted((ROOT / "sim").rglob("*.py"))
                 for line, m in imports_of(p) if m.split(".")[0] in ("loadtest", "cli")]
    assert offenders == []
