"""Addresses typed or sent by people, checked before the portal redirects to or links them; row ids in them."""

from __future__ import annotations

from urllib.parse import urlsplit

from werkzeug.routing import BaseConverter, ValidationError


def safe_next(target: str | None) -> str | None:
    """Only a relative path on this site: no scheme, no host, no ``//`` or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target or any(ord(c) < 32 for c in target):
        return None
    return target


# The largest id a database integer column holds (BIGINT on PostgreSQL, INTEGER on SQLite): a bigger number
# in an address is no row of ours, and the database driver would refuse it with an error (a 500).
MAX_ID = 2**63 - 1


def row_id(value) -> int | None:
    """``value`` (a form's or query's text, or an int) as a row id 1 … MAX_ID, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value <= MAX_ID else None
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


class IdConverter(BaseConverter):
    """``<id:name>`` in a route: a row id, 1 … 2^63 − 1. Anything else is a 404, like an unknown id."""

    regex = r"[1-9]\d{0,18}"
    part_isolating = True

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValidationError()
        return number

    def to_url(self, value) -> str:
        return str(int(value))
