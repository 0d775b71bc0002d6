"""Request and response bodies of the exchange API (pydantic models; the OpenAPI schema).

Request models forbid unknown fields and take values strictly (a number is not a string, a
string is not a number); times are ISO 8601 strings, naive ones taken as UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from loadtest.server.codes import category_codes, region_codes
from sim.domain.lines import LINES

Line = Literal["12345", "110", "119", "120", "122"]
"""A line as the API takes it: literal for the OpenAPI schema, equal to ``LINES`` (tested)."""
Platform = Literal["12345", "110", "119", "120", "122", "admin"]
TransferMode = Literal["one_key", "three_way", "system_dispatch"]
OrderKind = Literal["work_order", "police_order"]
OrderStatus = Literal["created", "signed", "in_progress", "answered", "closed", "reopened"]
NewOrderStatus = Literal["signed", "in_progress", "answered", "closed", "reopened"]
CallStatus = Literal["received", "answered", "abandoned"]
MAX_ID = 2**53 - 1
"""Largest record id taken: ids stay exact in every JSON reader (doubles hold 53 bits)."""


EDGE_DAYS = ("0001-01-01", "9999-12-31")
"""Days refused in any time: with a UTC offset they may fall outside the calendar."""
TIME_PATTERN = r"^(?!0001-01-01|9999-12-31)"
"""The same rule for the OpenAPI schema (with ``format: date-time``)."""


# RFC 3339 date-time (the schema's format), the zone optional (naive times are UTC).
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}:\d{2})?")


def _iso_string(value: object) -> object:
    if not isinstance(value, str) or not _DATE_TIME.fullmatch(value):
        raise ValueError("expected an ISO 8601 date-time string like 2024-06-03T10:00:00+08:00")
    if value.startswith(EDGE_DAYS):
        raise ValueError("times on 0001-01-01 or 9999-12-31 are refused (in UTC they may fall "
                         "outside the years 1 to 9999)")
    return value


def _to_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:59:59-12:00 is in the year 10000 in UTC
        raise ValueError("the time in UTC is outside the years 1 to 9999") from None


def _storable(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and lone surrogates cannot be encoded as UTF-8.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("must be valid Unicode (no lone surrogates)") from exc
    return value


def _region(value: str) -> str:
    if value not in region_codes():
        raise ValueError("unknown region code (GB/T 2260, see scenarios/data/regions.yaml)")
    return value


def _category(value: str) -> str:
    if value not in category_codes():
        raise ValueError("unknown category code (see the diversion list, sim.domain.taxonomy)")
    return value


Timestamp = Annotated[datetime, Field(strict=False, json_schema_extra={"pattern": TIME_PATTERN}),
                      BeforeValidator(_iso_string), AfterValidator(_to_utc)]
_NO_NUL = {"pattern": "^[^\\u0000]*$"}  # what _storable checks, stated in the schema
Text = Annotated[str, Field(json_schema_extra=_NO_NUL), AfterValidator(_storable)]
ShortText = Annotated[str, Field(min_length=1, max_length=128, json_schema_extra=_NO_NUL),
                      AfterValidator(_storable)]
Note = Annotated[str, Field(max_length=2000, json_schema_extra=_NO_NUL),
                 AfterValidator(_storable)]
# The enums document the codes in the OpenAPI schema; the validators give the error message.
RegionCode = Annotated[str, Field(min_length=1, max_length=12, json_schema_extra={
    "enum": sorted(region_codes())}), AfterValidator(_region)]
CategoryCode = Annotated[str, Field(min_length=1, max_length=64, json_schema_extra={
    "enum": sorted(category_codes())}), AfterValidator(_category)]
def _integral(value: object) -> object:
    # JSON Schema's "integer" includes 5.0; JSON numbers carry no int/float distinction.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


RecordId = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_integral)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


def _not_equal(first: str, second: str) -> dict[str, object]:
    """JSON Schema: ``first`` and ``second`` are not the same line (where both are given)."""
    same = [{"properties": {first: {"const": line}, second: {"const": line}},
             "required": [first, second]} for line in LINES]
    return {"not": {"anyOf": same}}



class CallIn(_Request):
    """A call registered by the platform that received it."""

    external_id: ShortText | None = Field(None, description="the platform's own call id")
    line: Line = Field(description="the line that received the call; the caller's platform")
    region: RegionCode
    category: CategoryCode
    channel: Literal["voice", "web"] = "voice"
    caller: ShortText | None = Field(None, description="caller's number or pseudonymous id")
    received_at: Timestamp | None = Field(None, description="defaults to the server's time")


class CallEventIn(_Request):
    """Something that happened to the call at one platform's leg of it."""

    type: Literal["answered", "abandoned"]
    at: Timestamp | None = None
    line: Line | None = Field(None, description="the leg's line; defaults to the caller's "
                              "platform (admin: the call's current leg)")


class TransferIn(_Request):
    """A transfer of a call to another line: S3 one-key, S4 three-way, S5 system dispatch."""

    model_config = ConfigDict(json_schema_extra=_not_equal("from_line", "to_line"))

    call_id: RecordId
    mode: TransferMode
    from_line: Line
    to_line: Line
    note: Note | None = None


class OrderIn(_Request):
    """A work order (工单) or police order (警单)."""

    model_config = ConfigDict(json_schema_extra=_not_equal("owner_line", "dispatched_to_line"))

    kind: OrderKind
    call_id: RecordId | None = None
    region: RegionCode
    category: CategoryCode
    urgency: Literal["urgent", "normal"] = "normal"
    deadline: Timestamp | None = Field(
        None, description="defaults to 24 h (urgent) or 5 days (normal) after creation")
    department: ShortText | None = Field(None, description="the assigned department")
    owner_line: Line | None = Field(None, description="defaults to the caller's platform")
    dispatched_to_line: Line | None = Field(None, description="S5 system dispatch target")
    linked_order_id: RecordId | None = Field(None, description="the other order of S8")


class StatusIn(_Request):
    """A move of an order along its status machine, with feedback and satisfaction."""

    model_config = ConfigDict(json_schema_extra={"anyOf": [  # satisfaction only when closing
        {"properties": {"status": {"const": "closed"}}},
        {"properties": {"satisfaction": {"type": "null"}}},
        {"not": {"required": ["satisfaction"]}}]})

    status: NewOrderStatus
    note: Note | None = Field(None, description="feedback (答复) when answering")
    satisfaction: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] | None = Field(
        None, description="callback satisfaction 0–1, only with status closed")
    at: Timestamp | None = None


class CallEventOut(BaseModel):
    """One event of a call."""

    type: Literal["answered", "abandoned"]
    line: Line
    leg: int
    at: datetime


class LegOut(BaseModel):
    """One centre's part of a call: the first centre, then each transfer's target."""

    leg: int
    line: Line
    via: Literal["received", "one_key", "three_way", "system_dispatch"]
    status: CallStatus
    arrived_at: datetime


class TransferOut(BaseModel):
    """A transfer, carrying the caller and the call's record."""

    id: int
    call_id: int
    mode: TransferMode
    from_line: Line
    to_line: Line
    note: str | None
    created_at: datetime
    caller: str | None
    record: CallOut | None = None


class CallOut(BaseModel):
    """A call with its legs, events and transfers."""

    id: int
    external_id: str | None
    line: Line
    region: str
    category: str
    channel: str
    caller: str | None
    received_at: datetime
    created_at: datetime
    status: CallStatus
    legs: list[LegOut]
    events: list[CallEventOut]
    transfers: list[TransferOut]


class HistoryEntry(BaseModel):
    """One step of an order's status history."""

    status: OrderStatus
    at: datetime
    by: Platform
    note: str | None
    satisfaction: float | None


class OrderOut(BaseModel):
    """An order with its status history."""

    id: int
    kind: OrderKind
    call_id: int | None
    region: str
    category: str
    urgency: Literal["urgent", "normal"]
    deadline: datetime
    department: str | None
    owner_line: Line
    dispatched_to_line: Line | None
    linked_order_id: int | None
    status: OrderStatus
    feedback: str | None
    satisfaction: float | None
    created_at: datetime
    updated_at: datetime
    history: list[HistoryEntry]


class CallPage(BaseModel):
    """A page of calls; pass ``next_cursor`` back as ``cursor`` for the next page."""

    items: list[CallOut]
    next_cursor: str | None


class TransferPage(BaseModel):
    """A page of transfers."""

    items: list[TransferOut]
    next_cursor: str | None


class OrderPage(BaseModel):
    """A page of orders."""

    items: list[OrderOut]
    next_cursor: str | None


class ErrorBody(BaseModel):
    """What went wrong: a stable code, a message for people, and the field at fault."""

    code: str
    message: str
    field: str | None


class ErrorOut(BaseModel):
    """Every error response."""

    error: ErrorBody


class Health(BaseModel):
    """The answer of ``/healthz``."""

    status: Literal["ok"]


TransferOut.model_rebuild()
