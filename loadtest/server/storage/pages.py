"""Filters and keyset pagination shared by the list queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, or_, select


@dataclass(frozen=True)
class Page:
    """Which rows to list: equality filters, a time window, a page size and a cursor."""

    equals: dict[str, str]
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 50
    after_id: int = 0


def apply_page(query: Select[Any], table: Any, page: Page, time_column: str) -> Select[Any]:
    """Add the page's filters, window (since inclusive, until exclusive), order and limit."""
    for name, value in page.equals.items():
        query = query.where(table.c[name] == value)
    if page.since is not None:
        query = query.where(table.c[time_column] >= page.since)
    if page.until is not None:
        query = query.where(table.c[time_column] < page.until)
    # One row more than asked tells whether there is a next page.
    return query.where(table.c.id > page.after_id).order_by(table.c.id).limit(page.limit + 1)


def split_page(rows: list[Any], limit: int) -> tuple[list[Any], str | None]:
    """The rows of this page and the cursor of the next (None on the last page)."""
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, str(rows[-1].id)
    return rows, None


def page_ids(conn: Connection, table: Any, platform: str | None, line_columns: tuple[str, str],
             page: Page, time_column: str = "created_at") -> tuple[list[int], str | None]:
    """The ids of one page of ``table``'s rows whose either line column is ``platform`` (every
    row for None), and the cursor of the next page."""
    query = select(table.c.id)
    if platform is not None:
        first, second = line_columns
        query = query.where(or_(table.c[first] == platform, table.c[second] == platform))
    rows, cursor = split_page(conn.execute(apply_page(query, table, page, time_column)).all(),
                              page.limit)
    return [r.id for r in rows], cursor
