"""`hotline drill serve` on bad options and bad drill directories: exit 2, a message naming the
option or the file and key, and nothing written (no database, no links file)."""

from __future__ import annotations

import json
import shutil

import pytest


@pytest.fixture(autouse=True)
def never_serve(monkeypatch):
    """Bad input must stop before serving: a regression fails here instead of serving forever."""
    def refuse(*args, **kwargs):
        raise AssertionError("hotline drill serve started serving bad input")

    monkeypatch.setattr("sim.drill.live.serve.serve", refuse)


def _copy(four, tmp_path, name: str, edit, dest: str = "d") -> object:
    """A copy of the four-inject drill with ``edit(doc)`` applied to ``name``."""
    copy = tmp_path / dest
    shutil.copytree(four, copy)
    path = copy / name
    doc = json.loads(path.read_text(encoding="utf-8"))
    edit(doc)
    path.write_text(json.dumps(doc), encoding="utf-8")  # NaN is written as JSON's NaN
    return copy


def _nothing_written(directory, tmp_path) -> None:
    assert not (directory / "live.sqlite").exists()
    assert not list(tmp_path.glob("*.json"))


@pytest.mark.parametrize("option, value", [
    ("--speed", "nan"), ("--speed", "inf"), ("--grace", "nan"), ("--grace", "inf"),
    ("--grace", "-inf"),
])
def test_non_finite_options_exit_2(drill_cli, four, tmp_path, option, value):
    result = drill_cli("serve", four, "--port", 0, option, value, "--db", tmp_path / "l.sqlite",
                       "--links", tmp_path / "links.json")
    assert result.exit_code == 2, result.output
    assert option in result.output
    assert not (tmp_path / "l.sqlite").exists() and not (tmp_path / "links.json").exists()


@pytest.mark.parametrize("option", ["--speed", "--grace"])
def test_open_live_refuses_non_finite_numbers_too(four, tmp_path, option):
    from sim.domain.errors import InputError
    from sim.drill.live.serve import open_live

    speed, grace = (float("nan"), 30.0) if option == "--speed" else (1.0, float("inf"))
    with pytest.raises(InputError, match=option):
        open_live(four, tmp_path / "l.sqlite", speed, grace)
    assert not (tmp_path / "l.sqlite").exists()


def _set_meta(key, value):
    return lambda doc: doc["meta"].__setitem__(key, value)


def _set_inject(n, key, value):
    return lambda doc: doc["injects"][n].__setitem__(key, value)


def _inject_of(inject_id, key, value):
    def edit(doc):
        next(r for r in doc["injects"] if r["inject_id"] == inject_id)[key] = value
    return edit


@pytest.mark.parametrize("name, edit, where", [
    ("drill.json", _set_meta("duration_s", float("nan")), "drill.json: meta.duration_s"),
    ("drill.json", _set_meta("duration_s", float("inf")), "drill.json: meta.duration_s"),
    ("drill.json", _set_meta("duration_s", 0), "drill.json: meta.duration_s"),
    ("drill.json", _set_inject(0, "inject_id", "abc"), "drill.json: injects[0].inject_id"),
    ("drill.json", _set_inject(0, "inject_id", 1.5), "drill.json: injects[0].inject_id"),
    ("drill.json", _set_inject(1, "offset_s", float("nan")), "drill.json: injects[1].offset_s"),
    ("drill.json", _set_inject(1, "offset_s", "56"), "drill.json: injects[1].offset_s"),
    ("drill.json", _set_inject(1, "trainee", None), "drill.json: injects[1].trainee"),
    ("drill.json", lambda doc: doc["phases"][0].__setitem__("end_s", "x"),
     "drill.json: phases[0].end_s"),
    ("drill.json", lambda doc: doc["phases"][0].pop("note_en"), "drill.json: phases[0]"),
    ("answers.json", _inject_of(1, "target_s", "abc"),
     "answers.json: injects[inject_id=1].target_s"),
    ("answers.json", _inject_of(1, "target_s", float("nan")),
     "answers.json: injects[inject_id=1].target_s"),
    ("answers.json", _inject_of(2, "category", 7),
     "answers.json: injects[inject_id=2].category"),
])
def test_bad_drill_files_exit_2_naming_file_and_key(drill_cli, four, tmp_path, name, edit,
                                                     where):
    copy = _copy(four, tmp_path, name, edit)
    result = drill_cli("serve", copy, "--port", 0, "--links", tmp_path / "links.json")
    assert result.exit_code == 2, result.output
    assert where in result.output and "Traceback" not in result.output
    _nothing_written(copy, tmp_path)


def test_a_trainee_assignment_that_differs_from_the_key_is_refused(drill_cli, four, tmp_path):
    """Live delivery follows drill.json, scoring answers.json: they must agree, or a decision
    accepted live would be refused by `hotline drill score` on the exported CSV."""
    copy = _copy(four, tmp_path, "answers.json", _inject_of(1, "trainee", "T2"))
    result = drill_cli("serve", copy, "--port", 0)
    assert result.exit_code == 2, result.output
    assert "answers.json: injects[inject_id=1].trainee" in result.output
    assert "'T1' in drill.json" in result.output
    _nothing_written(copy, tmp_path)
    later = _copy(four, tmp_path, "answers.json", _inject_of(3, "offset_s", 1), dest="later")
    result = drill_cli("serve", later, "--port", 0)
    assert result.exit_code == 2 and "injects[inject_id=3].offset_s" in result.output


@pytest.mark.parametrize("links", ["missing-dir/l.json", "file/l.json"])
def test_an_unwritable_links_path_exits_2_before_the_database(drill_cli, four, tmp_path, links):
    (tmp_path / "file").write_text("x", encoding="utf-8")
    db = tmp_path / "live.sqlite"
    result = drill_cli("serve", four, "--port", 0, "--db", db, "--links", tmp_path / links)
    assert result.exit_code == 2, result.output
    assert "--links" in result.output and "Traceback" not in result.output
    assert not db.exists()
