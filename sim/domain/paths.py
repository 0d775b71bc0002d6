"""Where the project's data lives: the built-in scenarios and their data files, and the default
results folder. No machine paths.

The scenarios stay at the top of the repo (``scenarios/``) and ship in the wheel as the package
``hotline_scenarios`` (``pyproject.toml`` maps it to that folder). In a checkout (``sim`` imported
from the repo, editable or on ``PYTHONPATH``) the folder beside the ``sim`` package is used, so a
worktree reads its own scenarios; an installed package (``pip install .``, a wheel) reads its
``hotline_scenarios`` through :mod:`importlib.resources`.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_CHECKOUT_SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
_MARKER = "gansu-baseline.yaml"


def _scenarios_dir() -> Path:
    """The checkout's ``scenarios/`` if ``sim`` sits in one, else the installed package's."""
    if (_CHECKOUT_SCENARIOS / _MARKER).is_file():
        return _CHECKOUT_SCENARIOS
    try:
        return Path(str(resources.files("hotline_scenarios")))
    except ModuleNotFoundError:  # neither a checkout nor an installed package: nothing built in
        return _CHECKOUT_SCENARIOS


SCENARIOS_DIR = _scenarios_dir()
DATA_DIR = SCENARIOS_DIR / "data"
RESULTS_DIR = Path("results")
"""Default parent of run directories (``results/<scenario>/``), relative to the current folder."""
DEFAULT_SCENARIO = SCENARIOS_DIR / "gansu-baseline.yaml"
