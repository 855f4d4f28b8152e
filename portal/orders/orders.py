"""Order history: the orders a user may see (tenancy: ``partner_scope``), filtered, and one order's detail.

Lists never count: ``portal.core.pagination`` fetches one row more. A detail page is three queries:
the order, its lines, its timeline.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.catalogue.models import Product
from portal.core.errors import Forbidden, Invalid, NotFound
from portal.core.money import from_cents
from portal.core.pagination import Page, paginate
from portal.core.permissions import Permission
from portal.core.time import DayError, day_end, day_start, parse_day, to_zone
from portal.extensions import db
from portal.orders.models import CartLine, Order, OrderEvent, OrderLine
from portal.partners.service import partner_scope, require_trading

STATUS_LABELS = {
    "submitted": _l("Submitted"), "approved": _l("Approved"), "rejected": _l("Rejected"),
    "shipped": _l("Shipped"), "delivered": _l("Delivered"), "cancelled": _l("Cancelled"),
    "returned": _l("Returned"),
}


def _check(user) -> None:
    if not user.can(Permission.PLACE_ORDERS):
        raise Forbidden(_("You do not have permission to do that."))


@dataclass(frozen=True)
class Filters:
    status: str = ""
    po: str = ""
    sku: str = ""
    date_from: date | None = None
    date_to: date | None = None


def parse_filter_days(texts: dict[str, str]) -> dict[str, date | None]:
    """The history's ``from`` / ``to`` filters as days (None when empty); text that is no day, or a day
    outside the calendar the portal takes (``core.time.parse_day``), is Invalid naming the filter."""
    days: dict[str, date | None] = {}
    errors: dict[str, list[str]] = {}
    for name, text in texts.items():
        try:
            days[name] = parse_day(text)
        except DayError as exc:
            errors[name] = [str(exc)]
    if errors:
        raise Invalid(errors)
    return days


def visible(user, staff: bool = False):
    """Orders ``user`` may see. ``staff=True`` (the API's read-only listing) also lets vendor staff who
    handle orders (admins, channel managers) read the orders in their scope."""
    _allowed(user, staff)
    return select(Order).where(partner_scope(user, Order.partner_id))


def _allowed(user, staff: bool) -> None:
    if not (staff and user.can(Permission.APPROVE_ORDERS)):
        _check(user)


def _filtered(filters: Filters, tz_name: str) -> list:
    """The filters as WHERE clauses (dates: whole days in ``tz_name``)."""
    clauses = []
    if filters.status in STATUS_LABELS:
        clauses.append(Order.status == filters.status)
    if filters.po:
        clauses.append(Order.po_number.ilike(f"%{filters.po}%"))
    if filters.sku:
        clauses.append(select(OrderLine.id).where(OrderLine.order_id == Order.id,
                                                  OrderLine.sku == filters.sku).exists())
    if filters.date_from:
        clauses.append(Order.created_at >= day_start(filters.date_from, tz_name))
    if filters.date_to:
        clauses.append(Order.created_at < day_end(filters.date_to, tz_name))
    return clauses


def list_orders(user, filters: Filters, tz_name: str = "UTC", staff: bool = False, columns=None):
    """The history list, newest first: a statement of Order objects, or of ``columns``."""
    _allowed(user, staff)
    stmt = select(*columns) if columns else select(Order)
    stmt = stmt.where(partner_scope(user, Order.partner_id), *_filtered(filters, tz_name))
    return stmt.order_by(Order.created_at.desc(), Order.id.desc())


HISTORY_COLUMNS = (Order.id, Order.number, Order.po_number, Order.created_at, Order.status, Order.total_cents,
                   Order.currency)


def history_page(user, filters: Filters, tz_name: str, number: int, size: int) -> Page:
    """One page of the history list: rows of ``HISTORY_COLUMNS`` (what the list shows)."""
    return paginate(list_orders(user, filters, tz_name, columns=HISTORY_COLUMNS), number, size, scalars=False)


def get(user, order_id: int, staff: bool = False) -> Order:
    order = db.session.scalar(visible(user, staff).where(Order.id == order_id))
    if order is None:
        raise NotFound(_("Order not found."))
    return order


def lines(order: Order) -> list[OrderLine]:
    return list(db.session.scalars(select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id)))


def timeline(order: Order) -> list[OrderEvent]:
    return list(db.session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id)
                                   .order_by(OrderEvent.at, OrderEvent.id)))


# --- CSV export of the filtered list ---------------------------------------------------------------

EXPORT_CHUNK = 1000


def export_header() -> list[str]:
    return [_("Order"), _("Placed"), _("PO number"), _("Status"), _("Total"), _("Currency"), _("Lines"),
            _("Carrier"), _("Tracking number")]


def export_rows(user, filters: Filters, tz_name: str = "UTC") -> Iterator[list]:
    """The filtered list as CSV rows (newest first, for ``portal.core.csv``, which guards every text cell),
    read in chunks: memory stays flat for any number of orders. Totals are exact decimals; the placing time
    is in ``tz_name``. The permission and tenancy are checked when this is called.
    """
    line_count = (select(func.count(OrderLine.id)).where(OrderLine.order_id == Order.id)
                  .correlate(Order).scalar_subquery())
    stmt = list_orders(user, filters, tz_name, columns=(
        Order.number, Order.created_at, Order.po_number, Order.status, Order.total_cents, Order.currency,
        line_count, Order.carrier, Order.tracking_number))
    return _export_iter(stmt, tz_name)


def _export_iter(stmt, tz_name: str) -> Iterator[list]:
    result = db.session.execute(stmt.execution_options(yield_per=EXPORT_CHUNK))
    for partition in result.partitions():
        for number, created_at, po, status, total_cents, currency, n_lines, carrier, tracking in partition:
            label = STATUS_LABELS.get(status)
            yield [number or "", to_zone(created_at, tz_name).strftime("%Y-%m-%d %H:%M"), po,
                   str(label) if label is not None else status, from_cents(total_cents), currency, n_lines,
                   carrier or "", tracking or ""]


# --- reorder: an old order's lines back into the cart ------------------------------------------------

@dataclass
class Reorder:
    added: list[str]
    skipped: list[str]


def reorder(user, order_id: int) -> Reorder:
    """Add the order's lines to the user's cart (on top of what is there), capped by the cart's rules.

    Each line is reported: added (with the quantity, and what was asked when less fits) or skipped
    with the reason (no longer available, not enough stock). Another partner's order → NotFound.
    """
    from portal.orders import cart

    order = get(user, order_id)
    require_trading(user)
    rows = db.session.execute(select(OrderLine.sku, OrderLine.quantity, Product)
                              .outerjoin(Product, Product.id == OrderLine.product_id)
                              .where(OrderLine.order_id == order.id).order_by(OrderLine.id)).all()
    have = dict(db.session.execute(select(CartLine.product_id, CartLine.quantity)
                                   .where(CartLine.user_id == user.id)).all())
    done = Reorder(added=[], skipped=[])
    for sku, wanted, product in rows:
        if product is None or not product.active:
            done.skipped.append(_("%(sku)s (no longer available)", sku=sku))
            continue
        before = have.get(product.id, 0)
        fits = min(cart.MAX_QUANTITY, product.stock_on_hand)
        target = max(min(before + wanted, fits), product.min_order_qty)
        if target > fits or target <= before:
            done.skipped.append(_("%(sku)s (not enough stock: %(n)s available)", sku=sku,
                                  n=max(product.stock_on_hand, 0)))
            continue
        try:
            line = cart.add(user, product.id, target - before)
        except Invalid as exc:  # the stock moved meanwhile
            done.skipped.append(_("%(sku)s (%(why)s)", sku=sku, why=" ".join(exc.field_errors.get("quantity", []))))
            continue
        have[product.id] = line.quantity
        if target - before == wanted:
            done.added.append(_("%(sku)s × %(n)s", sku=sku, n=wanted))
        else:
            done.added.append(_("%(sku)s × %(n)s instead of %(asked)s", sku=sku, n=target - before,
                                asked=wanted))
    return done
