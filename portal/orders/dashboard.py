"""The orders area's panels on the first screen: what a partner or a reviewer should do next."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from portal.catalogue.models import Tier
from portal.catalogue.pricing import discount_percent
from portal.core.permissions import Permission
from portal.extensions import db
from portal.orders.models import CartLine, Order, ReturnRequest
from portal.orders.queue import ager
from portal.partners.models import Partner
from portal.partners.service import partner_scope

OPEN_STATUSES = ("submitted", "approved", "shipped")
SHOWN = 5


@dataclass(frozen=True)
class PartnerOrders:
    open_orders: list[Order]     # newest first, with status, carrier and tracking number
    cart_lines: int
    last_order: Order | None     # for "reorder last"
    tier: Tier | None            # the partner's price tier
    discount: Decimal | None     # its catalogue discount in percent


@dataclass(frozen=True)
class Waiting:
    """Rows waiting for a reviewer, oldest first: (id, number, partner name, waiting since, total, currency)."""

    rows: list
    total: int                   # how many wait in all (rows shows the oldest few)


@dataclass(frozen=True)
class ReviewerOrders:
    orders: Waiting
    returns: Waiting
    age: Callable  # waiting since → "3 d 4 h"


def partner_panel(user) -> PartnerOrders | None:
    """For people who order: their company's open orders, their cart, their last order, their tier."""
    if not user.can(Permission.PLACE_ORDERS):
        return None
    company = Order.partner_id == user.partner_id
    open_orders = list(db.session.scalars(select(Order).where(company, Order.status.in_(OPEN_STATUSES)).order_by(
        Order.created_at.desc(), Order.id.desc()).limit(SHOWN)))
    last = db.session.scalar(select(Order).where(company).order_by(Order.created_at.desc(), Order.id.desc()).limit(1))
    cart = db.session.scalar(select(func.count()).select_from(CartLine).where(CartLine.user_id == user.id))
    tier = db.session.scalar(select(Tier).join(Partner, Partner.tier_id == Tier.id).where(
        Partner.id == user.partner_id))
    return PartnerOrders(open_orders, cart or 0, last, tier, discount_percent(tier.discount_bp) if tier else None)


def reviewer_panel(user) -> ReviewerOrders | None:
    """For people who approve orders (a channel manager: their partners only): orders waiting for approval
    and returns waiting for a decision, oldest first, with how many wait in all."""
    if not user.can(Permission.APPROVE_ORDERS):
        return None
    orders = _oldest(select(Order.id, Order.number, Partner.name.label("partner_name"),
                            Order.created_at.label("since"), Order.total_cents, Order.currency)
                     .join(Partner, Partner.id == Order.partner_id)
                     .where(Order.status == "submitted", partner_scope(user, Order.partner_id))
                     .order_by(Order.created_at, Order.id))
    returns = _oldest(select(ReturnRequest.id, ReturnRequest.number, Partner.name.label("partner_name"),
                             ReturnRequest.created_at.label("since"), Order.id.label("order_id"),
                             Order.number.label("order_number"))
                      .join(Order, Order.id == ReturnRequest.order_id)
                      .join(Partner, Partner.id == ReturnRequest.partner_id)
                      .where(ReturnRequest.status == "requested", partner_scope(user, ReturnRequest.partner_id))
                      .order_by(ReturnRequest.created_at, ReturnRequest.id))
    return ReviewerOrders(orders, returns, ager())


def _oldest(stmt) -> Waiting:
    """The first rows of ``stmt`` and the count of all its rows, in one query (a window count)."""
    rows = db.session.execute(stmt.add_columns(func.count().over().label("waiting")).limit(SHOWN)).all()
    return Waiting(rows, rows[0].waiting if rows else 0)
