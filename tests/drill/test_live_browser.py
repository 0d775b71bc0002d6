"""End to end in headless Chromium: a four-inject drill at --speed 60, two consoles, the dashboard.

T1 answers as the key says; T2 lets inject 2 ring out (missed after its target plus the grace)
and answers inject 4 with two known mistakes (category and target line). The dashboard's final
table must show 100 % for T1 and T2's partial score, and the responses.csv it downloads must
score the same with ``hotline drill score``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sim.drill.score import table_rows

from .browser import Browser, chromium_binary
from .live_support import Server, key_of, perfect

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(chromium_binary() is None, reason="chromium not installed")]
SHOTS = os.environ.get("DRILL_SCREENSHOTS")
"""A directory to keep the screenshots in (docs/img when refreshing the docs)."""


def mistakes(answer: dict) -> dict:
    """Two known mistakes: another category and another target line."""
    wrong = perfect(answer)
    wrong["category"] = "G-ENV" if answer["category"] != "G-ENV" else "G-NOISE"
    wrong["target_line"] = "119" if answer["target_line"] != "119" else "120"
    return wrong


def decide(page, fields: dict) -> None:
    """Search the category, fill the console's form as a trainee would and submit it."""
    found = page.js(f"""(() => {{
        const search = document.getElementById("category-search");
        search.value = {json.dumps(fields["category"])};
        search.dispatchEvent(new Event("input"));
        return Array.from(document.getElementById("category").options, o => o.value);
    }})()""")
    assert fields["category"] in found and len(found) < 5, found  # the search narrowed the list
    page.js(f"""(() => {{
        const f = {json.dumps(fields)};
        for (const name of ["category", "handling", "target_line", "first_dispatch"]) {{
            document.getElementById(name).value = f[name];
        }}
        document.getElementById("decide").requestSubmit();
    }})()""")


def table(page) -> dict[str, list[str]]:
    return {row[0]: row for row in page.js(
        "Array.from(document.querySelectorAll('#score tbody tr')).map("
        "tr => Array.from(tr.cells).map(td => td.textContent))")}


def test_a_drill_runs_end_to_end_in_the_browser(four, tmp_path, drill_cli):
    key = key_of(four)
    assert len(key) == 4 and [key[i]["trainee"] for i in (1, 2, 3, 4)] == ["T1", "T2"] * 2
    plan = {1: perfect(key[1]), 3: perfect(key[3]), 4: mistakes(key[4])}  # 2: missed
    shots = Path(SHOTS) if SHOTS else tmp_path
    server = Server(four, tmp_path / "live.sqlite", tmp_path)
    try:
        with Browser(tmp_path / "chromium") as browser:
            dash, consoles = browser.page(), {t: browser.page() for t in ("T1", "T2")}
            dash.open(server.links["trainer"])
            for name, page in consoles.items():
                page.open(server.links["trainees"][name])
                page.wait("document.getElementById('link').className.includes('ok')", 10)
            dash.wait("!document.getElementById('start').disabled", 10)
            dash.js("window.confirm = () => true; document.getElementById('start').click()")
            for inject_id in sorted(plan):
                page = consoles[key[inject_id]["trainee"]]
                page.wait(f"document.querySelector('#current .call[data-inject=\"{inject_id}\"]')"
                          " && !document.getElementById('submit').disabled", 15)
                if inject_id == 3:
                    page.screenshot(shots / "drill-console.png")
                decide(page, plan[inject_id])
                page.wait(f"(document.getElementById('saved') || {{}}).textContent"
                          f"?.endsWith('#{inject_id}')", 10)
            consoles["T2"].wait("document.querySelector('#history li[data-inject=\"2\"]')"
                                "?.dataset.status === 'missed'", 15)
            dash.wait("document.getElementById('status').textContent.includes('ended')", 15)
            dash.wait("document.getElementById('score-kind').textContent.includes('final')", 5)
            dash.screenshot(shots / "drill-dashboard.png")
            shown = table(dash)
            exported = dash.js("fetch(document.getElementById('download').href)"
                               ".then(r => r.text())")
            feed = dash.js("Array.from(document.querySelectorAll('#feed li')).map("
                           "li => [li.dataset.inject, li.dataset.correct])")
            errors = [e for p in (dash, *consoles.values()) for e in p.errors()]
    finally:
        server.stop()
    assert errors == []
    assert sorted(feed) == [["1", "true"], ["3", "true"], ["4", "false"]]
    t2 = [key[2], key[4]]
    expected_t2 = [0.0, 0.0]  # category, routing: inject 4 wrong in both, inject 2 missed
    if any(a["first_dispatch"] for a in t2):
        expected_t2.append(0.0)
    expected_t2.append(50.0)  # on time: inject 4 only
    assert shown["T1"][-1] == "100.0%" and shown["T1"][1] == "2/2"
    assert shown["T2"][1] == "1/2"
    assert shown["T2"][-1] == f"{round(sum(expected_t2) / len(expected_t2), 2):.1f}%"
    responses = tmp_path / "responses.csv"
    responses.write_text(exported, encoding="utf-8")
    result = drill_cli("score", four, responses, "--json", "-")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert {row[0]: row for row in table_rows(doc)} == shown
    assert doc["trainees"]["T1"]["score_pct"] == 100.0
