"""Imports point down: ``loadtest`` may use ``sim``, never the reverse."""

from __future__ import annotations

import ast
from pathlib import Path

import sim

SIM_DIR = Path(sim.__file__).resolve().parent


def _loadtest_references(path: Path, root: Path = SIM_DIR.parent) -> list[str]:
    """Imports of ``loadtest`` in one module, and strings naming it as a module path."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            # importlib.import_module("loadtest..."), uvicorn "loadtest.x:app" and the like
            names = [node.value] if node.value.split(":")[0].replace(".", "").isidentifier() \
                else []
        found += [f"{path.relative_to(root)}:{node.lineno}: {n}" for n in names
                  if n == "loadtest" or n.startswith("loadtest.")]
    return found


def test_sim_never_imports_loadtest():
    modules = sorted(SIM_DIR.rglob("*.py"))
    assert len(modules) > 50
    assert [ref for path in modules for ref in _loadtest_references(path)] == []


def test_the_check_finds_an_import(tmp_path):
    module = tmp_path / "sim" / "bad.py"
    module.parent.mkdir()
    module.write_text("import importlib\nfrom loadtest.profile import load_profile\n"
                      "importlib.import_module('loadtest.template')\n", encoding="utf-8")
    assert [r.split(": ")[1] for r in _loadtest_references(module, tmp_path)] == \
        ["loadtest.profile", "loadtest.template"]
