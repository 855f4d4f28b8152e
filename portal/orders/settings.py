"""Vendor-wide settings stored as key/value rows, with defaults in code."""

from __future__ import annotations

from portal.extensions import db
from portal.orders.models import Setting

DEFAULTS: dict[str, str] = {
    "auto_approval_limit_cents": "500000",  # 5,000.00: orders at or under it are approved on submit
}


def get_int(key: str) -> int:
    row = db.session.get(Setting, key)
    return int(row.value if row is not None else DEFAULTS[key])


def set(key: str, value) -> None:  # noqa: A001 - the module's verb
    row = db.session.get(Setting, key)
    if row is None:
        db.session.add(Setting(key=key, value=str(value)))
    else:
        row.value = str(value)
    db.session.flush()
