"""Typed result objects from replication to report (issue 15): nothing read back by string key."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest

from sim.results.kpis import ReplicationKpis

ROOT = Path(__file__).resolve().parents[1]


def _kpis() -> ReplicationKpis:
    return ReplicationKpis(overall={"offered": 3.0}, lines={"110": {"offered": 2.0}},
                           regions={"620100": {"offered": 3.0}},
                           centres={"620100/110": {"offered": 2.0}})


def test_replication_kpis_scope_and_group():
    kpis = _kpis()
    assert kpis.scope("overall") == {"offered": 3.0}
    assert kpis.scope("lines", "110") == {"offered": 2.0}
    assert kpis.group("centres") is kpis.centres
    with pytest.raises(KeyError):
        kpis.group("overall")  # not a kind of named groups
    with pytest.raises(KeyError):
        kpis.scope("regions", "629900")


def test_replication_kpis_pickle_round_trip():
    """Replication summaries cross process and Dask boundaries by pickle."""
    kpis = _kpis()
    assert pickle.loads(pickle.dumps(kpis)) == kpis


def test_no_replication_kpis_read_back_by_string_key_outside_the_kpi_document():
    """ReplicationSummary.kpis is ``dict[str, dict]`` (groups "overall", "lines", "regions",
    "centres" of KPI dicts), its ``files`` keyed by file name, and it is read back by string
    in sim/experiments (runner.py, precision.py, validation.py: ``s.kpis["overall"]["offered"]``).
    The issue: "Typed result objects (dataclasses) from replication to KPI document ...; nothing
    read back by string key inside the package"."""
    pattern = re.compile(r"""\.kpis\[["'](overall|lines|regions|centres)["']\]|\.kpis\[group\]""")
    found = [f"{p.relative_to(ROOT)}:{i}" for p in sorted((ROOT / "sim").rglob("*.py"))
             if "report" not in p.parts
             for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if pattern.search(line)]
    assert found == []
