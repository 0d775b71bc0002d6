"""Each class of bad input gets a 4xx JSON error naming the field, and nothing is stored."""

from __future__ import annotations

import json

import pytest

from tests.server.support import CATEGORY, REGION, Api

ORDER = {"kind": "work_order", "region": REGION, "category": CATEGORY}
JSON = {"Content-Type": "application/json"}


def _send(api: Api, raw: bytes | str, headers: dict[str, str] | None = None,
          path: str = "/v1/orders"):
    content = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    return api.client.post(path, content=content,
                           headers={**api.headers("12345"), **(headers or JSON)})


def _rejected(api: Api, response, status: int, code: str, field: str | None) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert (error["code"], error["field"]) == (code, field), error
    assert error["message"]


BODY_CASES = [
    ("bad json", b'{"kind": "work_order",', 400, "invalid_json", None),
    ("not an object", b"[1, 2]", 422, "wrong_type", None),
    ("empty object", b"{}", 422, "missing_field", "kind"),
    ("unknown field", json.dumps({**ORDER, "priority": 1}), 422, "unknown_field", "priority"),
    ("wrong type int", json.dumps({**ORDER, "kind": 5}), 422, "invalid_value", "kind"),
    ("wrong type str", json.dumps({**ORDER, "call_id": "5"}), 422, "wrong_type", "call_id"),
    ("bool for int", json.dumps({**ORDER, "call_id": True}), 422, "wrong_type", "call_id"),
    ("number for time", json.dumps({**ORDER, "deadline": 1700000000}), 422, "invalid_value",
     "deadline"),
    ("bad time", json.dumps({**ORDER, "deadline": "2024-13-40"}), 422, "invalid_value",
     "deadline"),
    ("unknown region", json.dumps({**ORDER, "region": "110000"}), 422, "invalid_value",
     "region"),
    ("unknown category", json.dumps({**ORDER, "category": "NOPE"}), 422, "invalid_value",
     "category"),
    ("bad enum", json.dumps({**ORDER, "urgency": "asap"}), 422, "invalid_value", "urgency"),
    ("huge integer", json.dumps(ORDER)[:-1] + ', "call_id": ' + "9" * 4000 + "}", 422,
     "invalid_value", "call_id"),
    ("huge integer over the parser limit", '{"call_id": %s}' % ("9" * 5000), 400,
     "invalid_json", None),
    ("deep json", "[" * 5000 + "]" * 5000, 400, "invalid_json", None),
    ("deep json in a field", json.dumps({**ORDER, "department": None})[:-1]
     + ', "x": ' + "[" * 3000 + "]" * 3000 + "}", 400, "invalid_json", None),
    ("NUL in text", json.dumps({**ORDER, "department": "a\x00b"}), 422, "invalid_value",
     "department"),
    ("lone surrogate", f'{{"kind": "work_order", "region": "620100", "category": "{CATEGORY}", '
     '"department": "\\ud800"}', 422, "invalid_value", "department"),
    ("too long text", json.dumps({**ORDER, "department": "x" * 200}), 422, "invalid_value",
     "department"),
]


@pytest.mark.parametrize(("name", "raw", "status", "code", "field"), BODY_CASES,
                         ids=[c[0] for c in BODY_CASES])
def test_bad_body_is_rejected(api: Api, name: str, raw: str | bytes, status: int, code: str,
                              field: str | None) -> None:
    before = api.counts()
    _rejected(api, _send(api, raw), status, code, field)
    assert api.counts() == before


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-1", "1.5", "1e400", "9" * 400, '"0.5"'])
def test_satisfaction_must_be_a_number_from_0_to_1(api: Api, value: str) -> None:
    order = api.order()
    path = f"/v1/orders/{order['id']}/status"
    for status in ("signed", "in_progress", "answered"):
        assert api.post("12345", path, {"status": status}).status_code == 200
    r = _send(api, f'{{"status": "closed", "satisfaction": {value}}}', path=path)
    _rejected(api, r, 422, r.json()["error"]["code"], "satisfaction")
    assert api.get("12345", path.rsplit("/", 1)[0]).json()["status"] == "answered"


def test_invalid_utf8_is_400(api: Api) -> None:
    before = api.counts()
    _rejected(api, _send(api, b'{"kind": "\xff\xfe"}'), 400, "invalid_json", "body")
    assert api.counts() == before


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", ""])
def test_wrong_content_type_is_415(api: Api, content_type: str) -> None:
    r = _send(api, json.dumps(ORDER), {"Content-Type": content_type})
    _rejected(api, r, 415, "unsupported_media_type", "Content-Type")


def test_json_with_charset_is_fine(api: Api) -> None:
    r = _send(api, json.dumps(ORDER), {"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 201


def test_oversized_body_is_413(api: Api) -> None:
    before = api.counts()
    big = json.dumps({**ORDER, "department": "x" * 20_000})
    _rejected(api, _send(api, big), 413, "body_too_large", "body")

    def chunks():  # no Content-Length: the limit holds on a streamed body too
        for _ in range(40):
            yield b" " * 1024

    r = api.client.post("/v1/orders", content=chunks(), headers={**api.headers("12345"), **JSON})
    _rejected(api, r, 413, "body_too_large", "body")
    assert api.counts() == before


@pytest.mark.parametrize(("path", "field"), [
    ("/v1/orders/0", "order_id"), ("/v1/orders/abc", "order_id"),
    ("/v1/orders/99999999999999999999999", "order_id"), ("/v1/calls/-1", "call_id"),
])
def test_bad_ids_are_422(api: Api, path: str, field: str) -> None:
    r = api.get("admin", path)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == field


@pytest.mark.parametrize(("params", "field"), [
    ({"limit": 0}, "limit"), ({"limit": 100000}, "limit"), ({"limit": "x"}, "limit"),
    ({"cursor": "abc"}, "cursor"), ({"since": "yesterday"}, "since"),
    ({"until": "2024-02-30"}, "until"), ({"region": "000000"}, "region"),
    ({"category": "NOPE"}, "category"), ({"status": "lost"}, "status"),
])
def test_bad_query_parameters_are_422(api: Api, params: dict, field: str) -> None:
    r = api.get("12345", "/v1/orders", **params)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == field


def test_transfer_to_the_same_line_is_422(api: Api) -> None:
    call = api.call()
    r = api.post("12345", "/v1/transfers", {"call_id": call["id"], "mode": "one_key",
                                            "from_line": "12345", "to_line": "12345"})
    _rejected(api, r, 422, "invalid_value", "to_line")
    r = api.post("12345", "/v1/transfers", {"call_id": 10**12, "mode": "one_key",
                                            "from_line": "12345", "to_line": "110"})
    _rejected(api, r, 404, "not_found", "call_id")  # valid by the schema; no such call


def test_unknown_route_and_method_are_json(api: Api) -> None:
    _rejected(api, api.get("admin", "/v2/nothing"), 404, "not_found", None)
    r = api.client.delete("/v1/orders", headers=api.headers("admin"))
    _rejected(api, r, 405, "method_not_allowed", None)
    assert r.headers["Allow"] == "GET, HEAD, POST"  # every method of the path, not one route's
    r = api.client.put("/v1/transfers/1", headers=api.headers("admin"))
    assert r.status_code == 405 and r.headers["Allow"] == "GET, HEAD"


@pytest.mark.parametrize(("path", "body", "status", "field"), [
    # valid by the schema, refused for who asks (403) or what is stored (404, 409)
    ("/v1/orders", {**ORDER, "call_id": 10**12}, 404, "call_id"),
    ("/v1/orders", {**ORDER, "linked_order_id": 10**12}, 404, "linked_order_id"),
    ("/v1/orders", {**ORDER, "dispatched_to_line": "12345"}, 403, "dispatched_to_line"),
    # not valid by the schema: 422
    ("/v1/orders", {**ORDER, "owner_line": "12345", "dispatched_to_line": "12345"}, 422,
     "dispatched_to_line"),
    ("/v1/orders", {**ORDER, "call_id": 2**53}, 422, "call_id"),
    ("/v1/orders", {**ORDER, "deadline": "100000001"}, 422, "deadline"),
    ("/v1/orders", {**ORDER, "deadline": "2024-06-03T10:00"}, 422, "deadline"),
])
def test_status_codes_follow_the_schema(api: Api, path, body, status, field) -> None:
    r = api.post("12345", path, body)
    assert r.status_code == status and r.json()["error"]["field"] == field, r.text


def test_an_integral_number_is_an_integer_as_json_schema_says(api: Api) -> None:
    call = api.call()
    r = api.post("12345", "/v1/orders", {**ORDER, "call_id": float(call["id"])})
    assert r.status_code == 201 and r.json()["call_id"] == call["id"]
    r = api.post("12345", "/v1/orders", {**ORDER, "call_id": call["id"] + 0.5})
    assert r.status_code == 422


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"])
@pytest.mark.parametrize(("path", "field"), [("/v1/orders", "deadline"), ("/v1/calls", "received_at")])
def test_a_time_outside_the_utc_range_is_a_422_and_the_connection_survives(
        api: Api, moment: str, path: str, field: str) -> None:
    import http.client
    from urllib.parse import urlsplit

    url = urlsplit(api.server.url)
    body = dict(ORDER) if path == "/v1/orders" else {"line": "12345", "region": REGION,
                                                     "category": CATEGORY}
    headers = {**api.headers("12345"), **JSON}
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        conn.request("POST", path, json.dumps({**body, field: moment}), headers)
        first = conn.getresponse()
        error = json.loads(first.read())["error"]
        sock = conn.sock
        assert first.status == 422 and (error["code"], error["field"]) == ("invalid_value", field)
        assert "1 to 9999" in error["message"]
        conn.request("POST", path, json.dumps(body), headers)  # the next request, same socket
        second = conn.getresponse()
        second.read()
        assert second.status == 201 and conn.sock is sock is not None
    finally:
        conn.close()
