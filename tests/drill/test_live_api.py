"""The live drill's API in-process, on a hand-driven clock: access, 403/409/422, scoring."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from sim.drill.live.app import create_app
from sim.drill.live.serve import links, open_live
from sim.drill.score import score_drill

from .live_support import GRACE_S, SPEED, key_of, perfect


class Real:
    """A real-time clock moved by hand (seconds)."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def to_drill(self, live, drill_s: float) -> None:
        """Move real time so the running drill clock reads ``drill_s``."""
        self.t += (drill_s - live.now()) / live.clock.speed


@pytest.fixture
def drill(four, tmp_path):
    """(client, live, real clock, tokens) of the four-inject drill, clock ready."""
    live = open_live(four, tmp_path / "live.sqlite", SPEED, GRACE_S)
    real = Real()
    live.real = live.clock.real = real
    live.clock.base_real = real()
    found = links(live, "http://testserver")
    tokens = {"trainer": found.trainer.rsplit("/", 1)[1],
              **{t: u.rsplit("/", 1)[1] for t, u in found.trainees.items()}}
    with TestClient(create_app(live)) as client:
        yield client, live, real, tokens


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def post(client, token, body):
    return client.post("/api/decisions", json=body, headers=auth(token))


def body(answer, decision_id="d-0000001", **changes):
    return {"decision_id": decision_id, **perfect(answer), **changes}


def error(response, status, code=None):
    assert response.status_code == status, response.text
    err = response.json()["error"]
    assert err["message"]
    if code:
        assert err["code"] == code
    return err


def started(client, live, real, tokens, drill_s):
    assert client.post("/api/clock/start", headers=auth(tokens["trainer"])).status_code == 200
    real.to_drill(live, drill_s)


def test_tokens_are_checked_and_roles_kept_apart(drill, four):
    client, live, real, tokens = drill
    error(client.get("/api/state"), 401)
    error(client.get("/api/state", headers=auth("forged")), 403, "forbidden")
    error(client.get("/trainer/forged"), 403)
    error(client.get(f"/trainer/{tokens['T1']}"), 403)
    error(client.get(f"/console/{tokens['trainer']}"), 403)
    error(client.post("/api/clock/start", headers=auth(tokens["T1"])), 403)
    error(client.get("/api/responses.csv", headers=auth(tokens["T2"])), 403)
    error(client.get("/api/score", headers=auth(tokens["T2"])), 403)
    error(post(client, tokens["trainer"], body(key_of(four)[1])), 403)
    assert client.get(f"/console/{tokens['T1']}").text.startswith("<!doctype html>")
    assert client.get("/api/state", headers=auth(tokens["T1"])).json()["trainee"] == "T1"


def test_a_trainee_sees_only_their_delivered_calls_and_never_the_key(drill, four):
    client, live, real, tokens = drill
    key = key_of(four)
    started(client, live, real, tokens, 600)
    client.post("/api/clock/pause", headers=auth(tokens["trainer"]))
    for trainee in ("T1", "T2"):
        view = client.get("/api/state", headers=auth(tokens[trainee])).json()
        text = str(view)
        assert [c["inject_id"] for c in view["calls"]] == [i for i, a in key.items()
                                                            if a["trainee"] == trainee]
        for answer in key.values():
            if answer["trainee"] != trainee:
                assert answer["opening"] not in text
        for secret in ("target_s", "handling", "category", "first_dispatch", "rule", "owner"):
            assert f"'{secret}'" not in text


def test_decisions_before_delivery_twice_or_after_the_grace_are_409(drill, four):
    client, live, real, tokens = drill
    key = key_of(four)
    first = key[1]
    error(post(client, tokens["T1"], body(first)), 409, "drill_ready")
    started(client, live, real, tokens, first["offset_s"] - 1)
    error(post(client, tokens["T1"], body(first)), 409, "not_delivered")
    real.to_drill(live, first["offset_s"] + 10)
    assert post(client, tokens["T1"], body(first)).status_code == 201
    error(post(client, tokens["T1"], body(first, "d-0000002")), 409, "already_decided")
    second = key[2]
    real.to_drill(live, second["offset_s"] + second["target_s"] + GRACE_S + 1)
    error(post(client, tokens["T2"], body(second, "d-0000003")), 409, "missed")
    client.post("/api/clock/pause", headers=auth(tokens["trainer"]))
    error(post(client, tokens["T1"], body(key[3], "d-0000004")), 409, "drill_paused")
    error(post(client, tokens["T2"], body(key[1], "d-0000005")), 403, "not_your_call")
    error(post(client, tokens["T1"], body(first, "d-0000006", inject_id=99)), 404, "no_such_inject")


@pytest.mark.parametrize(("change", "field"), [
    ({"category": "X-NOT-LISTED"}, "category"), ({"handling": "arrest"}, "handling"),
    ({"target_line": "911"}, "target_line"), ({"first_dispatch": "12345"}, "first_dispatch"),
    ({"decision_id": "short"}, "decision_id"), ({"inject_id": "one"}, "inject_id"),
    ({"decided_at_s": 5}, "decided_at_s"),
])
def test_a_value_not_in_the_lists_is_422_naming_the_field(drill, four, change, field):
    client, live, real, tokens = drill
    started(client, live, real, tokens, key_of(four)[1]["offset_s"] + 5)
    err = error(post(client, tokens["T1"], body(key_of(four)[1], **change)), 422)
    assert err["field"] == field
    assert live.decisions == {}


def test_a_retry_is_stored_once_and_a_reused_id_is_refused(drill, four):
    client, live, real, tokens = drill
    first = key_of(four)[1]
    started(client, live, real, tokens, first["offset_s"] + 20)
    one = post(client, tokens["T1"], body(first))
    real.to_drill(live, first["offset_s"] + 50)
    again = post(client, tokens["T1"], body(first))
    assert (one.status_code, again.status_code) == (201, 200)
    assert again.json()["replayed"] and again.json()["decision"] == one.json()["decision"]
    assert one.json()["decision"]["decided_at_s"] == pytest.approx(first["offset_s"] + 20)
    error(post(client, tokens["T1"], body(first, category="G-ENV")), 409, "decision_id_reused")
    assert len(live.store.decisions()) == 1


def test_clock_actions_follow_the_states(drill):
    client, live, real, tokens = drill
    trainer = auth(tokens["trainer"])
    error(client.post("/api/clock/pause", headers=trainer), 409, "clock_state")
    assert client.post("/api/clock/start", headers=trainer).json()["status"] == "running"
    real.t += 1
    paused = client.post("/api/clock/pause", headers=trainer).json()
    assert paused["status"] == "paused" and paused["drill_s"] == pytest.approx(SPEED)
    real.t += 100
    assert client.get("/api/state", headers=trainer).json()["clock"]["drill_s"] == paused["drill_s"]
    assert client.post("/api/clock/resume", headers=trainer).json()["status"] == "running"
    assert client.post("/api/clock/stop", headers=trainer).json()["status"] == "ended"
    error(client.post("/api/clock/resume", headers=trainer), 409)
    error(client.post("/api/clock/rewind", headers=trainer), 409)


def test_the_live_score_is_the_score_of_the_exported_csv(drill, four, tmp_path):
    client, live, real, tokens = drill
    key = key_of(four)
    started(client, live, real, tokens, 0)
    wrong = {1: {}, 2: {"category": "G-ENV"}, 3: {"target_line": "119"}}
    for n, (i, change) in enumerate(wrong.items()):
        real.to_drill(live, key[i]["offset_s"] + 7.25)
        assert post(client, tokens[key[i]["trainee"]], body(key[i], f"d-000000{n}",
                                                            **change)).status_code == 201
    real.to_drill(live, 600)
    client.get("/healthz")
    trainer = auth(tokens["trainer"])
    view = client.get("/api/state", headers=trainer).json()
    assert view["clock"]["status"] == "ended" and view["score"]["final"]
    exported = client.get("/api/responses.csv", headers=trainer).text
    assert len(list(csv.DictReader(io.StringIO(exported)))) == 3
    (tmp_path / "responses.csv").write_text(exported, encoding="utf-8")
    offline = score_drill(four, tmp_path / "responses.csv")
    assert client.get("/api/score", headers=trainer).json() == offline
    assert view["score"]["trainees"] == offline["trainees"]
    progress = {p["trainee"]: p for p in view["progress"]}
    assert progress["T1"]["correct"] == 1 and progress["T2"]["missed"] == 1
    assert progress["T1"]["mean_decision_s"] == pytest.approx(7.2, abs=0.1)


def test_query_tokens_only_for_the_event_stream_and_the_download(drill):
    client, live, real, tokens = drill
    as_query = {"token": tokens["trainer"]}
    err = error(client.post("/api/clock/start", params=as_query), 401, "unauthorized")
    assert "Bearer" in err["message"] and live.clock.status == "ready"
    error(client.get("/api/state", params={"token": tokens["T1"]}), 401)
    error(client.get("/api/score", params=as_query), 401)
    assert client.get("/api/responses.csv", params=as_query).status_code == 200
    error(client.get("/api/responses.csv", params={"token": tokens["T1"]}), 403)
    # a header of another scheme is refused, never replaced by the query token
    basic = {"Authorization": f"Basic {tokens['trainer']}"}
    error(client.get("/api/responses.csv", params=as_query, headers=basic), 401)
    error(client.get("/api/events", params=as_query, headers=basic), 401)
    error(client.get("/api/state", headers={"Authorization": "Bearer "}), 401)


def test_a_page_is_served_for_its_own_link_token_only(drill):
    client, live, real, tokens = drill
    error(client.get("/trainer/junk", headers=auth(tokens["trainer"])), 403)
    error(client.get("/console/junk", headers=auth(tokens["T1"])), 403)
    error(client.get(f"/console/{tokens['trainer']}", headers=auth(tokens["T1"])), 403)
    assert client.get(f"/trainer/{tokens['trainer']}").status_code == 200


def test_the_phase_notes_are_for_the_trainer_only(drill, four):
    client, live, real, tokens = drill
    notes = [p["note_zh"] for p in live.phases]
    assert notes and all(notes)
    trainee = client.get("/api/state", headers=auth(tokens["T1"])).text
    assert "note_zh" not in trainee and "note_en" not in trainee
    assert not any(n in trainee for n in notes)
    trainer = client.get("/api/state", headers=auth(tokens["trainer"])).json()
    assert [p["note_zh"] for p in trainer["phases"]] == notes


@pytest.mark.parametrize("change, field", [
    ({"inject_id": "1"}, "inject_id"), ({"inject_id": 1.0}, "inject_id"),
    ({"inject_id": True}, "inject_id"), ({"category": ""}, "category"),
])
def test_decision_fields_are_strict(drill, four, change, field):
    client, live, real, tokens = drill
    first = key_of(four)[1]
    started(client, live, real, tokens, first["offset_s"] + 1)
    err = error(post(client, tokens["T1"], body(first, **change)), 422, "invalid_value")
    assert err["field"] == field
    assert live.store.decisions() == []


@pytest.mark.parametrize("field", ["category", "first_dispatch", "handling", "inject_id"])
def test_a_decision_missing_a_field_is_422(drill, four, field):
    client, live, real, tokens = drill
    first = key_of(four)[1]
    started(client, live, real, tokens, first["offset_s"] + 1)
    sent = body(first)
    del sent[field]
    err = error(post(client, tokens["T1"], sent), 422, "invalid_value")
    assert err["field"] == field and live.store.decisions() == []


def test_a_drill_stopped_early_names_the_injects_that_never_rang(drill, four, tmp_path):
    client, live, real, tokens = drill
    key = key_of(four)
    first = min(key.values(), key=lambda a: a["offset_s"])
    started(client, live, real, tokens, first["offset_s"] + 5)
    assert post(client, tokens[first["trainee"]], body(first)).status_code == 201
    trainer = auth(tokens["trainer"])
    client.post("/api/clock/stop", headers=trainer)
    view = client.get("/api/state", headers=trainer).json()
    rang = {i for i, a in key.items() if a["offset_s"] <= first["offset_s"] + 5}
    assert view["score"]["final"]
    assert view["score"]["never_delivered"] == sorted(set(key) - rang) != []
    progress = {p["trainee"]: p for p in view["progress"]}
    for name, row in progress.items():
        assert row["not_delivered"] == sum(a["trainee"] == name and i not in rang
                                           for i, a in key.items())
    # scored over every assigned inject, as `hotline drill score` scores the exported CSV
    (tmp_path / "responses.csv").write_text(
        client.get("/api/responses.csv", headers=trainer).text, encoding="utf-8")
    offline = score_drill(four, tmp_path / "responses.csv")
    assert client.get("/api/score", headers=trainer).json() == offline
    assert offline["overall"]["injects"] == len(key) and offline["overall"]["answered"] == 1
