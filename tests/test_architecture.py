"""The layers of docs/architecture.md, checked: every import in ``sim/``, ``loadtest/`` and
``cli.py`` points down a layer, never up, never sideways between sibling layers.

Every import counts: module level, inside functions (lazy imports), under ``TYPE_CHECKING``
(a type-only import that points up still couples the layers) and by name through
``importlib.import_module("...")`` or ``__import__("...")``.
"""

from __future__ import annotations

import ast
import importlib.util
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
    loaders = _loader_names(tree)
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
        elif isinstance(node, ast.Call):
            target = _dynamic_import(node, loaders, package)
            if target:
                found.append((node.lineno, target))
    return [(line, m) for line, m in found if layer_of(m) is not None]


def _loader_names(tree: ast.AST) -> set[str]:
    """Names that call ``importlib.import_module`` or ``__import__`` in this module, including
    aliases (``from importlib import import_module as load``, ``import importlib as il``)."""
    names = {"import_module", "__import__", "importlib.import_module"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "importlib":
            names.update(a.asname or a.name for a in node.names if a.name == "import_module")
        elif isinstance(node, ast.Import):
            names.update(f"{a.asname}.import_module" for a in node.names
                         if a.name == "importlib" and a.asname)
    return names


def _constant(node: ast.AST | None) -> str | int | None:
    return node.value if isinstance(node, ast.Constant) else None


def _dynamic_import(node: ast.Call, loaders: set[str], package: list[str]) -> str | None:
    """The absolute module a call imports by name, e.g. ``importlib.import_module("x")``,
    ``import_module(".x", "pkg")``, an alias of it, or ``__import__("x", …, level)``."""
    func = node.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        name = f"{func.value.id}.{func.attr}"
    else:
        name = getattr(func, "id", None)
    if name not in loaders or not node.args or not isinstance(_constant(node.args[0]), str):
        return None
    target = node.args[0].value
    keywords = {k.arg: k.value for k in node.keywords}
    if name.split(".")[-1] == "__import__" or name == "__import__":
        level = _constant(node.args[4] if len(node.args) > 4 else keywords.get("level")) or 0
        if level:
            base = package[:len(package) - (level - 1)]
            return ".".join([*base, target])
        return target
    if target.startswith("."):
        anchor = _constant(node.args[1] if len(node.args) > 1 else keywords.get("package"))
        if not isinstance(anchor, str):
            return None
        return importlib.util.resolve_name(target, anchor)
    return target


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
