"""Access rules: each platform's token, ownership and dispatch; 401/403 carry no data."""

from __future__ import annotations

import pytest

from tests.server.support import Api

READS = ("/v1/calls", "/v1/orders", "/v1/transfers", "/metrics")


def _is_bare_error(r, status: int) -> None:
    assert r.status_code == status, r.text
    assert set(r.json()) == {"error"}
    assert set(r.json()["error"]) == {"code", "message", "field"}


@pytest.mark.parametrize("path", READS)
def test_missing_or_unknown_token_is_401(api: Api, path: str) -> None:
    _is_bare_error(api.client.get(path), 401)
    _is_bare_error(api.client.get(path, headers={"Authorization": "Bearer nope"}), 401)
    _is_bare_error(api.client.get(path, headers={"Authorization": "Basic ZGV2LWFkbWlu"}), 401)


def test_writes_without_token_are_401_and_store_nothing(api: Api) -> None:
    before = api.counts()
    r = api.post(None, "/v1/orders", {"kind": "work_order", "region": "620100",
                                      "category": "G-NOISE"})
    _is_bare_error(r, 401)
    assert r.headers["www-authenticate"] == "Bearer"
    assert api.counts() == before


def test_each_platform_token_works(api: Api) -> None:
    for platform in ("12345", "110", "119", "120", "122", "admin"):
        assert api.get(platform, "/v1/orders").status_code == 200


def test_a_platform_cannot_act_for_another_line(api: Api) -> None:
    before = api.counts()
    body = {"line": "110", "region": "620100", "category": "G-NOISE"}
    r = api.post("12345", "/v1/calls", body)
    _is_bare_error(r, 403)
    assert r.json()["error"]["field"] == "line"
    r = api.post("12345", "/v1/orders", {"kind": "police_order", "region": "620100",
                                         "category": "G-NOISE", "owner_line": "110"})
    assert r.status_code == 403 and r.json()["error"]["field"] == "owner_line"
    assert api.counts() == before


def test_orders_are_seen_by_owner_dispatch_target_and_admin_only(api: Api) -> None:
    own = api.order("12345")
    shared = api.order("12345", dispatched_to_line="110")
    for platform, order, status in (("12345", own, 200), ("110", own, 403), ("admin", own, 200),
                                    ("110", shared, 200), ("119", shared, 403)):
        r = api.get(platform, f"/v1/orders/{order['id']}")
        if status == 403:
            _is_bare_error(r, 403)
        else:
            assert r.status_code == 200 and r.json()["id"] == order["id"]
    ids_110 = {o["id"] for o in api.get("110", "/v1/orders", limit=500).json()["items"]}
    assert shared["id"] in ids_110 and own["id"] not in ids_110


def test_updates_follow_the_same_rule(api: Api) -> None:
    own = api.order("12345")
    _is_bare_error(api.post("110", f"/v1/orders/{own['id']}/status", {"status": "signed"}), 403)
    assert api.get("12345", f"/v1/orders/{own['id']}").json()["status"] == "created"
    shared = api.order("12345", dispatched_to_line="110")
    assert api.post("110", f"/v1/orders/{shared['id']}/status",
                    {"status": "signed"}).status_code == 200
    assert api.post("admin", f"/v1/orders/{shared['id']}/status",
                    {"status": "in_progress"}).status_code == 200


def test_calls_and_transfers_are_private_until_transferred(api: Api) -> None:
    call = api.call("12345")
    _is_bare_error(api.get("110", f"/v1/calls/{call['id']}"), 403)
    _is_bare_error(api.post("110", f"/v1/calls/{call['id']}/events", {"type": "answered"}), 403)
    r = api.post("110", "/v1/transfers", {"call_id": call["id"], "mode": "one_key",
                                          "from_line": "110", "to_line": "119"})
    _is_bare_error(r, 403)
    r = api.post("110", "/v1/orders", {"kind": "police_order", "region": "620100",
                                       "category": "G-NOISE", "call_id": call["id"]})
    _is_bare_error(r, 403)
    ids = {c["id"] for c in api.get("110", "/v1/calls", limit=500).json()["items"]}
    assert call["id"] not in ids
    t = api.post("12345", "/v1/transfers", {"call_id": call["id"], "mode": "one_key",
                                            "from_line": "12345", "to_line": "120"}).json()
    _is_bare_error(api.get("110", f"/v1/transfers/{t['id']}"), 403)
    assert api.get("120", f"/v1/transfers/{t['id']}").status_code == 200


def test_linked_order_must_be_visible(api: Api) -> None:
    other = api.order("119")
    r = api.post("110", "/v1/orders", {"kind": "police_order", "region": "620100",
                                       "category": "G-NOISE", "linked_order_id": other["id"]})
    _is_bare_error(r, 403)
