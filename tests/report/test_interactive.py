"""The interactive report: plotly inline, the selector and the tile map, driven in Chromium;
the per-centre interval CSV."""

from __future__ import annotations

import csv
import json
import re

import pytest

from sim.report import write_report

from .chromium import chromium_binary, open_page
from .test_report import _missed_target_run

SELECT = """(() => {{ const s = document.getElementById('selector'); s.value = {value!r};
s.dispatchEvent(new Event('change'));
return new Promise(r => setTimeout(() => r(document.getElementById('{plot}').data
  .filter(t => t.visible === true).map(t => t.meta)), 200)); }})()"""
CLICK = """(() => {{ document.getElementById('ix-map').emit('plotly_click',
  {{points: [{{customdata: {code!r}}}]}});
return new Promise(r => setTimeout(() => r([document.getElementById('selector').value,
  document.getElementById('ix-volume').data.filter(t => t.visible === true)
  .map(t => t.meta)]), 200)); }})()"""


@pytest.fixture
def report(write_scenario, tmp_path):
    run = _missed_target_run(write_scenario, tmp_path)
    return run, write_report(run)


def test_report_embeds_plotly_and_links_the_interval_tables(report):
    run, html_path = report
    html = html_path.read_text(encoding="utf-8")
    assert "<script src" not in html and "Plotly.newPlot" in html  # offline: all inline
    assert 'href="intervals.csv"' in html
    figs = json.loads(re.search(r"const figs = (\{.*?\});\n", html).group(1))
    assert {t["meta"] for t in figs["sl"]["data"]} >= {"line:110", "region:620100",
                                                       "centre:620100/110"}
    assert figs["sl"]["data"][0]["x0"].startswith("2024-") or ":" in figs["sl"]["data"][0]["x0"]
    rows = list(csv.DictReader((run / "intervals.csv").open(encoding="utf-8-sig")))
    doc = json.loads((run / "kpis.json").read_text())
    mine = [r for r in rows if r["centre"] == "620100/110"]
    assert mine[0]["name"] == "620100/110 兰州市 Lanzhou 110" and mine[0]["time"] == "00:00"
    # the interval table adds up to the run's offered calls (4 h, no warm-up cut for series)
    assert sum(float(r["offered"]) for r in mine) == pytest.approx(
        doc["centres"]["620100/110"]["offered"]["mean"], rel=0.05)
    assert all(r["service_level"] == "" or 0 <= float(r["service_level"]) <= 1 for r in rows)


@pytest.mark.skipif(chromium_binary() is None,
                    reason="chromium is not installed (.ci/run installs Debian's chromium)")
def test_selector_and_map_drive_the_plots_in_chromium(report, tmp_path):
    _run, html = report
    steps = [
        "document.getElementById('ix-sl').data.filter(t => t.visible === true).map(t => t.meta)",
        SELECT.format(value="centre:620100/110", plot="ix-sl"),
        SELECT.format(value="region:620200", plot="ix-seats"),
        CLICK.format(code="620100"),
        "document.getElementById('ix-map').data[0].hovertext.join('|')",
        "document.querySelectorAll('input.filter').length",
    ]
    page = open_page(html, tmp_path / "map.png", tmp_path / "profile", steps, clip="#ix-map")
    assert page.errors == []
    lines, centre, region, (chosen, after_click), hover, filters = page.values
    assert lines == ["line:110"]
    assert centre == ["centre:620100/110"]
    assert region == ["region:620200", "region:620200"]  # its seats and its waiting callers
    assert chosen == "region:620100" and after_click == ["region:620100"]
    assert "worst hour 2024-" in hover and "620100/110" in hover  # the missed centre named
    assert filters >= 3
    assert (tmp_path / "map.png").stat().st_size > 5_000
