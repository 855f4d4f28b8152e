"""The audit log: who did what, when, with the values before and after.

Services call ``record(...)`` inside the same transaction as the change, so a change and its
audit entry are committed together or not at all.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.pagination import Page, limited
from portal.core.time import UTCDateTime, utcnow
from portal.extensions import db


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"
    __table_args__ = (
        # The entries of some partners (a channel manager's, a partner admin's), newest first; action rides
        # along so its prefix filter is checked inside the index (``page_of`` sorts ids from it, not rows).
        Index("ix_audit_entries_partner_at_action", "partner_id", "at", "id", "action"),
        # The log's order (at desc, id desc) straight from an index; action and entity_type ride
        # along so their filters (prefix, lower()) are checked inside the index, not row by row.
        Index("ix_audit_entries_at_id_action_type", "at", "id", "action", "entity_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(80), index=True)
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None]
    # The partner the row belongs to, so the log can be scoped like the rows it describes.
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"))
    summary: Mapped[str] = mapped_column(String(300), default="")
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)


# The filter by record type (matched without case), newest first, whatever share of the log the type has:
# over the whole log (admins) and over one partner's entries (a partner admin; a channel manager's partners).
Index("ix_audit_entries_type_at", func.lower(AuditEntry.entity_type), AuditEntry.at, AuditEntry.id)
Index("ix_audit_entries_partner_type_at", AuditEntry.partner_id, func.lower(AuditEntry.entity_type), AuditEntry.at,
      AuditEntry.id)


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def snapshot(obj: Any, fields: list[str]) -> dict[str, Any]:
    """The named attributes of a model as JSON-safe values (for ``before`` / ``after``)."""
    return {name: _plain(getattr(obj, name)) for name in fields}


def record(actor, action: str, entity: Any, *, partner_id: int | None = None,
           before: dict | None = None, after: dict | None = None, summary: str = "") -> AuditEntry:
    """Add an audit entry to the current transaction. ``actor`` is a user or None for the system."""
    if before is not None and after is not None:
        # keep only what changed, so the log reads as a diff
        changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
        before = {k: before.get(k) for k in sorted(changed)}
        after = {k: after.get(k) for k in sorted(changed)}
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        action=action,
        entity_type=type(entity).__name__,
        entity_id=getattr(entity, "id", None),
        partner_id=partner_id,
        summary=summary[:300],
        before=before,
        after=after,
    )
    db.session.add(entry)
    return entry


# The log's order, newest first (ties: the later entry first): every list of entries and its page of ids.
NEWEST_FIRST = (AuditEntry.at.desc(), AuditEntry.id.desc())


def visible_entries(actor, scope):
    """Audit entries ``actor`` may read: admins all; a channel manager the entries of assigned
    partners; a partner admin their own company's. ``scope`` is partners.service.partner_scope
    (passed in so this domain-free module does not import an area)."""
    stmt = select(AuditEntry)
    if actor.role != "admin":
        stmt = stmt.where(AuditEntry.partner_id.is_not(None), scope(actor, AuditEntry.partner_id))
    return stmt


def filtered(stmt, *, action: str = "", entity_type: str = "", actor_id: int | None = None,
             partner_id: int | None = None, since=None, until=None):
    if action:
        stmt = stmt.where(AuditEntry.action.startswith(action.lower(), autoescape=True))
    if entity_type:
        stmt = stmt.where(func.lower(AuditEntry.entity_type) == entity_type.lower())
    if actor_id:
        stmt = stmt.where(AuditEntry.actor_id == actor_id)
    if partner_id:
        stmt = stmt.where(AuditEntry.partner_id == partner_id)
    if since:
        stmt = stmt.where(AuditEntry.at >= since)
    if until:
        stmt = stmt.where(AuditEntry.at < until)
    return stmt.order_by(*NEWEST_FIRST)


def page_query(stmt, number: int, size: int):
    """The statement of ``page_of``: the page's ids (and one more) first, sorted from an index (a channel
    manager's 50 partners have thousands of entries, and sorting whole rows carries each one's before/after
    values along), then only those rows, newest first."""
    ids = limited(stmt.with_only_columns(AuditEntry.id), number, size)
    return select(AuditEntry).where(AuditEntry.id.in_(ids)).order_by(*NEWEST_FIRST)


def page_of(stmt, number: int, size: int) -> Page:
    """Page ``number`` of the entries ``stmt`` (``filtered(...)``) selects, ``size`` a page, in one statement."""
    return Page.of(list(db.session.scalars(page_query(stmt, number, size))), number, size)
