"""What ``hotline bench server`` prints about its database: the backend's durability rule and
a reproduce line with the ``--db`` given, its password hidden."""

from loadtest.bench import _print_server, _shown_db


def _result() -> dict:
    row = {"target": "trivial endpoint", "rate": 100.0, "low": 90.0, "high": 110.0, "best": None}
    return {"rows": [row], "rounds": 1, "ratio_rounds": [0.5], "ratio": 0.5,
            "target_ratio": 0.5, "scaling": 2.0}


def test_the_password_of_a_database_url_is_hidden():
    assert _shown_db("postgresql://hotline:secret@127.0.0.1:5432/bench") == \
        "postgresql://hotline:***@127.0.0.1:5432/bench"
    assert _shown_db("/tmp/bench.db") == "/tmp/bench.db"


def test_a_postgresql_run_says_so_and_can_be_reproduced():
    lines: list[str] = []
    _print_server(_result(), 3.0, 2, lines.append, "postgresql://u:pw@127.0.0.1/bench")
    text = "\n".join(lines)
    assert "PostgreSQL: COMMIT" in text and "SQLite" not in text
    assert lines[-1] == "reproduce: hotline bench server --db postgresql://u:***@127.0.0.1/bench " \
        "--workers 2"


def test_a_sqlite_run_by_default():
    lines: list[str] = []
    _print_server(_result(), 3.0, 1, lines.append)
    assert "SQLite: WAL, synchronous=FULL" in "\n".join(lines)
    assert lines[-1] == "reproduce: hotline bench server"
