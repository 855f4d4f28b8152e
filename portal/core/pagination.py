"""Pagination without ``count(*)``: fetch one row more than the page to know if there is a next.

A count over a large join costs as much as the page itself (see shared/NOTES.md); lists show
"previous / next" instead of a page total.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request
from sqlalchemy import bindparam

from portal.core import reads
from portal.extensions import db

MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class Page:
    items: list[Any]
    number: int
    size: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.number > 1


def page_number(arg: str = "page") -> int:
    """The requested page from the query string; nonsense means page 1."""
    try:
        number = int(request.args.get(arg, "1"))
    except ValueError:
        return 1
    return min(max(number, 1), 100_000)


def paginate(stmt, number: int, size: int, scalars: bool = True, params: dict | None = None) -> Page:
    """One page of ``stmt`` (executed with ``params``): its objects (``scalars``) or its rows as named
    tuples (see ``plain_rows``)."""
    size = min(max(size, 1), MAX_PAGE_SIZE)
    result = db.session.execute(stmt.limit(size + 1).offset((number - 1) * size), params)
    return _page(list(result.scalars()) if scalars else plain_rows(result), number, size)


def _page(rows: list, number: int, size: int) -> Page:
    """``size + 1`` rows fetched: the page, and whether there is a next one."""
    return Page(items=rows[:size], number=number, size=size, has_next=len(rows) > size)


# --- statements built once ---------------------------------------------------------------------------
# Building a SQLAlchemy statement and looking up its compiled form costs ~0.5 ms of Python per call on
# the list pages, more than their indexed query. The hot lists (order history, order queue) build theirs
# once per *shape* (which filters are present, which kind of tenancy scope) with a bind parameter for
# every value and for the page's LIMIT/OFFSET, and only bind values per request.

_prepared: dict[tuple, Any] = {}


def prepared(key: tuple, build) -> Any:
    """``build()``'s statement, built once per ``key`` (which must name everything the statement's
    structure depends on; values go in bind parameters). Add ``bound_page`` for ``paginate_bound``."""
    stmt = _prepared.get(key)
    if stmt is None:
        stmt = _prepared[key] = build()
    return stmt


def bound_page(stmt):
    """``stmt`` with LIMIT and OFFSET as bind parameters (``paginate_bound`` sets them)."""
    return stmt.limit(bindparam("page_limit")).offset(bindparam("page_offset"))


def paginate_bound(stmt, params: dict, number: int, size: int) -> Page:
    """One page of a ``bound_page`` statement of columns, on the hot read path (``core.reads``: no ORM
    objects), rows as named tuples."""
    size = min(max(size, 1), MAX_PAGE_SIZE)
    return _page(reads.rows(stmt, {**params, "page_limit": size + 1, "page_offset": (number - 1) * size}),
                 number, size)


def plain_rows(result) -> list[tuple]:
    """A result's rows as named tuples with the same fields (see ``core.reads.row_type``)."""
    make = reads.row_type(tuple(result.keys()))._make
    return [make(row) for row in result]
