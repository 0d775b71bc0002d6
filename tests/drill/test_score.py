"""Scoring responses: perfect, known mistakes, malformed files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from sim.domain.errors import InputError
from sim.drill.score import COLUMNS, score_drill


def answer_key(directory: Path) -> list[dict]:
    return json.loads((directory / "answers.json").read_text(encoding="utf-8"))["injects"]


def perfect_rows(directory: Path) -> list[dict]:
    return [{"trainee": r["trainee"], "inject_id": r["inject_id"], "category": r["category"],
             "handling": r["handling"], "target_line": r["target_line"],
             "first_dispatch": r["first_dispatch"], "decided_at_s": r["offset_s"] + r["target_s"]}
            for r in answer_key(directory)]


def write(path: Path, rows: list[dict], columns=COLUMNS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_a_perfect_response_file_scores_100(built, tmp_path, drill_cli):
    path = write(tmp_path / "responses.csv", perfect_rows(built))
    doc = score_drill(built, path)
    for row in [*doc["trainees"].values(), doc["overall"]]:
        assert row["score_pct"] == 100.0
        assert row["category_pct"] == row["routing_pct"] == row["on_time_pct"] == 100.0
        assert row["first_dispatch_pct"] in (100.0, None)
    assert doc["overall"]["first_dispatch_of"] > 0
    result = drill_cli("score", built, path, "--json", tmp_path / "score.json")
    assert result.exit_code == 0
    assert "overall" in result.output and "100.0%" in result.output
    assert json.loads((tmp_path / "score.json").read_text())["overall"]["score_pct"] == 100.0


def test_known_mistakes_score_exactly_as_expected(built, tmp_path):
    rows = perfect_rows(built)
    t1 = [r for r in rows if r["trainee"] == "T1"]
    danger = [r for r in t1 if r["first_dispatch"]]
    plain = [r for r in t1 if not r["first_dispatch"]]
    assert len(danger) >= 1 and len(plain) >= 4
    wrong_category, wrong_line, late, unanswered = plain[:4]
    wrong_category["category"] = "G-ENV" if wrong_category["category"] != "G-ENV" else "G-NOISE"
    wrong_line["target_line"] = "119" if wrong_line["target_line"] != "119" else "120"
    late["decided_at_s"] += 1
    danger[0]["first_dispatch"] = "122" if danger[0]["first_dispatch"] != "122" else "119"
    rows.remove(unanswered)
    doc = score_drill(built, write(tmp_path / "responses.csv", rows))
    n, d = len(t1), len(danger)
    got = doc["trainees"]["T1"]
    assert got["answered"] == n - 1
    assert got["category_right"] == n - 2            # wrong category, unanswered
    assert got["routing_right"] == n - 2             # wrong target line, unanswered
    assert got["on_time_right"] == n - 2             # one second late, unanswered
    assert (got["first_dispatch_right"], got["first_dispatch_of"]) == (d - 1, d)
    expected = [100 * (n - 2) / n] * 3 + [100 * (d - 1) / d]
    assert got["category_pct"] == round(expected[0], 2)
    assert got["first_dispatch_pct"] == round(expected[3], 2)
    pcts = [got[k] for k in ("category_pct", "routing_pct", "first_dispatch_pct", "on_time_pct")]
    assert got["score_pct"] == round(sum(pcts) / 4, 2)
    assert doc["trainees"]["T2"]["score_pct"] == 100.0
    assert doc["overall"]["category_right"] == doc["overall"]["injects"] - 2


def test_handling_spellings_are_normalised(built, tmp_path):
    rows = perfect_rows(built)
    for r in rows:
        r["handling"] = r["handling"].upper().replace("_", "-")
    assert score_drill(built, write(tmp_path / "r.csv", rows))["overall"]["routing_pct"] == 100.0


@pytest.mark.parametrize(("mutate", "where", "message"), [
    (lambda rows: rows[2].update(handling="arrest"), "row 4, column handling", "not a handling"),
    (lambda rows: rows[0].update(decided_at_s="soon"), "row 2, column decided_at_s",
     "not a number"),
    (lambda rows: rows[1].update(decided_at_s=-5), "row 3, column decided_at_s", "before"),
    (lambda rows: rows[0].update(inject_id="999"), "row 2, column inject_id", "not an inject"),
    (lambda rows: rows[0].update(trainee="T9"), "row 2, column trainee", "assigned to"),
    (lambda rows: rows[3].update(category="P-NOPE"), "row 5, column category", "not one of"),
    (lambda rows: rows[0].update(target_line="911"), "row 2, column target_line", "not one of"),
    (lambda rows: rows[0].update(first_dispatch="12345"), "row 2, column first_dispatch",
     "not one of"),
    (lambda rows: rows[0].update(handling=""), "row 2, column handling", "empty"),
    (lambda rows: rows.append(dict(rows[0])), "column inject_id", "already answered"),
])
def test_a_malformed_file_names_the_row_and_column(built, tmp_path, drill_cli, mutate, where,
                                                   message):
    rows = perfect_rows(built)
    mutate(rows)
    path = write(tmp_path / "responses.csv", rows)
    with pytest.raises(InputError) as caught:
        score_drill(built, path)
    assert where in str(caught.value) and message in str(caught.value)
    assert caught.value.source == str(path)
    result = drill_cli("score", built, path)
    assert result.exit_code == 2
    assert where in result.output


def test_a_missing_column_is_named(built, tmp_path):
    path = write(tmp_path / "r.csv", perfect_rows(built), columns=COLUMNS[:-1])
    with pytest.raises(InputError, match="row 1, column decided_at_s: missing column"):
        score_drill(built, path)


def test_a_row_with_too_many_cells_is_named(built, tmp_path):
    path = write(tmp_path / "r.csv", perfect_rows(built))
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] += ",extra"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="row 2"):
        score_drill(built, path)


def test_the_documented_example_has_the_columns():
    example = Path(__file__).resolve().parents[2] / "docs" / "drills-responses.example.csv"
    header = example.read_text(encoding="utf-8").splitlines()[0]
    assert header == ",".join(COLUMNS)
