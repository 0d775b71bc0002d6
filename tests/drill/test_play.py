"""Playing a drill: pacing without real sleep, the plain view, sending to a platform."""

from __future__ import annotations

import json

import httpx

from sim.drill.play import cues, load_drill, pace
from sim.drill.score import load_key
from sim.drill.send import PLAIN_PATH, make_sender


class FakeClock:
    """A clock that only moves when slept on."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_every_inject_is_emitted_in_order_at_its_time(built):
    doc = load_drill(built)
    clock, emitted = FakeClock(), []
    count = pace(cues(doc), 60.0, lambda cue: emitted.append((clock() - 1000.0, cue)),
                 clock=clock, sleep=clock.sleep)
    injects = [c for _, c in emitted if c.kind == "inject"]
    assert count == len(emitted)
    assert [c.data["inject_id"] for c in injects] == [i["inject_id"] for i in doc["injects"]]
    for at, cue in emitted:
        assert abs(at - cue.at_s / 60.0) < 1e-9
    assert abs(clock.now - 1000.0 - doc["injects"][-1]["offset_s"] / 60.0) < 1e-9
    assert emitted[0][1].kind == "phase"


def test_one_trainee_only(built):
    doc = load_drill(built)
    items = [c for c in cues(doc, "T2") if c.kind == "inject"]
    assert items and {c.data["trainee"] for c in items} == {"T2"}


def test_play_at_a_high_speed_prints_every_inject(built, drill_cli):
    result = drill_cli("play", built, "--speed", 1e7, "--plain")
    assert result.exit_code == 0
    ids = [int(line.split("#")[1].split()[0]) for line in result.output.splitlines()
           if "] #" in line]
    assert ids == [i["inject_id"] for i in load_drill(built)["injects"]]
    assert "phase 阶段" in result.output


def test_play_sends_plain_json_posts_without_answers(built):
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, json.loads(request.content)))
        return httpx.Response(201, json={"id": len(seen)})

    doc = load_drill(built)
    sender = make_sender("http://drill.test",
                         client=httpx.Client(transport=httpx.MockTransport(handler)))
    clock = FakeClock()
    pace(cues(doc), 1e6, sender, clock=clock, sleep=clock.sleep)
    assert sender.sent == len(doc["injects"]) and not sender.failed
    assert [p for p, _ in seen] == [PLAIN_PATH] * len(doc["injects"])
    assert [b["inject_id"] for _, b in seen] == [i["inject_id"] for i in doc["injects"]]
    assert all("category" not in b and "handling" not in b for _, b in seen)


def test_play_sends_through_an_endpoint_profile(built):
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(500 if len(seen) == 2 else 201, json={"id": "c1"})

    from loadtest.drill_sender import make_sender as make_profile_sender

    doc = load_drill(built)
    sender = make_profile_sender("http://platform.test/", _reference_profile(), doc,
                                 load_key(built),
                                 client=httpx.Client(transport=httpx.MockTransport(handler)))
    clock = FakeClock()
    pace(cues(doc), 1e6, sender, clock=clock, sleep=clock.sleep)
    assert len(seen) == len(doc["injects"])
    assert {r.url.path for r in seen} == {"/v1/calls"}
    first = json.loads(seen[0].content)
    assert first["external_id"] == "1" and first["line"] == doc["injects"][0]["line"]
    assert seen[0].headers["Authorization"].startswith("Bearer dev-")
    assert sender.sent == len(seen) - 1 and len(sender.failed) == 1
    assert "HTTP 500" in sender.failed[0]


def _reference_profile():
    from loadtest.profile import DEFAULT_PROFILE

    return DEFAULT_PROFILE


def test_play_reports_failed_sends_with_exit_1(built, drill_cli):
    result = drill_cli("play", built, "--speed", 1e7, "--plain", "--to", "http://127.0.0.1:9",
                       "--trainee", "T1")
    assert result.exit_code == 1
    assert "failed" in result.output


def test_play_sends_through_a_profile_from_the_command_line(built, drill_cli):
    result = drill_cli("play", built, "--speed", 1e7, "--plain", "--to", "http://127.0.0.1:9",
                       "--profile", _reference_profile(), "--trainee", "T1")
    injects = [i for i in load_drill(built)["injects"] if i["trainee"] == "T1"]
    assert result.exit_code == 1
    assert f"sent 0 requests to http://127.0.0.1:9; {len(injects)} failed" in result.output
    assert "POST /v1/calls: ConnectError" in result.output  # the profile's request, not plain


def test_play_profile_without_the_load_tester_is_bad_input(built, drill_cli, monkeypatch):
    from sim.commands.drill import drill

    monkeypatch.setattr(drill, "profile_senders", None)
    result = drill_cli("play", built, "--speed", 1e7, "--plain", "--to", "http://127.0.0.1:9",
                       "--profile", _reference_profile())
    assert result.exit_code == 2
    assert "install_drill_sender" in result.output
