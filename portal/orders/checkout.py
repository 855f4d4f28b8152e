"""Checkout: turn the user's cart into ONE order, whatever happens to the form post.

The page carries an idempotency key (uuid4, made when it is rendered). An order is unique per
(placed_by, idempotency_key) in the database; a second post with the same key returns the order
the first one made. Lines snapshot the net unit price, tier name and discount at that moment;
totals are integer cents. The cart is emptied, the creation audited and the user notified in the
same transaction. Services flush, never commit.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import and_, delete, func, select
from sqlalchemy.exc import IntegrityError

from portal.catalogue.models import Product, ProductTierPrice, Tier
from portal.catalogue.pricing import net_price_cents
from portal.core import audit
from portal.core.errors import Forbidden, Invalid, NotFound
from portal.core.permissions import Permission
from portal.core.time import utcnow
from portal.extensions import db
from portal.notifications.service import notify
from portal.orders import settings
from portal.orders.cart import line_total_cents, quantity_problem
from portal.orders.models import CartLine, Order, OrderEvent, OrderLine, ShippingAddress
from portal.orders.queue import OutOfStock, reserve

PO_MAX = 40
NOTES_MAX = 1000
_KEY = re.compile(r"[0-9a-fA-F-]{8,64}", re.ASCII)


def new_key() -> str:
    return str(uuid.uuid4())


def order_number(order_id: int) -> str:
    return f"ORD-{order_id:06d}"


def status_for(total_cents: int, limit_cents: int) -> str:
    """At or under the auto-approval limit: approved on submit; above it: waits for approval."""
    return "approved" if total_cents <= limit_cents else "submitted"


@dataclass(frozen=True)
class Snapshot:
    product_id: int
    sku: str
    name: str
    currency: str
    quantity: int
    list_price_cents: int
    net_unit_cents: int
    tier_name: str
    discount_bp: int
    problem: str | None

    @property
    def total_cents(self) -> int:
        return line_total_cents(self.net_unit_cents, self.quantity)


def snapshot(user) -> list[Snapshot]:
    """The cart lines priced now, with the tier name and discount that priced them (one query)."""
    tier_id = user.partner.tier_id if user.partner is not None else None
    stmt = (select(CartLine, Product, ProductTierPrice.price_cents, Tier.name, func.coalesce(Tier.discount_bp, 0))
            .join(Product, Product.id == CartLine.product_id)
            .outerjoin(ProductTierPrice, and_(ProductTierPrice.product_id == Product.id,
                                              ProductTierPrice.tier_id == (tier_id or -1)))
            .outerjoin(Tier, Tier.id == (tier_id or -1))
            .where(CartLine.user_id == user.id).order_by(CartLine.id))
    rows = []
    for line, product, tier_price, tier_name, discount_bp in db.session.execute(stmt):
        discount = int(discount_bp or 0)
        rows.append(Snapshot(
            product_id=product.id, sku=product.sku, name=product.name, currency=product.currency,
            quantity=line.quantity, list_price_cents=product.list_price_cents,
            net_unit_cents=net_price_cents(product.list_price_cents, discount, tier_price),
            tier_name=tier_name or "", discount_bp=discount if tier_price is None else 0,
            problem=quantity_problem(line.quantity, product.min_order_qty, product.stock_on_hand, product.active)))
    return rows


def addresses(user) -> list[ShippingAddress]:
    return list(db.session.scalars(select(ShippingAddress).where(ShippingAddress.partner_id == user.partner_id)
                                   .order_by(ShippingAddress.label, ShippingAddress.id)))


def existing(user, key: str) -> Order | None:
    return db.session.scalar(select(Order).where(Order.placed_by == user.id, Order.idempotency_key == key))


def _clean(form: dict, today: date) -> tuple[dict, dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    po = (form.get("po_number") or "").strip()
    if not po:
        errors["po_number"] = [_("Enter your PO number.")]
    elif len(po) > PO_MAX:
        errors["po_number"] = [_("At most %(n)s characters.", n=PO_MAX)]
    notes = (form.get("notes") or "").strip()
    if len(notes) > NOTES_MAX:
        errors["notes"] = [_("At most %(n)s characters.", n=NOTES_MAX)]
    raw_date = (form.get("requested_date") or "").strip()
    requested = None
    try:
        requested = date.fromisoformat(raw_date) if raw_date else None
    except ValueError:
        pass
    if requested is None:
        errors["requested_date"] = [_("Enter a date, such as %(d)s.", d=today.isoformat())]
    elif requested < today:
        errors["requested_date"] = [_("Choose today or a later date.")]
    return {"po_number": po, "notes": notes, "requested_date": requested}, errors


def _address(user, form: dict, errors: dict[str, list[str]]) -> ShippingAddress | None:
    choice = (form.get("address_id") or "").strip()
    if choice and choice != "new":
        if not (choice.isascii() and choice.isdigit() and len(choice) < 10):
            raise NotFound(_("Address not found."))
        address = db.session.scalar(select(ShippingAddress).where(ShippingAddress.id == int(choice),
                                                                  ShippingAddress.partner_id == user.partner_id))
        if address is None:
            raise NotFound(_("Address not found."))
        return address
    fields = {name: (form.get(name) or "").strip() for name in ("label", "lines", "city", "postcode", "country")}
    limits = {"label": 80, "lines": 300, "city": 100, "postcode": 20, "country": 60}
    for name, limit in limits.items():
        if not fields[name] and name != "label":
            errors[name] = [_("Required for a new address.")]
        elif len(fields[name]) > limit:
            errors[name] = [_("At most %(n)s characters.", n=limit)]
    if any(name in errors for name in limits):
        return None
    return ShippingAddress(partner_id=user.partner_id, label=fields["label"] or fields["city"], lines=fields["lines"],
                           city=fields["city"], postcode=fields["postcode"], country=fields["country"])


def place(user, form: dict, today: date) -> tuple[Order, bool]:
    """Place the cart as an order; (order, created). A known key returns its order unchanged."""
    if not user.can(Permission.PLACE_ORDERS) or user.partner_id is None:
        raise Forbidden(_("Only partner users place orders."))
    key = (form.get("idempotency_key") or "").strip()
    if not _KEY.fullmatch(key):
        raise Invalid({"idempotency_key": [_("This form has expired; reload the page and try again.")]})
    if (order := existing(user, key)) is not None:
        return order, False
    data, errors = _clean(form, today)
    address = _address(user, form, errors)
    lines = snapshot(user)
    if not lines:
        errors.setdefault("cart", []).append(_("Your cart is empty."))
    elif any(line.problem for line in lines):
        errors.setdefault("cart", []).append(_("Fix the lines marked in your cart before you check out."))
    elif len({line.currency for line in lines}) > 1:
        errors.setdefault("cart", []).append(_("Order products of one currency at a time."))
    if errors:
        raise Invalid(errors)

    total = sum(line.total_cents for line in lines)
    status = status_for(total, settings.get_int("auto_approval_limit_cents"))
    now = utcnow()
    try:
        with db.session.begin_nested():
            if address.id is None:
                db.session.add(address)
                db.session.flush()
            order = Order(partner_id=user.partner_id, placed_by=user.id, idempotency_key=key,
                          po_number=data["po_number"], shipping_address=address.text,
                          requested_date=data["requested_date"], notes=data["notes"], status=status,
                          currency=lines[0].currency, total_cents=total, created_at=now,
                          approved_at=now if status == "approved" else None)
            db.session.add(order)
            db.session.flush()
    except IntegrityError:  # the same key raced in from another request: that order wins
        order = existing(user, key)
        if order is None:
            raise
        return order, False
    order.number = order_number(order.id)
    db.session.add_all([OrderLine(order_id=order.id, product_id=line.product_id, sku=line.sku, name=line.name,
                                  quantity=line.quantity, list_price_cents=line.list_price_cents,
                                  net_unit_cents=line.net_unit_cents, tier_name=line.tier_name,
                                  discount_bp=line.discount_bp, line_total_cents=line.total_cents)
                        for line in lines])
    db.session.add(OrderEvent(order_id=order.id, at=now, actor_id=user.id, from_status="", to_status="submitted"))
    if status == "approved":
        db.session.flush()
        try:
            reserve(order)
        except OutOfStock:  # not enough stock to reserve now: the order waits for a person instead
            status, order.status, order.approved_at = "submitted", "submitted", None
    if status == "approved":
        db.session.add(OrderEvent(order_id=order.id, at=now, actor_id=None, from_status="submitted",
                                  to_status="approved",))
    db.session.execute(delete(CartLine).where(CartLine.user_id == user.id))
    db.session.flush()
    audit.record(user, "order.created", order, partner_id=order.partner_id,
                 after={"number": order.number, "status": status, "total_cents": total, "currency": order.currency},
                 summary=f"{order.number} {order.po_number}")
    notify(f"order-submitted:{order.id}", [user], "order_submitted", link=f"/orders/{order.id}", order=order)
    return order, True
