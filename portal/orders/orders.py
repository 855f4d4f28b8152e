"""Order history: the orders a user may see (tenancy: ``partner_scope``), filtered, and one order's detail.

Lists never count: ``portal.core.pagination`` fetches one row more. A detail page is three queries:
the order, its lines, its timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.core.errors import Forbidden, NotFound
from portal.core.permissions import Permission
from portal.extensions import db
from portal.orders.models import Order, OrderEvent, OrderLine
from portal.partners.service import partner_scope

STATUS_LABELS = {
    "submitted": _l("Submitted"), "approved": _l("Approved"), "rejected": _l("Rejected"),
    "shipped": _l("Shipped"), "delivered": _l("Delivered"), "cancelled": _l("Cancelled"),
    "returned": _l("Returned"),
}


def _check(user) -> None:
    if not user.can(Permission.PLACE_ORDERS):
        raise Forbidden(_("You do not have permission to do that."))


def _day_start(day: date, tz_name: str) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(tz_name)).astimezone(UTC)


@dataclass(frozen=True)
class Filters:
    status: str = ""
    po: str = ""
    sku: str = ""
    date_from: date | None = None
    date_to: date | None = None


def parse_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip()) if (text or "").strip() else None
    except ValueError:
        return None


def visible(user):
    _check(user)
    return select(Order).where(partner_scope(user, Order.partner_id))


def list_orders(user, filters: Filters, tz_name: str = "UTC"):
    """The statement for the history list, newest first."""
    stmt = visible(user)
    if filters.status in STATUS_LABELS:
        stmt = stmt.where(Order.status == filters.status)
    if filters.po:
        stmt = stmt.where(Order.po_number.ilike(f"%{filters.po}%"))
    if filters.sku:
        stmt = stmt.where(select(OrderLine.id).where(OrderLine.order_id == Order.id,
                                                     OrderLine.sku == filters.sku).exists())
    if filters.date_from:
        stmt = stmt.where(Order.created_at >= _day_start(filters.date_from, tz_name))
    if filters.date_to:
        stmt = stmt.where(Order.created_at < _day_start(filters.date_to + timedelta(days=1), tz_name))
    return stmt.order_by(Order.created_at.desc(), Order.id.desc())


def get(user, order_id: int) -> Order:
    order = db.session.scalar(visible(user).where(Order.id == order_id))
    if order is None:
        raise NotFound(_("Order not found."))
    return order


def lines(order: Order) -> list[OrderLine]:
    return list(db.session.scalars(select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id)))


def timeline(order: Order) -> list[OrderEvent]:
    return list(db.session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id)
                                   .order_by(OrderEvent.at, OrderEvent.id)))
