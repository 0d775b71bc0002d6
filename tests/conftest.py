"""Shared fixtures: writing small scenario files and running the CLI."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

# A shell without job control starts a background job with SIGINT ignored, and an ignored
# signal stays ignored across exec: the Ctrl-C tests' subprocesses would never see theirs, and
# a suite run in the background (``bash .ci/run &``) would fail them. A handler, unlike an
# ignored signal, is reset to the default in a child, which Python then turns into
# KeyboardInterrupt as in a terminal.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def write_scenario(tmp_path: Path):
    """Write a scenario mapping (or raw YAML text) to a file in tmp_path; return its path."""

    def write(data: dict | str, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True,
                                                                 sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def cli():
    """Invoke the ``hotline`` command in-process; returns click's Result."""
    from cli import main

    runner = CliRunner()

    def invoke(*args: str, **kwargs):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False, **kwargs)

    return invoke
