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


def page_number(arg: str = "page") -> int:
    """The requested page from the query string; nonsense means page 1."""
    try:
        number = int(request.args.get(arg, "1"))
    except ValueError:
        return 1
    return min(max(number, 1), 100_000)


def paginate(stmt, number: int, size: int, scalars: bool = True) -> Page:
    size = min(max(size, 1), MAX_PAGE_SIZE)
    result = db.session.execute(stmt.limit(size + 1).offset((number - 1) * size))
    rows = list(result.scalars() if scalars else result.all())
    return Page(items=rows[:size], number=number, size=size, has_next=len(rows) > size)
