"""Packaging: a non-editable install (a wheel) carries the built-in scenarios and runs.

The wheel is built from a copy of the repo's files (setuptools writes ``build/`` beside the
sources) and installed into a fresh venv that sees this environment's packages
(``--system-site-packages``: no network); the ``hotline`` of that venv then runs from another
folder with ``PYTHONPATH`` unset, so the repo is not on ``sys.path``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from setuptools import find_namespace_packages

REPO = Path(__file__).resolve().parents[1]
SCENARIOS_PACKAGE = "hotline_scenarios"


def _project_files() -> list[str]:
    """The repo's files as git sees them (tracked and new, not ignored)."""
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                         cwd=REPO, check=True, capture_output=True, text=True).stdout
    return [f for f in out.splitlines() if (REPO / f).is_file()]


def test_the_package_list_names_every_package_folder():
    """pyproject lists the packages (one is mapped to scenarios/): none may be forgotten."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {p for p in find_namespace_packages(where=str(REPO), include=["sim*", "loadtest*"])
             if any((REPO / p.replace(".", "/")).glob("*.*"))}
    assert found | {SCENARIOS_PACKAGE} == listed
    assert config["tool"]["setuptools"]["package-dir"][SCENARIOS_PACKAGE] == "scenarios"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from a copy of the repo's files."""
    src = tmp_path_factory.mktemp("src")
    for name in _project_files():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, src / name)
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(dist), str(src)], check=True, capture_output=True)
    (found,) = dist.glob("hotline_sim-*.whl")
    return found


def test_the_wheel_holds_every_data_file(wheel):
    """Every non-Python file of sim/, loadtest/ and scenarios/ is in the wheel."""
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = {f.replace("scenarios/", f"{SCENARIOS_PACKAGE}/", 1)
              for f in _project_files()
              if f.startswith(("sim/", "loadtest/", "scenarios/")) and not f.endswith(".py")}
    assert wanted and wanted <= names, sorted(wanted - names)
    assert f"{SCENARIOS_PACKAGE}/gansu-baseline.yaml" in names
    assert f"{SCENARIOS_PACKAGE}/data/regions.yaml" in names
    assert f"{SCENARIOS_PACKAGE}/validation/mmc-12.yaml" in names


@pytest.mark.slow  # ~12 s on an idle machine, ~30 s under load
def test_a_non_editable_install_lists_and_runs_the_built_in_scenarios(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)],
                   check=True)
    python, hotline = venv / "bin" / "python", venv / "bin" / "hotline"
    # --force-reinstall: this environment may hold an editable install of the same version
    subprocess.run([python, "-m", "pip", "install", "--no-deps", "--no-index",
                    "--force-reinstall", "-q", str(wheel)], check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}

    def run(*args) -> subprocess.CompletedProcess:
        return subprocess.run([str(a) for a in args], cwd=elsewhere, env=env,
                              capture_output=True, text=True, timeout=300)

    where = run(python, "-c", "import json, cli, sim, sim.domain.paths as p; print(json.dumps("
                "[sim.__file__, cli.__file__, str(p.SCENARIOS_DIR)]))")
    assert where.returncode == 0, where.stderr
    for path in json.loads(where.stdout):
        assert Path(path).resolve().is_relative_to(venv.resolve()), path
        assert not Path(path).resolve().is_relative_to(REPO), path

    listed = run(hotline, "scenarios")
    assert listed.returncode == 0, listed.stderr
    names = [line.split()[0] for line in listed.stdout.splitlines()]
    assert {"gansu-baseline", "jishishan-earthquake", "validation/mmc-12"} <= set(names)

    checked = run(hotline, "check", "jishishan-earthquake")  # extends a base, reads data/
    assert checked.returncode == 0 and "valid" in checked.stdout, checked.stderr

    out = tmp_path / "run"
    done = run(hotline, "run", "gansu-baseline", "-r", 1, "--set", "horizon_hours=6",
               "--no-variants", "--no-report", "-q", "--out", out)
    assert done.returncode == 0, done.stderr
    for name in ("kpis.json", "calls.csv.gz", "timeseries.csv", "scenario.resolved.yaml",
                 "run.json"):
        assert (out / name).is_file(), name
    assert json.loads((out / "kpis.json").read_text())["scenario"] == "gansu-baseline"
    assert json.loads((out / "run.json").read_text())["status"] == "ok"
    assert not (elsewhere / "results").exists()  # --out was given
