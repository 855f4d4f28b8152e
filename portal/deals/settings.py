"""The deal settings (admins): protection days, extension days, similarity threshold, free-mail domains.

Stored as rows of the vendor-wide ``settings`` table (``portal.orders.settings``), defaults in code.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from portal.core import audit
from portal.core.errors import Forbidden, Invalid
from portal.core.permissions import Permission
from portal.deals import matching
from portal.extensions import db
from portal.orders import settings as store
from portal.orders.models import Setting

PROTECTION_DAYS, EXTENSION_DAYS = "deal_protection_days", "deal_extension_days"
THRESHOLD, FREE_MAIL = "deal_similarity_threshold", "deal_free_mail_domains"
DEFAULTS = {PROTECTION_DAYS: "90", EXTENSION_DAYS: "30", THRESHOLD: str(matching.DEFAULT_THRESHOLD),
            FREE_MAIL: " ".join(matching.DEFAULT_FREE_MAIL)}
FREE_MAIL_MAX = 500  # characters: a settings row holds 500


@dataclass(frozen=True)
class DealSettings:
    protection_days: int
    extension_days: int
    threshold: int
    free_mail: tuple[str, ...]

    @property
    def free_mail_text(self) -> str:
        return " ".join(self.free_mail)


def current() -> DealSettings:
    """The settings in force (one query)."""
    rows = dict(db.session.execute(db.select(Setting.key, Setting.value).where(Setting.key.in_(DEFAULTS))).all())
    value = {key: rows.get(key, default) for key, default in DEFAULTS.items()}
    return DealSettings(int(value[PROTECTION_DAYS]), int(value[EXTENSION_DAYS]), int(value[THRESHOLD]),
                        tuple(value[FREE_MAIL].split()))


def _whole(data: dict, name: str, low: int, high: int, errors: dict[str, list[str]]) -> int:
    text = str(data.get(name) or "").strip()
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        errors[name] = [_("Enter a whole number from %(low)s to %(high)s.", low=low, high=high)]
        return 0
    return int(text)


def save(actor, data: dict) -> DealSettings:
    """Admins change the settings; every field's problem at once; audited with before/after."""
    if not actor.can(Permission.MANAGE_DEAL_SETTINGS):
        raise Forbidden(_("You do not have permission to do that."))
    errors: dict[str, list[str]] = {}
    protection = _whole(data, "protection_days", 1, 3650, errors)
    extension = _whole(data, "extension_days", 1, 365, errors)
    threshold = _whole(data, "threshold", 50, 100, errors)
    domains = " ".join(sorted({d.strip().casefold() for d in str(data.get("free_mail") or "").replace(",", " ").split()
                               if d.strip()}))
    if len(domains) > FREE_MAIL_MAX:
        errors["free_mail"] = [_("At most %(n)s characters.", n=FREE_MAIL_MAX)]
    elif any(not all(ch.isalnum() or ch in ".-*" for ch in d) for d in domains.split()):
        errors["free_mail"] = [_("Enter domains such as gmail.com or yahoo.*, separated by spaces.")]
    if errors:
        raise Invalid(errors)
    before = current()
    after = {PROTECTION_DAYS: protection, EXTENSION_DAYS: extension, THRESHOLD: threshold, FREE_MAIL: domains}
    old = {PROTECTION_DAYS: before.protection_days, EXTENSION_DAYS: before.extension_days,
           THRESHOLD: before.threshold, FREE_MAIL: before.free_mail_text}
    if after != old:
        for key, value in after.items():
            store.set(key, value)
        audit.record(actor, "settings.deals_changed", db.session.get(Setting, PROTECTION_DAYS), before=old,
                     after=after, summary="deal settings")
    return current()
