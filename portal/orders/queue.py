"""Vendor order queue: tabs of orders waiting for a step (tenancy: ``partner_scope``), approve / reject.

Approval reserves stock with one conditional UPDATE per line (``stock_on_hand >= q``), so stock can
never go negative even under concurrent approvals; if any line is short, the savepoint is rolled back
and nothing changes. Services flush, never commit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import or_, select, update

from portal.accounts.models import User
from portal.catalogue.models import Product
from portal.core.errors import Conflict, Forbidden, Invalid, NotFound
from portal.core.pagination import Page, paginate
from portal.core.permissions import Permission
from portal.core.time import utcnow
from portal.extensions import db
from portal.orders.lifecycle import duration_format, kpi_seconds, record_transition, status_label
from portal.orders.models import Order, OrderLine, ReturnRequest
from portal.partners.models import Partner
from portal.partners.service import partner_scope

REASON_MAX = 500


class OutOfStock(Conflict):
    pass


def _check(user) -> None:
    if not user.can(Permission.APPROVE_ORDERS):
        raise Forbidden(_("You do not have permission to do that."))


# queue tab → the order status it lists ("returns" lists requested returns instead of orders)
TABS = {"submitted": "submitted", "approved": "approved", "shipped": "shipped", "returns": None, "all": None}
SEARCH_MAX = 100


# the queue rows' columns: what the table shows, not whole Order objects
_ROW_COLUMNS = (Order.id, Order.number, Order.po_number, Order.created_at, Order.total_cents, Order.currency,
                Partner.name.label("partner_name"))


def waiting(user, status: str, number: int, size: int) -> Page:
    """A page of the queue rows waiting in ``status``, oldest first: rows of the shown columns (id, number,
    po_number, created_at, total_cents, currency, partner_name)."""
    _check(user)
    return paginate(select(*_ROW_COLUMNS).join(Partner, Partner.id == Order.partner_id)
                    .where(Order.status == status, partner_scope(user, Order.partner_id))
                    .order_by(Order.created_at, Order.id), number, size, scalars=False)


def waiting_returns(user, number: int, size: int) -> Page:
    """A page of the "Returns" tab, oldest first: rows with the order's columns as in ``waiting`` plus the
    return request's return_id, return_number and return_created_at."""
    _check(user)
    return paginate(select(ReturnRequest.id.label("return_id"), ReturnRequest.number.label("return_number"),
                           ReturnRequest.created_at.label("return_created_at"), *_ROW_COLUMNS)
                    .join(Order, Order.id == ReturnRequest.order_id)
                    .join(Partner, Partner.id == ReturnRequest.partner_id)
                    .where(ReturnRequest.status == "requested", partner_scope(user, ReturnRequest.partner_id))
                    .order_by(ReturnRequest.created_at, ReturnRequest.id), number, size, scalars=False)


def all_orders(user, q: str, number: int, size: int) -> Page:
    """A page of the "All orders" tab: every order in the user's scope, newest first, or the ones whose
    order number or PO number is ``q`` (exact, either case: both are indexed, so a lookup stays instant over
    millions of orders — a substring search would scan them all). Rows: the queue's columns + status."""
    _check(user)
    clauses = [partner_scope(user, Order.partner_id)]
    if q := (q or "").strip()[:SEARCH_MAX]:
        # the lookup first, on its own: combined with the scope, a planner may walk the scope's orders instead
        wanted = {q, q.upper()}
        clauses.append(Order.id.in_(list(db.session.scalars(
            select(Order.id).where(or_(Order.number.in_(wanted), Order.po_number.in_(wanted))).limit(1000)))))
    return paginate(select(*_ROW_COLUMNS, Order.status).join(Partner, Partner.id == Order.partner_id)
                    .where(*clauses).order_by(Order.created_at.desc(), Order.id.desc()), number, size, scalars=False)


def get(user, order_id: int) -> Order:
    _check(user)
    order = db.session.scalar(select(Order).where(Order.id == order_id, partner_scope(user, Order.partner_id)))
    if order is None:
        raise NotFound(_("Order not found."))
    return order


def reserve(order: Order) -> None:
    """Take every line's quantity from stock, all or nothing; raise OutOfStock naming the short SKU."""
    lines = db.session.execute(select(OrderLine.product_id, OrderLine.sku, OrderLine.quantity)
                               .where(OrderLine.order_id == order.id, OrderLine.product_id.is_not(None))
                               .order_by(OrderLine.product_id)).all()
    nested = db.session.begin_nested()
    for product_id, sku, quantity in lines:
        result = db.session.execute(
            update(Product).where(Product.id == product_id, Product.stock_on_hand >= quantity)
            .values(stock_on_hand=Product.stock_on_hand - quantity).execution_options(synchronize_session=False))
        if result.rowcount != 1:
            nested.rollback()
            available = db.session.scalar(select(Product.stock_on_hand).where(Product.id == product_id)) or 0
            raise OutOfStock(_("Not enough stock for SKU %(sku)s (%(n)s available).", sku=sku, n=available))
    nested.commit()


def parties(order: Order) -> tuple[Partner, User | None]:
    """Who the order is for and who placed it (the vendor's order page ships against them)."""
    partner = db.session.get(Partner, order.partner_id)
    return partner, (db.session.get(User, order.placed_by) if order.placed_by else None)


def age(order, now: datetime | None = None) -> str:
    """How long the order (or return) has waited, for humans: "3 d 4 h", "5 h 12 min", "7 min"."""
    return ager(now)(order.created_at)


def ager(now: datetime | None = None) -> Callable[[datetime], str]:
    """``age`` for a page of rows (``lifecycle.duration_format``: the formats translated once)."""
    now = now or utcnow()
    format_ = duration_format()
    return lambda created_at: format_((now - created_at).total_seconds())


def _lock_submitted(user, order_id: int) -> Order:
    order = get(user, order_id)
    if order.status != "submitted":
        raise Conflict(_("Order %(number)s is %(status)s; only submitted orders can be approved or rejected.",
                         number=order.number, status=status_label(order.status).lower()))
    return order


def approve(user, order_id: int) -> Order:
    order = _lock_submitted(user, order_id)
    # claim the order first (conditional), so two approvers of the same order cannot both reserve
    now = utcnow()
    with db.session.begin_nested():  # claim + reservation: all or nothing
        claimed = db.session.execute(update(Order).where(Order.id == order.id, Order.status == "submitted")
                                     .values(status="approved", approved_at=now,
                                             approval_seconds=kpi_seconds(order, now))
                                     .execution_options(synchronize_session=False)).rowcount
        if claimed != 1:
            raise Conflict(_("This order was just handled by someone else."))
        reserve(order)
    db.session.refresh(order)
    record_transition(user, order, "submitted", "approved")
    return order


def reject(user, order_id: int, reason: str) -> Order:
    reason = (reason or "").strip()
    order = _lock_submitted(user, order_id)
    if not reason:
        raise Invalid({"reason": [_("Give a reason for the partner.")]})
    if len(reason) > REASON_MAX:
        raise Invalid({"reason": [_("At most %(n)s characters.", n=REASON_MAX)]})
    claimed = db.session.execute(update(Order).where(Order.id == order.id, Order.status == "submitted")
                                 .values(status="rejected").execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        raise Conflict(_("This order was just handled by someone else."))
    db.session.refresh(order)
    record_transition(user, order, "submitted", "rejected", reason)
    return order
