"""A notification's parameters: the values its template shows, kept as plain JSON so that the notice can be
rendered again later, in whatever language the reader has then.

``plain(context)`` turns what a caller hands to ``notify`` into JSON: text and numbers as they are (no HTML,
nothing escaped), ``Decimal``/``datetime``/``date`` tagged, and a model row (an order, a return request, a
deal …) as a snapshot of its columns at the time of the event (``order.status`` is the status the notice
is about, not the order's status today). ``restore(params)`` gives the template the same names back:
snapshots read like the rows (``order.number``), tagged values are Python values again.

Relationships are not followed: a notice block reads columns of the objects it is given, or plain values
(``partner_name=partner.name``). ``notify`` checks that the notice renders the same from the stored
parameters as from the live objects.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from markupsafe import Markup
from sqlalchemy import inspect
from sqlalchemy.exc import NoInspectionAvailable

ROW, DECIMAL, DATETIME, DATE = "$row", "$decimal", "$datetime", "$date"


def plain(value: Any) -> Any:
    """``value`` as JSON-ready plain data (see the module's docstring)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Markup):  # HTML: keep its text only
        return value.striptags()
    if isinstance(value, str):
        return str(value)
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if isinstance(value, Decimal):
        return {DECIMAL: str(value)}
    if isinstance(value, datetime):
        return {DATETIME: value.isoformat()}
    if isinstance(value, date):
        return {DATE: value.isoformat()}
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(item) for item in value]
    try:
        mapper = inspect(type(value))
    except NoInspectionAvailable:
        return str(value)  # a lazy translation, a UUID …: its text
    return {ROW: {attr.key: plain(getattr(value, attr.key)) for attr in mapper.column_attrs}}


def restore(value: Any) -> Any:
    """The template's view of ``plain(...)`` data."""
    if isinstance(value, list):
        return [restore(item) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (tag, inner), = value.items()
        if tag == ROW:
            return SimpleNamespace(**{key: restore(item) for key, item in inner.items()})
        if tag == DECIMAL:
            return Decimal(inner)
        if tag == DATETIME:
            return datetime.fromisoformat(inner)
        if tag == DATE:
            return date.fromisoformat(inner)
    return {key: restore(item) for key, item in value.items()}
