"""Where the project's data lives, found relative to this package (no machine paths)."""

from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
SCENARIOS_DIR = PROJECT_DIR / "scenarios"
DATA_DIR = SCENARIOS_DIR / "data"
RESULTS_DIR = PROJECT_DIR / "results"
DEFAULT_SCENARIO = SCENARIOS_DIR / "gansu-baseline.yaml"
