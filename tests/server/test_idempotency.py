"""Safe retries: a repeated Idempotency-Key returns the first answer and creates nothing."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.server.support import CATEGORY, REGION, Api

ORDER = {"kind": "work_order", "region": REGION, "category": CATEGORY, "urgency": "urgent"}


def test_every_create_replays_on_a_repeated_key(api: Api) -> None:
    call = api.call()
    bodies = [("/v1/calls", {"line": "12345", "region": REGION, "category": CATEGORY}),
              ("/v1/orders", ORDER),
              ("/v1/transfers", {"call_id": call["id"], "mode": "three_way",
                                 "from_line": "12345", "to_line": "110"})]
    for path, body in bodies:
        key = uuid.uuid4().hex
        first = api.post("12345", path, body, key=key)
        before = api.counts()
        second = api.post("12345", path, body, key=key)
        assert first.status_code == second.status_code == 201
        assert second.json() == first.json()
        assert second.headers["idempotent-replayed"] == "true"
        assert api.counts() == before, path


def test_status_updates_replay_too(api: Api) -> None:
    order = api.order()
    key = uuid.uuid4().hex
    first = api.post("12345", f"/v1/orders/{order['id']}/status", {"status": "signed"}, key=key)
    again = api.post("12345", f"/v1/orders/{order['id']}/status", {"status": "signed"}, key=key)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert len(api.get("12345", f"/v1/orders/{order['id']}").json()["history"]) == 2


def test_key_reused_for_another_request_is_409(api: Api) -> None:
    key = uuid.uuid4().hex
    assert api.post("12345", "/v1/orders", ORDER, key=key).status_code == 201
    before = api.counts()
    r = api.post("12345", "/v1/orders", {**ORDER, "urgency": "normal"}, key=key)
    assert r.status_code == 409
    assert r.json()["error"] == {"code": "idempotency_key_reused", "field": "Idempotency-Key",
                                 "message": r.json()["error"]["message"]}
    assert api.counts() == before


def test_keys_are_per_platform(api: Api) -> None:
    key = uuid.uuid4().hex
    a = api.post("12345", "/v1/orders", ORDER, key=key).json()
    b = api.post("110", "/v1/orders", ORDER, key=key).json()
    assert a["id"] != b["id"] and b["owner_line"] == "110"


def test_a_rejected_request_does_not_burn_the_key(api: Api) -> None:
    key = uuid.uuid4().hex
    bad = api.post("12345", "/v1/orders", {**ORDER, "region": "999999"}, key=key)
    assert bad.status_code == 422
    assert api.post("12345", "/v1/orders", ORDER, key=key).status_code == 201


def test_concurrent_retries_create_one_order(api: Api) -> None:
    key = uuid.uuid4().hex
    before = api.counts()["orders"]

    def send(_: int) -> httpx.Response:
        with httpx.Client(base_url=api.server.url, timeout=10) as client:
            return client.post("/v1/orders", json=ORDER,
                               headers=api.headers("12345", key))

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, range(8)))
    assert {r.status_code for r in answers} == {201}
    assert len({r.json()["id"] for r in answers}) == 1
    assert api.counts()["orders"] == before + 1


def test_malformed_key_is_422(api: Api) -> None:
    r = api.client.post("/v1/orders", json=ORDER,
                        headers={**api.headers("12345"), "Idempotency-Key": "x" * 300})
    assert r.status_code == 422 and r.json()["error"]["field"] == "Idempotency-Key"
