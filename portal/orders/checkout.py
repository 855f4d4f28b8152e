"""Checkout: turn the user's cart into ONE order, whatever happens to the form post.

The page carries an idempotency key (uuid4, made when it is rendered). An order is unique per
(placed_by, idempotency_key) in the database; a second post with the same key returns the order
the first one made. Lines snapshot the net unit price, tier name and discount at that moment;
totals are integer cents. The cart is emptied, the creation audited and the user notified in the
same transaction. Services flush, never commit.

One core (``_create``) serves the web cart (``place``) and the API's lines (``place_lines``, which
never touches the cart). An order at or under the auto-approval limit reserves its stock as it is
written (``queue.reserve``: conditional UPDATEs, row locks on PostgreSQL, BEGIN IMMEDIATE on SQLite);
when a line is short the whole order is refused with "Not enough stock for SKU … (n available)"
(OutOfStock, 409) and nothing is written. Larger orders reserve nothing: their approval does.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.exc import IntegrityError

from portal.catalogue.models import Product, ProductTierPrice, Tier
from portal.catalogue.pricing import net_price_cents
from portal.core import audit
from portal.core.errors import Conflict, Forbidden, Invalid, NotFound
from portal.core.permissions import Permission
from portal.core.time import DayError, parse_day, utcnow
from portal.extensions import db
from portal.notifications.service import notify
from portal.orders import settings
from portal.orders.cart import MAX_QUANTITY, line_total_cents, parse_quantity, quantity_problem
from portal.orders.lifecycle import involved
from portal.orders.models import CartLine, Order, OrderEvent, OrderLine, ShippingAddress
from portal.orders.queue import OutOfStock, reserve
from portal.partners.service import require_trading

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
    min_order_qty: int = 1
    stock_on_hand: int = 0
    active: bool = True

    @property
    def total_cents(self) -> int:
        return line_total_cents(self.net_unit_cents, self.quantity)

    @property
    def short_of_stock(self) -> bool:
        """The line's only problem is stock: the rest (active, MOQ, maximum) would be fine."""
        return self.problem is not None and quantity_problem(self.quantity, self.min_order_qty, MAX_QUANTITY,
                                                             self.active) is None

    @property
    def short_message(self) -> str:
        return _("Not enough stock for SKU %(sku)s (%(n)s available).", sku=self.sku, n=max(self.stock_on_hand, 0))


def _priced(user, *columns):
    """Products with the user's tier price and discount (one statement; ``columns`` come first)."""
    tier_id = user.partner.tier_id if user.partner is not None else None
    return (select(*columns, Product, ProductTierPrice.price_cents, Tier.name, func.coalesce(Tier.discount_bp, 0))
            .select_from(Product)
            .outerjoin(ProductTierPrice, and_(ProductTierPrice.product_id == Product.id,
                                              ProductTierPrice.tier_id == (tier_id or -1)))
            .outerjoin(Tier, Tier.id == (tier_id or -1)))


def _snap(product: Product, quantity: int, tier_price, tier_name, discount_bp) -> Snapshot:
    discount = int(discount_bp or 0)
    return Snapshot(
        product_id=product.id, sku=product.sku, name=product.name, currency=product.currency,
        quantity=quantity, list_price_cents=product.list_price_cents,
        net_unit_cents=net_price_cents(product.list_price_cents, discount, tier_price),
        tier_name=tier_name or "", discount_bp=discount if tier_price is None else 0,
        problem=quantity_problem(quantity, product.min_order_qty, product.stock_on_hand, product.active),
        min_order_qty=product.min_order_qty, stock_on_hand=product.stock_on_hand, active=product.active)


def snapshot(user) -> list[Snapshot]:
    """The cart lines priced now, with the tier name and discount that priced them (one query)."""
    stmt = (_priced(user, CartLine.quantity).join(CartLine, CartLine.product_id == Product.id)
            .where(CartLine.user_id == user.id).order_by(CartLine.id))
    return [_snap(product, quantity, *rest) for quantity, product, *rest in db.session.execute(stmt)]


def price_items(user, wanted: dict[int, int]) -> list[Snapshot]:
    """Given product ids and quantities priced now for ``user`` (inactive products too: they get a problem)."""
    if not wanted:
        return []
    stmt = _priced(user).where(Product.id.in_(list(wanted)))
    found = {product.id: (product, *rest) for product, *rest in db.session.execute(stmt)}
    return [_snap(found[pid][0], quantity, *found[pid][1:]) for pid, quantity in wanted.items() if pid in found]


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
    requested = None
    try:
        requested = parse_day(form.get("requested_date"))
    except DayError as exc:
        if exc.out_of_range:
            errors["requested_date"] = [str(exc)]
    if requested is None and "requested_date" not in errors:
        errors["requested_date"] = [_("Enter a date, such as %(d)s.", d=today.isoformat())]
    elif requested is not None and requested < today:
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


def _check_placer(user) -> None:
    if not user.can(Permission.PLACE_ORDERS) or user.partner_id is None:
        raise Forbidden(_("Only partner users place orders."))
    require_trading(user)


def _check_lines(lines: list[Snapshot], errors: dict[str, list[str]]) -> None:
    """Refuse lines that cannot be ordered: stock shortages → OutOfStock (409), anything else → ``errors``."""
    if not lines:
        errors.setdefault("cart", []).append(_("Your cart is empty."))
    elif any(line.problem and not line.short_of_stock for line in lines):
        errors.setdefault("cart", []).append(_("Fix the lines marked in your cart before you check out."))
    elif len({line.currency for line in lines}) > 1:
        errors.setdefault("cart", []).append(_("Order products of one currency at a time."))
    if errors:
        raise Invalid(errors)
    short = [line.short_message for line in lines if line.short_of_stock]
    if short:
        raise OutOfStock(" ".join(short))


def place(user, form: dict, today: date) -> tuple[Order, bool]:
    """Place the cart as an order; (order, created). A known key returns its order unchanged.

    Refused (nothing written, cart kept): Invalid for bad fields or lines, OutOfStock when a line
    asks for more than is on hand, or when an order within the auto-approval limit cannot reserve.
    """
    _check_placer(user)
    key = (form.get("idempotency_key") or "").strip()
    if not _KEY.fullmatch(key):
        raise Invalid({"idempotency_key": [_("This form has expired; reload the page and try again.")]})
    if (order := existing(user, key)) is not None:
        return order, False
    data, errors = _clean(form, today)
    address = _address(user, form, errors)
    lines = snapshot(user)
    _check_lines(lines, errors)
    order, created = _create(user, key, data, address, lines)
    if created:
        db.session.execute(delete(CartLine).where(CartLine.user_id == user.id))
        db.session.flush()
    return order, created


def _create(user, key: str, data: dict, address: ShippingAddress, lines: list[Snapshot]) -> tuple[Order, bool]:
    """The one core of checkout and the API: write the order, its lines and timeline; reserve when auto-approved.

    All of it happens in a savepoint: when the reservation fails (OutOfStock) nothing is left behind.
    The same key raced in from another request → that request's order, not created here.
    """
    total = sum(line.total_cents for line in lines)
    status = status_for(total, settings.get_int("auto_approval_limit_cents"))
    now = utcnow()
    try:
        with db.session.begin_nested():
            if address.id is None:
                db.session.add(address)
                db.session.flush()
            approved = status == "approved"
            order = Order(partner_id=user.partner_id, placed_by=user.id, idempotency_key=key,
                          po_number=data["po_number"], shipping_address=address.text,
                          requested_date=data["requested_date"], notes=data["notes"], status=status,
                          currency=lines[0].currency, total_cents=total, created_at=now,
                          approved_at=now if approved else None, approval_seconds=0 if approved else None)
            db.session.add(order)
            db.session.flush()
            order.number = order_number(order.id)
            db.session.add_all([OrderLine(order_id=order.id, product_id=line.product_id, sku=line.sku,
                                          name=line.name, quantity=line.quantity,
                                          list_price_cents=line.list_price_cents, net_unit_cents=line.net_unit_cents,
                                          tier_name=line.tier_name, discount_bp=line.discount_bp,
                                          line_total_cents=line.total_cents)
                                for line in lines])
            db.session.add(OrderEvent(order_id=order.id, at=now, actor_id=user.id, from_status="",
                                      to_status="submitted"))
            db.session.flush()
            if approved:
                reserve(order)  # OutOfStock leaves the savepoint: no order, no address, the cart as it was
                db.session.add(OrderEvent(order_id=order.id, at=now, actor_id=None, from_status="submitted",
                                          to_status="approved"))
                db.session.flush()
    except IntegrityError:  # the same key raced in from another request: that order wins
        order = existing(user, key)
        if order is None:
            raise
        return order, False
    audit.record(user, "order.created", order, partner_id=order.partner_id,
                 after={"number": order.number, "status": status, "total_cents": total, "currency": order.currency},
                 summary=f"{order.number} {order.po_number}")
    notify(f"order-submitted:{order.id}", involved(order), "order_submitted", link=f"/orders/{order.id}",
           order=order)
    return order, True


# --- orders from a list of lines (the API): the same rules, the user's cart untouched ----------------

API_KEY = re.compile(r"[A-Za-z0-9._:-]{8,64}", re.ASCII)
MAX_LINES = 200


@dataclass(frozen=True)
class WantedLine:
    quantity: int
    sku: str | None = None
    product_id: int | None = None


def _resolve(wanted: list[WantedLine]) -> tuple[dict[int, int], dict[int, int], dict[str, list[str]]]:
    """Requested lines → ({product id: quantity} (repeats of a product add up), {product id: first line index},
    per-line errors)."""
    skus = {line.sku for line in wanted if line.sku is not None}
    ids = {line.product_id for line in wanted if line.product_id is not None}
    by_sku, by_id = {}, set()
    if skus or ids:
        for product_id, sku in db.session.execute(select(Product.id, Product.sku)
                                                  .where(or_(Product.sku.in_(skus), Product.id.in_(ids)))):
            by_sku[sku] = product_id
            by_id.add(product_id)
    merged: dict[int, int] = {}
    positions: dict[int, int] = {}
    errors: dict[str, list[str]] = {}
    for i, line in enumerate(wanted):
        if (line.sku is None) == (line.product_id is None):
            errors[f"lines.{i}"] = [_("Give either a sku or a product_id.")]
            continue
        if line.sku is not None:
            product_id = by_sku.get(line.sku)
        else:
            product_id = line.product_id if line.product_id in by_id else None
        if product_id is None:
            field = "sku" if line.sku is not None else "product_id"
            errors[f"lines.{i}.{field}"] = [_("No such product.")]
            continue
        try:
            parse_quantity(line.quantity)
        except Invalid as exc:
            errors[f"lines.{i}.quantity"] = exc.field_errors["quantity"]
            continue
        merged[product_id] = merged.get(product_id, 0) + line.quantity
        positions.setdefault(product_id, i)
    return merged, positions, errors


def _same_request(user, order: Order, merged: dict[int, int], data: dict, form: dict) -> bool:
    """Does a replayed request ask for what ``order`` already is? (lines, PO, date, notes, address)"""
    placed = {}
    for product_id, quantity in db.session.execute(select(OrderLine.product_id, OrderLine.quantity)
                                                   .where(OrderLine.order_id == order.id)):
        placed[product_id] = placed.get(product_id, 0) + quantity
    if placed != merged:
        return False
    if (data["po_number"], data["notes"], data["requested_date"]) != (order.po_number, order.notes,
                                                                      order.requested_date):
        return False
    try:
        address = _address(user, form, {})
    except NotFound:
        return False
    return address is not None and address.text == order.shipping_address


def place_lines(user, key: str, form: dict, wanted: list[WantedLine], today: date) -> tuple[Order, bool]:
    """Place an order from lines (by SKU or product id), with checkout's rules; the cart is not touched.

    ``form`` has checkout's fields (po_number, requested_date, notes, address_id or the new address's).
    The same key again with the same request → (that order, False); with a different request → Conflict.
    """
    _check_placer(user)
    key = (key or "").strip()
    if not API_KEY.fullmatch(key):
        raise Invalid({"Idempotency-Key": [_("Send an Idempotency-Key header: 8 to 64 letters, digits or . _ : -")]})
    merged, positions, line_errors = _resolve(wanted)
    data, errors = _clean(form, today)
    if (order := existing(user, key)) is not None:  # a retry: only the same request gets the order back
        if line_errors or not _same_request(user, order, merged, data, form):
            raise Conflict(_("This Idempotency-Key was already used for order %(number)s with a different "
                             "request. Use a new key for a new order.", number=order.number))
        return order, False
    if not wanted:
        line_errors["lines"] = [_("Order at least one line.")]
    elif len(wanted) > MAX_LINES:
        line_errors["lines"] = [_("At most %(n)s lines per order.", n=MAX_LINES)]
    address_errors: dict[str, list[str]] = {}
    address = _address(user, form, address_errors)
    errors.update({f"address.{name}": messages for name, messages in address_errors.items()})
    errors.update(line_errors)
    lines = price_items(user, merged)
    for line in lines:
        if line.problem and not line.short_of_stock:
            errors.setdefault(f"lines.{positions[line.product_id]}.quantity", []).append(line.problem)
    if not errors and len({line.currency for line in lines}) > 1:
        errors["lines"] = [_("Order products of one currency at a time.")]
    if errors:
        raise Invalid(errors)
    _check_lines(lines, errors)
    order, created = _create(user, key, data, address, lines)
    if not created and not _same_request(user, order, merged, data, form):  # the same key raced in
        raise Conflict(_("This Idempotency-Key was already used for order %(number)s with a different "
                         "request. Use a new key for a new order.", number=order.number))
    return order, created

