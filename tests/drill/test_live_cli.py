"""`hotline drill serve`: bad input exits 2 before serving and writes nothing."""

from __future__ import annotations

import re
import socket

from sim.drill.live.serve import open_live


def test_serve_has_help(drill_cli):
    text = drill_cli("serve", "--help").output
    for option in ("--host", "--port", "--speed", "--grace", "--db", "--reset", "--links",
                   "--public-url"):
        assert option in text
    assert "serve" in drill_cli("--help").output


def test_not_a_drill_directory_exits_2_and_writes_nothing(drill_cli, tmp_path):
    result = drill_cli("serve", tmp_path, "--port", 0)
    assert result.exit_code == 2 and "not a drill directory" in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_port_in_use_exits_2_before_any_database(drill_cli, four, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = drill_cli("serve", four, "--port", port, "--db", tmp_path / "live.sqlite")
    assert result.exit_code == 2 and f"127.0.0.1:{port}" in result.output
    assert not (tmp_path / "live.sqlite").exists()


def test_a_database_of_another_drill_is_refused(drill_cli, four, built, tmp_path):
    db = tmp_path / "live.sqlite"
    open_live(four, db, 1.0, 30.0).store.close()
    result = drill_cli("serve", built, "--port", 0, "--db", db)
    assert result.exit_code == 2 and "belongs to another drill" in result.output


def test_a_restart_keeps_the_links_and_reset_makes_new_ones(four, tmp_path):
    db = tmp_path / "live.sqlite"
    first = open_live(four, db, 1.0, 30.0)
    tokens = first.store.tokens()
    first.store.close()
    again = open_live(four, db, 1.0, 30.0)
    assert again.store.tokens() == tokens
    again.store.close()
    fresh = open_live(four, db, 1.0, 30.0, reset=True)
    assert set(fresh.store.tokens()).isdisjoint(tokens) and len(tokens) == 3
    fresh.store.close()


def test_one_server_per_database_and_a_broken_file_is_named(drill_cli, four, tmp_path):
    db = tmp_path / "live.sqlite"
    running = open_live(four, db, 1.0, 30.0)
    result = drill_cli("serve", four, "--port", 0, "--db", db, "--reset")
    assert result.exit_code == 2 and "another `hotline drill serve`" in result.output
    assert running.store.tokens()  # --reset did not delete it under the running server
    running.store.close()
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not sqlite at all" * 100)
    result = drill_cli("serve", four, "--port", 0, "--db", junk)
    assert result.exit_code == 2 and "not a live-drill database" in result.output


def test_a_drill_whose_key_and_script_disagree_is_refused(drill_cli, four, tmp_path):
    import json
    import shutil

    copy = tmp_path / "d"
    shutil.copytree(four, copy)
    doc = json.loads((copy / "drill.json").read_text(encoding="utf-8"))
    del doc["injects"][1]["opening"]
    (copy / "drill.json").write_text(json.dumps(doc), encoding="utf-8")
    result = drill_cli("serve", copy, "--port", 0)
    assert result.exit_code == 2 and "injects[1]: missing opening" in result.output
    doc["injects"] = doc["injects"][2:]
    (copy / "drill.json").write_text(json.dumps(doc), encoding="utf-8")
    result = drill_cli("serve", copy, "--port", 0)
    assert result.exit_code == 2 and "answers.json" in result.output
    assert not (copy / "live.sqlite").exists()


def test_the_pages_need_nothing_from_the_internet():
    from importlib.resources import files

    static = files("sim.drill.live") / "static"
    names = sorted(p.name for p in static.iterdir())
    assert {"console.html", "trainer.html", "common.js", "drill.css"} <= set(names)
    for name in names:
        text = (static / name).read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text and "//cdn" not in text, name
    for page in ("console.html", "trainer.html"):
        text = (static / page).read_text(encoding="utf-8")
        for ref in re.findall(r'(?:src|href)="([^"]+)"', text):
            assert ref.startswith("/static/") or ref == "data:,", (page, ref)
            if ref.startswith("/static/"):
                assert ref.removeprefix("/static/") in names
