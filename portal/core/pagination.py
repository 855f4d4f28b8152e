"""Pagination without ``count(*)``: fetch one row more than the page to know if there is a next.

A count over a large join costs as much as the page itself (see shared/NOTES.md); lists show
"previous / next" instead of a page total.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request

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

    @classmethod
    def of(cls, rows: list, number: int, size: int) -> Page:
        """Page ``number`` from the rows ``limited`` fetched: the first ``size``, and whether there were more."""
        return cls(items=rows[:size], number=number, size=size, has_next=len(rows) > size)


def page_number(arg: str = "page") -> int:
    """The requested page from the query string; nonsense means page 1."""
    try:
        number = int(request.args.get(arg, "1"))
    except ValueError:
        return 1
    return min(max(number, 1), 100_000)


def paginate(stmt, number: int, size: int, scalars: bool = True) -> Page:
    """Page ``number`` of ``stmt``, ``size`` items a page (at most ``MAX_PAGE_SIZE``): its objects (``scalars``:
    the first column of each row, e.g. ``select(Order)``), or its rows (``select(Order.id, Order.number)``)."""
    size = min(max(size, 1), MAX_PAGE_SIZE)
    result = db.session.execute(limited(stmt, number, size))
    return Page.of(list(result.scalars()) if scalars else result.all(), number, size)


def limited(stmt, number: int, size: int):
    """``stmt`` cut to page ``number`` of ``size`` rows, and one more (is there a next page?)."""
    return stmt.limit(size + 1).offset((number - 1) * size)
