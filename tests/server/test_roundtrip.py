"""Hypothesis: valid orders with arbitrary text, times and satisfaction reach the database and
come back unchanged; text the database cannot hold is a 422, never a 5xx."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loadtest.server.codes import category_codes, region_codes
from tests.server.support import Api

OFFSETS = st.integers(-12 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
TIMES = st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(9998, 12, 30),
                     timezones=OFFSETS)
TEXT = st.text(min_size=1, max_size=128)


def _storable(text: str) -> bool:
    return "\x00" not in text and not any(0xD800 <= ord(c) <= 0xDFFF for c in text)


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(department=TEXT, note=st.text(max_size=300), deadline=TIMES,
       satisfaction=st.floats(0, 1), region=st.sampled_from(sorted(region_codes())),
       category=st.sampled_from(sorted(category_codes())))
def test_orders_round_trip(api: Api, department: str, note: str, deadline: datetime,
                           satisfaction: float, region: str, category: str) -> None:
    body = {"kind": "police_order", "region": region, "category": category,
            "department": department, "deadline": deadline.isoformat()}
    raw = json.dumps(body).encode()  # plain ASCII: json.dumps escapes the rest
    r = api.client.post("/v1/orders", content=raw, headers={
        **api.headers("110"), "Content-Type": "application/json"})
    if not _storable(department):
        assert r.status_code == 422 and r.json()["error"]["field"] == "department"
        return
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["department"] == department and order["region"] == region
    got = datetime.fromisoformat(order["deadline"].replace("Z", "+00:00"))
    assert got == deadline.astimezone(UTC)
    path = f"/v1/orders/{order['id']}/status"
    for status in ("signed", "in_progress"):
        assert api.post("110", path, {"status": status}).status_code == 200
    answer = api.client.post(path, content=json.dumps({"status": "answered", "note": note}),
                             headers={**api.headers("110"), "Content-Type": "application/json"})
    if not _storable(note):
        assert answer.status_code == 422
        return
    assert answer.json()["feedback"] == note
    closed = api.post("110", path, {"status": "closed", "satisfaction": satisfaction}).json()
    assert closed["satisfaction"] == satisfaction
    assert api.get("110", f"/v1/orders/{order['id']}").json() == closed
