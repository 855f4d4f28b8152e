"""The server-side cart: one per partner user, priced at the partner's CURRENT net price.

Rules: a quantity is a whole number from the product's minimum order quantity up to
``MAX_QUANTITY`` and never more than the units on hand. Adding a product already in the cart
adds to its line (the sum is checked again). Prices are never stored on a line: each view prices
the lines with the price book (``portal.catalogue.pricing``), so a price change shows at once.
A line whose product became inactive, or whose quantity no longer fits the MOQ or the stock, is
flagged and left out of the total.

A cart page costs one query: its lines, their products, the tier's product prices and the tier
itself are joined. Services flush, never commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import and_, delete, func, literal, select

from portal.catalogue.models import Product, ProductTierPrice, Tier
from portal.catalogue.pricing import net_price_cents
from portal.core.errors import Forbidden, Invalid, NotFound
from portal.core.permissions import Permission
from portal.core.time import utcnow
from portal.extensions import db
from portal.orders.models import CartLine
from portal.partners.service import require_trading

MAX_QUANTITY = 100_000
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+", re.ASCII)


# --- pure rules ---------------------------------------------------------------------------------

def parse_quantity(text: str | int | None) -> int:
    """User text → a positive whole number ≤ MAX_QUANTITY, or Invalid on the ``quantity`` field."""
    if isinstance(text, bool):
        raise Invalid({"quantity": [_("Enter a whole number.")]})
    raw = str(text if text is not None else "").strip()
    if not raw:
        raise Invalid({"quantity": [_("Enter a quantity.")]})
    if not _WHOLE_NUMBER.fullmatch(raw):
        raise Invalid({"quantity": [_("Enter a whole number, such as 5.")]})
    digits = raw.lstrip("+-").lstrip("0")
    if raw.startswith("-") or not digits:
        raise Invalid({"quantity": [_("Enter a quantity of 1 or more.")]})
    if len(digits) > len(str(MAX_QUANTITY)) or int(digits) > MAX_QUANTITY:
        raise Invalid({"quantity": [_("At most %(n)s units per line.", n=format_decimal(MAX_QUANTITY))]})
    return int(digits)


def quantity_problem(quantity: int, min_order_qty: int, stock_on_hand: int, active: bool = True) -> str | None:
    """Why ``quantity`` of a product cannot be ordered now, or None when it can."""
    if not active:
        return _("This product is no longer available.")
    if quantity > MAX_QUANTITY:
        return _("At most %(n)s units per line.", n=format_decimal(MAX_QUANTITY))
    if quantity < min_order_qty:
        return _("The minimum order for this product is %(n)s.", n=min_order_qty)
    if stock_on_hand < max(min_order_qty, 1):
        return _("Out of stock.")
    if quantity > stock_on_hand:
        return _("Only %(n)s available.", n=stock_on_hand)
    return None


def line_total_cents(unit_net_cents: int, quantity: int) -> int:
    """Exact: integer cents × integer quantity."""
    for value in (unit_net_cents, quantity):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("a line total multiplies ints (cents × units)")
    return unit_net_cents * quantity


# --- the cart as shown ---------------------------------------------------------------------------

@dataclass(frozen=True)
class LineView:
    id: int
    product_id: int
    sku: str
    name: str
    unit: str
    currency: str
    quantity: int
    min_order_qty: int
    stock_on_hand: int
    unit_net_cents: int
    problem: str | None

    @property
    def total_cents(self) -> int:
        return line_total_cents(self.unit_net_cents, self.quantity)

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class CartView:
    lines: list[LineView] = field(default_factory=list)

    @property
    def totals(self) -> dict[str, int]:
        """Total cents per currency over the lines that can be ordered (sorted by currency)."""
        sums: dict[str, int] = {}
        for line in self.lines:
            if line.ok:
                sums[line.currency] = sums.get(line.currency, 0) + line.total_cents
        return dict(sorted(sums.items()))

    @property
    def has_problems(self) -> bool:
        return any(not line.ok for line in self.lines)

    def __len__(self) -> int:
        return len(self.lines)


def _check_actor(user) -> None:
    if not user.can(Permission.PLACE_ORDERS):
        raise Forbidden(_("Only partner users have a cart."))


def _check_change(user) -> None:
    """Who may change a cart: a partner user whose company may trade (a suspended one only looks)."""
    _check_actor(user)
    require_trading(user)


def _tier_id(user) -> int | None:
    partner = user.partner
    return partner.tier_id if partner is not None else None


def view(user) -> CartView:
    """The user's cart priced for their partner's tier, in one query."""
    _check_actor(user)
    tier_id = _tier_id(user)
    if tier_id is None:
        stmt = select(CartLine, Product, literal(None).label("tier_price"), literal(0).label("discount_bp"))
    else:
        stmt = select(CartLine, Product, ProductTierPrice.price_cents, func.coalesce(Tier.discount_bp, 0))
    stmt = stmt.join(Product, Product.id == CartLine.product_id).where(CartLine.user_id == user.id)
    if tier_id is not None:
        stmt = stmt.outerjoin(ProductTierPrice, and_(ProductTierPrice.product_id == Product.id,
                                                     ProductTierPrice.tier_id == tier_id))
        stmt = stmt.outerjoin(Tier, Tier.id == tier_id)
    lines = []
    for line, product, tier_price, discount_bp in db.session.execute(stmt.order_by(CartLine.id)):
        lines.append(LineView(
            id=line.id, product_id=product.id, sku=product.sku, name=product.name, unit=product.unit,
            currency=product.currency, quantity=line.quantity, min_order_qty=product.min_order_qty,
            stock_on_hand=product.stock_on_hand,
            unit_net_cents=net_price_cents(product.list_price_cents, int(discount_bp or 0), tier_price),
            problem=quantity_problem(line.quantity, product.min_order_qty, product.stock_on_hand, product.active)))
    return CartView(lines)


# --- changes --------------------------------------------------------------------------------------

def orderable_product(product_id: int) -> Product:
    """The product a partner may put in a cart (active, exists), or NotFound."""
    product = db.session.get(Product, product_id) if isinstance(product_id, int) else None
    if product is None or not product.active:
        raise NotFound(_("Product not found."))
    return product


def _validate(quantity: int, product: Product) -> None:
    problem = quantity_problem(quantity, product.min_order_qty, product.stock_on_hand, product.active)
    if problem:
        raise Invalid({"quantity": [problem]})


def _own_line(user, line_id: int) -> CartLine:
    line = db.session.scalar(select(CartLine).where(CartLine.id == line_id, CartLine.user_id == user.id))
    if line is None:
        raise NotFound(_("This line is not in your cart."))
    return line


def _upsert(user_id: int, product_id: int, quantity: int) -> tuple[int, int]:
    """Add ``quantity`` to the user's line of the product, creating it if needed, in ONE statement.

    INSERT … ON CONFLICT (user_id, product_id) DO UPDATE: two simultaneous first adds of a product
    cannot both insert (PostgreSQL would refuse the second with a unique violation); the second adds
    to the line the first made. Returns (line id, resulting quantity).
    """
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    now = utcnow()
    stmt = insert(CartLine).values(user_id=user_id, product_id=product_id, quantity=quantity, added_at=now,
                                   updated_at=now)
    stmt = stmt.on_conflict_do_update(index_elements=[CartLine.user_id, CartLine.product_id],
                                      set_={"quantity": CartLine.quantity + stmt.excluded.quantity,
                                            "updated_at": now})
    return tuple(db.session.execute(stmt.returning(CartLine.id, CartLine.quantity)).one())


def add(user, product_id: int, quantity_text: str | int | None) -> CartLine:
    """Put ``quantity`` of a product in the cart, or add it to the line already there.

    The rules (MOQ, maximum, stock) are checked on the quantity the line ends up with; a refusal
    rolls the change back (savepoint) and says what the cart already had.
    """
    _check_change(user)
    product = orderable_product(product_id)
    quantity = parse_quantity(quantity_text)
    nested = db.session.begin_nested()
    line_id, total = _upsert(user.id, product.id, quantity)
    problem = quantity_problem(total, product.min_order_qty, product.stock_on_hand)
    if problem:
        nested.rollback()
        if total > quantity:
            problem = _("Your cart already has %(have)s. %(problem)s", have=total - quantity, problem=problem)
        raise Invalid({"quantity": [problem]})
    nested.commit()
    line = db.session.get(CartLine, line_id, populate_existing=True)
    return line


def set_quantity(user, line_id: int, quantity_text: str | int | None) -> CartLine:
    _check_change(user)
    line = _own_line(user, line_id)
    quantity = parse_quantity(quantity_text)
    product = db.session.get(Product, line.product_id)
    _validate(quantity, product)
    line.quantity = quantity
    db.session.flush()
    return line


def remove(user, line_id: int) -> None:
    _check_change(user)
    db.session.delete(_own_line(user, line_id))
    db.session.flush()


def clear(user) -> int:
    _check_change(user)
    return db.session.execute(delete(CartLine).where(CartLine.user_id == user.id)).rowcount
