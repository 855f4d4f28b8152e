"""Who a course, resource or announcement is for: partner types and tiers (and, for announcements, regions).

An audience list is stored as ``,a,b,`` ("" = everyone) so one ``LIKE`` per dimension decides in SQL whether
a partner belongs to it — the same rule for courses, lessons, attachments, resources and announcements.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, and_, false, or_, true

from portal.core.permissions import Role


def pack(values: Iterable) -> str:
    """``[a, b]`` as stored: ``,a,b,``; nothing chosen is "" (everyone)."""
    items = sorted({str(v).strip() for v in values if str(v).strip()})
    return f",{','.join(items)}," if items else ""


def unpack(stored: str | None) -> list[str]:
    return [v for v in (stored or "").split(",") if v]


def _member(column, value) -> ColumnElement[bool]:
    if value is None or value == "":
        return column == ""
    return or_(column == "", column.contains(f",{value},", autoescape=True))


def includes(actor, types_column, tiers_column, regions_column=None) -> ColumnElement[bool]:
    """The WHERE clause: rows whose audience includes ``actor``'s company. Vendor staff see every row
    (they author them); a person with no company sees none."""
    if Role(actor.role).is_vendor:
        return true()
    partner = actor.partner if actor.partner_id else None
    if partner is None:
        return false()
    clauses = [_member(types_column, partner.type), _member(tiers_column, partner.tier_id)]
    if regions_column is not None:
        clauses.append(_member(regions_column, partner.region))
    return and_(*clauses)


def partner_in(partner, types: str, tiers: str, regions: str = "") -> bool:
    """The same rule in Python, for one partner and one row's stored lists."""
    return ((not types or f",{partner.type}," in types)
            and (not tiers or f",{partner.tier_id}," in tiers)
            and (not regions or f",{partner.region}," in regions))
