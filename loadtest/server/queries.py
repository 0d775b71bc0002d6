"""Query-string parameters shared by the list endpoints: filters, time window, pagination."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, TypeAdapter, ValidationError

from loadtest.server.codes import category_codes, region_codes
from loadtest.server.errors import ApiError
from loadtest.server.schemas import MAX_ID, TIME_PATTERN, Timestamp
from loadtest.server.storage.pages import Page

_timestamp = TypeAdapter(Timestamp)

ResourceId = Annotated[int, Path(ge=1, le=MAX_ID)]
"""The id of a call, order or transfer in a URL path."""

_TIME = {"format": "date-time", "pattern": TIME_PATTERN}
Since = Annotated[str | None, Query(description="ISO 8601; inclusive", max_length=64,
                                    json_schema_extra=_TIME)]
Until = Annotated[str | None, Query(description="ISO 8601; exclusive", max_length=64,
                                    json_schema_extra=_TIME)]
Limit = Annotated[int, Query(ge=1, le=500, description="page size")]
Cursor = Annotated[str | None, Query(pattern=r"^[0-9]{1,18}$",
                                     description="next_cursor of the previous page")]
RegionFilter = Annotated[str | None, Query(max_length=12, description="GB/T 2260 code",
                                           json_schema_extra={"enum": sorted(region_codes())})]
CategoryFilter = Annotated[str | None, Query(max_length=64, description="category code",
                                             json_schema_extra={"enum": sorted(category_codes())})]


def parse_time(value: str | None, field: str) -> datetime | None:
    """An ISO 8601 query value as UTC, or a 422 naming the parameter."""
    if value is None:
        return None
    try:
        return _timestamp.validate_python(value)
    except ValidationError as exc:
        raise ApiError(422, "invalid_value", exc.errors()[0]["msg"], field) from exc


def check_codes(region: str | None, category: str | None) -> None:
    """422 for an unknown region or category code in a filter."""
    if region is not None and region not in region_codes():
        raise ApiError(422, "invalid_value", "unknown region code", "region")
    if category is not None and category not in category_codes():
        raise ApiError(422, "invalid_value", "unknown category code", "category")


def make_page(equals: dict[str, str | None], since: str | None, until: str | None,
              limit: int, cursor: str | None) -> Page:
    """A ``Page`` from query values (filters left empty are dropped)."""
    return Page(equals={k: v for k, v in equals.items() if v is not None},
                since=parse_time(since, "since"), until=parse_time(until, "until"),
                limit=limit, after_id=int(cursor) if cursor else 0)


def reject_unknown_query(request: Request) -> None:
    """422 for a query parameter the endpoint does not take (as bodies reject unknown fields).

    A router-wide dependency: the names come from the matched route's own parameters.
    """
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None or not request.query_params:
        return
    known = {param.alias for param in dependant.query_params}
    for name in request.query_params:
        if name not in known:
            raise ApiError(422, "unknown_field", f"unknown query parameter {name!r}", name)


def resource_router(name: str) -> APIRouter:
    """The router of ``/v1/<name>``: tagged ``name``, refusing unknown query parameters."""
    return APIRouter(prefix=f"/v1/{name}", tags=[name],
                     dependencies=[Depends(reject_unknown_query)])


def as_json(model: type[BaseModel], value: Any) -> dict[str, Any]:
    """``value`` (a row or a page) validated by the API's ``model``, as JSON-ready data."""
    return model.model_validate(value).model_dump(mode="json")
