"""Digests of a small run's outputs: a change that alters any number must be deliberate.

Two short runs that together exercise every mechanism (a disaster night with incidents,
borrowing, the bot, outages and orders; a week-day of merged utility lines) are run through the
command line, and the content of each output file is hashed (the gzip members decompressed, so
a change of compression level or library is not a change of numbers). The expected digests
live in ``tests/data/output_digests.json``.

When a change is meant to alter the numbers (a model fix, a new column), regenerate them with
``HOTLINE_UPDATE_DIGESTS=1 python -m pytest tests/test_output_digest.py`` and say in the commit
why the numbers moved.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main

DIGESTS = Path(__file__).parent / "data" / "output_digests.json"
FILES = ("kpis.json", "calls.csv.gz", "orders.csv.gz", "borrowing.csv.gz", "timeseries.csv")
RUNS = {
    "jishishan-earthquake-12h": ["jishishan-earthquake", "--set", "horizon_hours=12"],
    "utility-merge-24h": ["utility-merge", "--set", "horizon_hours=24"],
}


def content_digest(path: Path) -> str:
    """SHA-256 of a file's content (of the decompressed bytes for ``.gz``)."""
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return hashlib.sha256(data).hexdigest()


def run_digests(name: str, tmp_path: Path) -> dict[str, str]:
    out = tmp_path / name
    args = ["run", *RUNS[name], "-r", "2", "-j", "1", "-q", "--no-variants", "--no-report",
            "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return {f: content_digest(out / f) for f in FILES if (out / f).exists()}


@pytest.mark.parametrize("name", sorted(RUNS))
def test_outputs_match_the_recorded_digests(name, tmp_path):
    got = run_digests(name, tmp_path)
    recorded = json.loads(DIGESTS.read_text()) if DIGESTS.exists() else {}
    if os.environ.get("HOTLINE_UPDATE_DIGESTS") == "1":
        recorded[name] = got
        DIGESTS.parent.mkdir(exist_ok=True)
        DIGESTS.write_text(json.dumps(recorded, indent=2, sort_keys=True) + "\n")
        pytest.skip(f"digests of {name} written to {DIGESTS.name}")
    assert name in recorded, f"no digests for {name}: run with HOTLINE_UPDATE_DIGESTS=1"
    changed = {f: (recorded[name].get(f), d) for f, d in got.items()
               if recorded[name].get(f) != d}
    missing = sorted(set(recorded[name]) - set(got))
    assert not changed and not missing, (
        f"{name}: outputs changed {sorted(changed)}, missing {missing}. If the change of "
        "numbers is deliberate, regenerate with HOTLINE_UPDATE_DIGESTS=1 (module docstring).")


def test_the_digest_sees_a_changed_number(tmp_path):
    """The check can fail: one changed character in a record changes the digest."""
    a, b = tmp_path / "a.csv.gz", tmp_path / "b.csv.gz"
    a.write_bytes(gzip.compress(b"leg,arrival\n0,1.25\n", mtime=0))
    b.write_bytes(gzip.compress(b"leg,arrival\n0,1.26\n", mtime=0))
    assert content_digest(a) != content_digest(b)
    c = tmp_path / "c.csv.gz"
    c.write_bytes(gzip.compress(b"leg,arrival\n0,1.25\n", compresslevel=1, mtime=0))
    assert content_digest(a) == content_digest(c)
