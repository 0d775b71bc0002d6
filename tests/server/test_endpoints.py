"""Every endpoint against the running server: calls, events, transfers, orders, queries."""

from __future__ import annotations

import uuid

from tests.server.support import CATEGORY, OTHER_CATEGORY, OTHER_REGION, REGION, Api


def test_healthz_needs_no_token(api: Api) -> None:
    r = api.get(None, "/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_openapi_document_lists_every_endpoint(api: Api) -> None:
    doc = api.get(None, "/openapi.json").json()
    paths = doc["paths"]
    for path, method in [("/v1/calls", "post"), ("/v1/calls", "get"),
                         ("/v1/calls/{call_id}", "get"), ("/v1/calls/{call_id}/events", "post"),
                         ("/v1/transfers", "post"), ("/v1/transfers", "get"),
                         ("/v1/transfers/{transfer_id}", "get"), ("/v1/orders", "post"),
                         ("/v1/orders", "get"), ("/v1/orders/{order_id}", "get"),
                         ("/v1/orders/{order_id}/status", "post"), ("/healthz", "get"),
                         ("/metrics", "get")]:
        assert method in paths[path], (method, path)
    assert "HTTPBearer" in doc["components"]["securitySchemes"]


def test_metrics_counts_records_and_requests(api: Api) -> None:
    before = api.get("admin", "/metrics").json()
    api.call()
    after = api.get("110", "/metrics").json()
    assert after["calls"]["total"] == before["calls"]["total"] + 1
    assert after["requests"]["served"] > before["requests"]["served"]
    assert after["database"] in ("sqlite", "postgresql")
    assert set(after) >= {"calls", "transfers", "orders", "requests", "uptime_s"}


def test_call_register_read_and_events(api: Api) -> None:
    ext = uuid.uuid4().hex
    call = api.call(external_id=ext, channel="web", received_at="2024-03-01T08:00:00+08:00")
    assert call["status"] == "received" and call["external_id"] == ext
    assert call["received_at"].startswith("2024-03-01T00:00:00")  # stored as UTC
    assert api.get("12345", f"/v1/calls/{call['id']}").json() == call
    r = api.post("12345", f"/v1/calls/{call['id']}/events",
                 {"type": "answered", "at": "2024-03-01T00:00:09Z"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "answered"
    assert r.json()["events"][0]["type"] == "answered"
    again = api.post("12345", f"/v1/calls/{call['id']}/events", {"type": "abandoned"})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "illegal_transition"


def test_transfer_carries_caller_and_record_and_shares_the_call(api: Api) -> None:
    call = api.call(caller="13912345678")
    assert api.get("110", f"/v1/calls/{call['id']}").status_code == 403
    r = api.post("12345", "/v1/transfers", {"call_id": call["id"], "mode": "one_key",
                                            "from_line": "12345", "to_line": "110",
                                            "note": "持刀威胁"})
    assert r.status_code == 201, r.text
    transfer = r.json()
    assert transfer["caller"] == "13912345678"
    assert transfer["record"]["id"] == call["id"]
    assert [leg["line"] for leg in transfer["record"]["legs"]] == ["12345", "110"]
    seen = api.get("110", f"/v1/calls/{call['id']}")
    assert seen.status_code == 200
    assert seen.json()["transfers"][0]["id"] == transfer["id"]
    assert api.get("110", f"/v1/transfers/{transfer['id']}").json()["record"]["id"] == call["id"]
    answered = api.post("110", f"/v1/calls/{call['id']}/events", {"type": "answered"})
    assert answered.json()["legs"][1]["status"] == "answered"


def test_three_way_and_system_dispatch_and_transfer_list(api: Api) -> None:
    call = api.call()
    for mode, to_line in (("three_way", "110"), ("system_dispatch", "122")):
        r = api.post("12345", "/v1/transfers", {"call_id": call["id"], "mode": mode,
                                                "from_line": "12345", "to_line": to_line})
        assert r.status_code == 201, r.text
    listed = api.get("122", "/v1/transfers", mode="system_dispatch").json()["items"]
    assert listed and all(t["to_line"] == "122" or t["from_line"] == "122" for t in listed)
    assert call["id"] in {t["call_id"] for t in listed}


def test_order_create_read_and_dual_handling(api: Api) -> None:
    call = api.call()
    police = api.order("12345", kind="work_order", call_id=call["id"], urgency="urgent",
                       deadline="2030-01-01T00:00:00Z", dispatched_to_line="110")
    assert police["status"] == "created"
    assert police["history"][0]["status"] == "created"
    assert police["deadline"].startswith("2030-01-01")
    linked = api.order("110", kind="police_order", linked_order_id=police["id"],
                       region=OTHER_REGION)
    assert linked["linked_order_id"] == police["id"] and linked["owner_line"] == "110"
    assert api.get("110", f"/v1/orders/{police['id']}").json() == police
    default = api.order("12345", urgency="normal")
    assert default["deadline"] > default["created_at"]


def test_order_queries_filter_and_paginate(api: Api) -> None:
    tag = uuid.uuid4().hex[:8]
    made = [api.order("119", department=tag, category=OTHER_CATEGORY) for _ in range(5)]
    api.post("119", f"/v1/orders/{made[0]['id']}/status", {"status": "signed"})
    seen, cursor = [], None
    while True:
        params = {"category": OTHER_CATEGORY, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.get("119", "/v1/orders", **params).json()
        seen += [o["id"] for o in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert {o["id"] for o in made} <= set(seen)
    assert seen == sorted(seen) and len(seen) == len(set(seen))
    signed = api.get("119", "/v1/orders", status="signed").json()["items"]
    assert [o["id"] for o in signed] == [made[0]["id"]]
    assert api.get("119", "/v1/orders", region=OTHER_REGION).json()["items"] == []


def test_time_window_queries(api: Api) -> None:
    early = api.call("120", received_at="2001-01-01T00:00:00Z")
    late = api.call("120", received_at="2001-01-02T00:00:00Z")
    window = api.get("120", "/v1/calls", since="2001-01-01T00:00:00Z",
                     until="2001-01-02T00:00:00Z").json()["items"]
    assert [c["id"] for c in window] == [early["id"]]
    later = api.get("120", "/v1/calls", since="2001-01-01T12:00:00+00:00", line="120",
                    region=REGION, category=CATEGORY, status="received").json()["items"]
    assert late["id"] in [c["id"] for c in later] and early["id"] not in [c["id"] for c in later]
    orders = api.get("admin", "/v1/orders", since="2000-01-01T00:00:00Z", limit=1).json()
    assert len(orders["items"]) == 1


def test_unknown_ids_are_404(api: Api) -> None:
    for path in ("/v1/calls/999999999", "/v1/orders/999999999", "/v1/transfers/999999999"):
        r = api.get("admin", path)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = api.post("admin", "/v1/orders/999999999/status", {"status": "signed"})
    assert r.status_code == 404
