"""report.html and plots: every plot written, optional ones from the data, Chromium renders it."""

from __future__ import annotations

import gzip
import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from sim.report import write_report
from sim.report.fonts import cjk_font, resolve_lang
from sim.report.plots import region_hour_matrix
from sim.results.rundata import Series, load_run

from .chromium import chromium_binary, open_page

ALWAYS = ["volume-lines", "service-level-lines", "queue-seats-lines", "volume-centres",
          "service-level-centres", "queue-seats-centres", "sl-heatmap"]


def _plots_ok(run: Path, stems: list[str]) -> None:
    for stem in stems:
        for ext in ("png", "svg"):
            path = run / "plots" / f"{stem}.{ext}"
            assert path.exists() and path.stat().st_size > 1000, path


@pytest.mark.slow
def test_every_plot_is_written_for_the_baseline_run(baseline_run):
    html = write_report(baseline_run).read_text(encoding="utf-8")
    _plots_ok(baseline_run, ALWAYS)
    data = load_run(baseline_run)
    optional = {"transfers": bool(data.transfers), "on-time": data.orders is not None}
    for stem, present in optional.items():
        if present:
            _plots_ok(baseline_run, [stem])
        else:
            assert re.search(rf'id="plot-{stem}">[^<]*no data', html)
    assert html.count("data:image/png;base64,") >= len(ALWAYS)
    assert "src=\"plots/" not in html and "http" not in html.split("<body>")[1][:200]


def _synthetic_extras(run: Path) -> None:
    """Add what the model extensions will write: transfers, orders, an extra kpis section."""
    header = ("replication,call_id,leg,caller_id,attempt,region,line,category,channel,priority,"
              "incident_id,arrival,answered,talk_end,released,ended,outcome,disposition,"
              "transfer_mode,to_line,seat,redial_of\n")
    rows = [f"{r},{i},0,{i},1,620100,110,x,voice,1,-1,{i}.0,{i}.5,{i + 9}.0,{i + 9}.0,{i + 9}.0,"
            f"answered,transfer,,{to},{seat},-1\n"
            for r in (0, 1) for i, (to, seat) in enumerate([("12345", "own"), ("12345", "own"),
                                                            ("119", "borrowed")])]
    (run / "calls.csv.gz").write_bytes(gzip.compress((header + "".join(rows)).encode()))
    orders = ["replication,order_id,kind,call_id,linked_order_id,region,line,dispatched_to,"
              "category,urgency,created,deadline,signed,closed,on_time,reopened,satisfaction"]
    orders += [f"{r},{i},work_order,{i},-1,620100,12345,dept,x,{u},0,86400,10,{50 + i},{ok},0,"
               for r in (0, 1) for i, (u, ok) in enumerate([("urgent", 1), ("normal", 0),
                                                            ("normal", 1), ("urgent", "")])]
    (run / "orders.csv.gz").write_bytes(gzip.compress(("\n".join(orders) + "\n").encode()))
    doc = json.loads((run / "kpis.json").read_text())
    doc["linkage"] = [{"transfers": {"one_key": 3, "three_way": 1}}, {"transfers": {"one_key": 5,
                                                                                   "three_way": 1}}]
    (run / "kpis.json").write_text(json.dumps(doc))


def test_transfer_order_and_extension_data_appear_when_present(stationary, tmp_path):
    from sim.experiments.runner import prepare, run_scenario

    run = run_scenario(prepare(stationary, replications=2), out_dir=tmp_path / "run").directory
    _synthetic_extras(run)
    data = load_run(run)
    assert data.transfers == {("110", "12345"): 2.0, ("110", "119"): 1.0}
    assert data.borrowed_answers == 1.0
    html = write_report(run).read_text(encoding="utf-8")
    _plots_ok(run, ["transfers", "on-time"])
    assert "transfers.one_key" in html and "4 ± " in html  # mean of 3 and 5 with its CI
    assert "no data" not in html


def test_region_hour_matrix_is_answered_in_target_over_offered():
    t = np.arange(8) * 900.0  # two hours of 15-minute intervals
    values = np.zeros((2, 8, 3))
    values[:, :, 0] = 4  # offered
    values[0, :4, 1], values[0, 4:, 1], values[1, :, 1] = 4, 2, 1  # answered in target
    s = Series(["620100/110", "620200/110"], ["620100", "620200"], ["110", "110"], t,
               ("offered", "answered_in_target", "seats"), values)
    regions, m = region_hour_matrix(s)
    assert regions == ["620100", "620200"]
    np.testing.assert_allclose(m, [[1.0, 0.5], [0.25, 0.25]])


def test_zh_falls_back_to_english_without_a_cjk_font(monkeypatch):
    import sim.report.fonts as fonts

    monkeypatch.setattr(fonts, "cjk_font", lambda: None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert fonts.resolve_lang("zh") == "en"
    assert "fonts-wqy-microhei" in str(caught[0].message)


@pytest.mark.skipif(cjk_font() is None, reason="no CJK font (apt-get install fonts-wqy-microhei)")
def test_chinese_report_when_a_cjk_font_is_installed(stationary, tmp_path):
    from sim.experiments.runner import prepare, run_scenario

    run = run_scenario(prepare(stationary, replications=2), out_dir=tmp_path / "run").directory
    assert resolve_lang("zh") == "zh"
    html = write_report(run, lang="zh").read_text(encoding="utf-8")
    assert 'lang="zh-CN"' in html and "服务水平" in html


def _missed_target_run(write_scenario, tmp_path) -> Path:
    from sim.experiments.runner import prepare, run_scenario

    path = write_scenario({
        "name": "two-centres", "seed": 3, "horizon_hours": 4, "drain_hours": 0, "replications": 3,
        "lines": {"110": {"talk": {"dist": "exponential", "mean": 60},
                          "patience": {"dist": "exponential", "mean": 60},
                          "target": {"seconds": 15, "level": 0.9}}},
        "centres": {"620100/110": {"calls_per_day": 12960, "seats": 8},  # 9 Erl: overloaded
                    "620200/110": {"calls_per_day": 1440, "seats": 6}}})
    return run_scenario(prepare(path), out_dir=tmp_path / "run").directory


@pytest.mark.skipif(chromium_binary() is None,
                    reason="chromium is not installed (.ci/run installs Debian's chromium)")
def test_report_renders_in_headless_chromium(write_scenario, tmp_path):
    run = _missed_target_run(write_scenario, tmp_path)
    report = write_report(run)
    doc = json.loads((run / "kpis.json").read_text())
    page = open_page(report, tmp_path / "report.png", tmp_path / "chromium-profile")
    assert page.errors == []
    assert page.images >= 7 and page.broken_images == 0
    offered = f"{doc['overall']['offered']['mean']:,.0f}"
    assert "two-centres" in page.text and offered in page.text
    assert "✗ missed" in page.text and "1 of 2 centres miss their target" in page.text
    sl = doc["regions"]["620200"]["sl15"]["mean"]  # the region table shows it, expanded
    assert f"{100 * sl:.1f}" in page.text
    assert (tmp_path / "report.png").stat().st_size > 10_000  # kept in the test's tmp dir


def test_missed_targets_are_highlighted(write_scenario, tmp_path):
    html = write_report(_missed_target_run(write_scenario, tmp_path)).read_text()
    # centres by code and prefecture name
    assert re.search(r'<tr class="missed"><td>centre</td><td>620100/110 兰州市 Lanzhou 110</td>',
                     html)
    assert re.search(r'<tr class="met[^"]*"><td>centre</td><td>620200/110 嘉峪关市 Jiayuguan 110<',
                     html)
    assert "warning: only 3 replication(s)" in html  # the sparse-data warning, as in the terminal


def test_a_miss_whose_interval_reaches_the_target_is_not_distinguishable():
    from sim.report.html import target_rows

    doc = {"targets": [{"kind": "centre", "name": "620100/110", "kpi": "sl15", "target": 0.9,
                        "mean": 0.88, "ci95": [0.80, 0.95]},
                       {"kind": "centre", "name": "620200/110", "kpi": "sl15", "target": 0.9,
                        "mean": 0.80, "ci95": [0.75, 0.85]}]}
    assert [r["status"] for r in target_rows(doc)] == ["unclear", "missed"]


def test_report_command_regenerates_in_place(rcli, stationary, tmp_path):
    from sim.experiments.runner import prepare, run_scenario

    run = run_scenario(prepare(stationary, replications=2), out_dir=tmp_path / "run").directory
    result = rcli("report", run, "--centre", "620100/110")
    assert result.exit_code == 0 and (run / "report.html").exists()
    assert "620100/110" in (run / "report.html").read_text()


def test_bot_share_completes_the_outcomes_and_sections_become_labelled_tables():
    from sim.report.html import kpi_table, section_table, with_bot_share

    line = {"offered": {"mean": 100, "values": [90, 110]},
            "bot": {"mean": 20, "values": [18, 22]},
            "human_answer_rate": {"mean": 0.7, "ci95": [0.6, 0.8], "values": [0.7, 0.7]}}
    share = with_bot_share(line)["bot_rate"]
    assert share.values == (0.2, 0.2) and share.mean == pytest.approx(0.2)
    table = kpi_table({"kpi_names": ["offered"]}, [("110", with_bot_share(line))])
    assert table["header"].index("bot_rate") == table["header"].index("human_answer_rate") + 1
    assert "bot_rate" not in with_bot_share({**line, "bot": {"mean": 0, "values": [0, 0]}})
    section = {"requests": {"mean": 2.0, "ci95": [1.0, 3.0], "values": [1, 3]},
               "622900/110:borrowed_seat_hours": {"mean": 5.0, "ci95": [4.0, 6.0],
                                                  "values": [4, 6]}}
    t = section_table("borrowing", section)
    assert t["name"].startswith("Remote seats") and t["header_labels"][1:] == [
        "requests", "borrowed seat hours"]
    assert t["rows"][1] == ["622900/110 临夏回族自治州 Linxia 110", "—", "5 ± 1"]


def test_displayed_intervals_stay_inside_the_kpis_range():
    import re

    from sim.report.html import fmt_kpi
    from sim.report.tables import _pct
    from sim.results.stats import KpiSummary

    wait = fmt_kpi("p90_wait", {"mean": 3.9, "ci95": [3.9 - 12.7, 3.9 + 12.7]})
    assert wait == "3.9 [0.0, 16.6]" and "-" not in wait
    sl = fmt_kpi("sl20", {"mean": 0.985, "ci95": [0.96, 1.01]})
    assert sl == "98.5 [96.0, 100.0]%"
    assert max(float(x) for x in re.findall(r"[\d.]+", sl)) <= 100
    assert _pct(KpiSummary.from_json({"mean": 0.985, "ci95": [0.96, 1.01]})) == "98.5[96.0,100.0]%"
    assert fmt_kpi("asa", {"mean": 3.9, "ci95": [3.0, 4.8]}) == "3.9 ± 0.9"  # inside: ±
    assert _pct(KpiSummary.from_json({"mean": 0.5, "ci95": [0.4, 0.6]})) == "50.0±10.0%"
