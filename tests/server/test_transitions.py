"""The order status machine: every legal move, every illegal one (409), reopening."""

from __future__ import annotations

import itertools

import pytest

from loadtest.server.lifecycle import TRANSITIONS
from tests.server.support import Api

PATH_TO = {"created": [], "signed": ["signed"], "in_progress": ["signed", "in_progress"],
           "answered": ["signed", "in_progress", "answered"],
           "closed": ["signed", "in_progress", "answered", "closed"],
           "reopened": ["signed", "in_progress", "answered", "closed", "reopened"]}
TARGETS = ["signed", "in_progress", "answered", "closed", "reopened"]


def _order_at(api: Api, status: str) -> dict:
    order = api.order("12345", dispatched_to_line="110")
    for step in PATH_TO[status]:
        r = api.post("110", f"/v1/orders/{order['id']}/status", {"status": step})
        assert r.status_code == 200, r.text
    return r.json() if PATH_TO[status] else order


def test_full_cycle_with_feedback_satisfaction_and_reopen(api: Api) -> None:
    order = api.order("12345", dispatched_to_line="110")
    path = f"/v1/orders/{order['id']}/status"
    steps = [("110", {"status": "signed"}), ("110", {"status": "in_progress"}),
             ("110", {"status": "answered", "note": "已联系物业处理"}),
             ("12345", {"status": "closed", "satisfaction": 0.4}),
             ("12345", {"status": "reopened", "note": "群众不满意"}),
             ("110", {"status": "in_progress"}), ("110", {"status": "answered", "note": "已整改"}),
             ("12345", {"status": "closed", "satisfaction": 1.0,
                        "at": "2030-01-01T00:00:00Z"})]
    for platform, body in steps:
        r = api.post(platform, path, body)
        assert r.status_code == 200, r.text
    final = api.get("admin", f"/v1/orders/{order['id']}").json()
    assert final["status"] == "closed"
    assert final["feedback"] == "已整改" and final["satisfaction"] == 1.0
    history = final["history"]
    assert [h["status"] for h in history] == ["created"] + [b["status"] for _, b in steps]
    assert [h["by"] for h in history] == ["12345"] + [p for p, _ in steps]
    assert history[-1]["at"].startswith("2030-01-01")
    assert history[4]["satisfaction"] == 0.4


ILLEGAL = [(s, t) for s, t in itertools.product(PATH_TO, TARGETS) if t not in TRANSITIONS[s]]


@pytest.mark.parametrize(("current", "target"), ILLEGAL,
                         ids=[f"{s}->{t}" for s, t in ILLEGAL])
def test_illegal_moves_are_409_and_change_nothing(api: Api, current: str, target: str) -> None:
    order = _order_at(api, current)
    r = api.post("110", f"/v1/orders/{order['id']}/status", {"status": target})
    assert r.status_code == 409, r.text
    assert r.json()["error"]["code"] == "illegal_transition"
    assert r.json()["error"]["field"] == "status"
    after = api.get("admin", f"/v1/orders/{order['id']}").json()
    assert after == order


def test_created_is_not_a_target_and_satisfaction_needs_closing(api: Api) -> None:
    order = api.order()
    r = api.post("12345", f"/v1/orders/{order['id']}/status", {"status": "created"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "status"
    r = api.post("12345", f"/v1/orders/{order['id']}/status",
                 {"status": "signed", "satisfaction": 0.5})
    assert r.status_code == 422 and r.json()["error"]["field"] == "satisfaction"
    assert api.get("12345", f"/v1/orders/{order['id']}").json()["status"] == "created"
