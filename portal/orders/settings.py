"""Vendor-wide settings stored as key/value rows, with defaults in code."""

from __future__ import annotations

from flask_babel import gettext as _

from portal.core import audit, money
from portal.core.errors import Forbidden, Invalid
from portal.core.permissions import Permission
from portal.extensions import db
from portal.orders.models import Setting

AUTO_APPROVAL_LIMIT = "auto_approval_limit_cents"
DEFAULTS: dict[str, str] = {
    AUTO_APPROVAL_LIMIT: "500000",  # 5,000.00: orders at or under it are approved on submit
}
MAX_AUTO_APPROVAL_CENTS = 10_000_000_000  # 100,000,000.00


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


def parse_limit(text: str | None) -> int:
    """Amount text ("5,000.00") → cents, 0 to 100,000,000.00; ValueError with a message for the person."""
    cents = money.parse_amount_text(text, "5,000.00")
    if cents > MAX_AUTO_APPROVAL_CENTS:
        raise ValueError(_("Enter at most %(amount)s.", amount="100,000,000.00"))
    return cents


def set_auto_approval_limit(actor, text: str | None) -> int:
    """Admins set the auto-approval limit from amount text; audited with before/after (cents)."""
    if not actor.can(Permission.MANAGE_CATALOGUE):
        raise Forbidden(_("You do not have permission to do that."))
    try:
        cents = parse_limit(text)
    except ValueError as exc:
        raise Invalid({"auto_approval_limit": [str(exc)]}) from exc
    before = get_int(AUTO_APPROVAL_LIMIT)
    if cents != before:
        set(AUTO_APPROVAL_LIMIT, cents)
        audit.record(actor, "settings.auto_approval_limit_changed", db.session.get(Setting, AUTO_APPROVAL_LIMIT),
                     before={AUTO_APPROVAL_LIMIT: before}, after={AUTO_APPROVAL_LIMIT: cents},
                     summary="auto-approval limit")
    return cents
