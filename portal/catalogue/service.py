"""Catalogue browsing: what an actor may see, and at which price.

Pricing is the price book's (``pricing.net_price_cents``): partners see their own tier's net
price; vendor staff see list prices and may preview a tier. A page costs one query for its
products (the product tier prices of the actor's tier are outer-joined into it) plus at most one
for the tier itself.

Stock status, one rule: **out** when fewer units than the minimum order quantity are on hand
(not even one minimum order can ship), **low** when fewer than ``max(LOW_STOCK_UNITS + 1, 2 × MOQ)``
(10 units or fewer, or under two minimum orders), otherwise **in stock**.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import BigInteger, and_, cast, func, literal, or_, select

from portal.catalogue.models import Category, Product, ProductTierPrice, Tier
from portal.catalogue.pricing import discount_percent, net_price_cents
from portal.core.errors import NotFound
from portal.core.permissions import Role
from portal.extensions import db

SORTS = ("name", "price", "newest")
LOW_STOCK_UNITS = 10
MAX_QUERY_LENGTH = 100


def stock_status(stock_on_hand: int, min_order_qty: int) -> str:
    """``"in"``, ``"low"`` or ``"out"`` (see the module docstring for the rule)."""
    if stock_on_hand < max(min_order_qty, 1):
        return "out"
    if stock_on_hand < max(LOW_STOCK_UNITS + 1, 2 * min_order_qty):
        return "low"
    return "in"


@dataclass(frozen=True)
class PriceView:
    """Whose prices a page shows: a partner's tier, a previewed tier, or plain list prices."""

    tier: Tier | None
    preview: bool = False

    @property
    def discount_bp(self) -> int:
        return self.tier.discount_bp if self.tier else 0

    @property
    def discount_percent(self) -> Decimal:
        return discount_percent(self.discount_bp)


@dataclass(frozen=True)
class ProductRow:
    id: int
    sku: str
    name: str
    description: str
    category_id: int
    category_name: str
    list_price_cents: int
    net_price_cents: int
    tier_price_cents: int | None
    currency: str
    unit: str
    stock_on_hand: int
    min_order_qty: int
    active: bool
    created_at: datetime

    @property
    def stock_status(self) -> str:
        return stock_status(self.stock_on_hand, self.min_order_qty)

    @property
    def discounted(self) -> bool:
        return self.net_price_cents != self.list_price_cents


def _is_vendor(actor) -> bool:
    return Role(actor.role).is_vendor


def price_view(actor, preview_tier_id: int | None = None) -> PriceView:
    """The tier whose prices ``actor`` sees: their partner's; vendor staff may preview one."""
    if _is_vendor(actor):
        if preview_tier_id is None:
            return PriceView(None)
        tier = db.session.get(Tier, preview_tier_id)
        return PriceView(tier, preview=tier is not None)
    partner = actor.partner
    if partner is None or partner.tier_id is None:
        return PriceView(None)
    return PriceView(db.session.get(Tier, partner.tier_id))


def categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.name)))


def tiers() -> list[Tier]:
    return list(db.session.scalars(select(Tier).order_by(Tier.rank, Tier.name)))


def _base(actor, view: PriceView):
    tier_id = view.tier.id if view.tier else None
    tier_price = (ProductTierPrice.price_cents if tier_id is not None else literal(None)).label("tier_price_cents")
    stmt = select(Product, Category.name.label("category_name"), tier_price).join(
        Category, Category.id == Product.category_id)
    if tier_id is not None:
        stmt = stmt.outerjoin(ProductTierPrice, and_(ProductTierPrice.product_id == Product.id,
                                                     ProductTierPrice.tier_id == tier_id))
    if not _is_vendor(actor):
        stmt = stmt.where(Product.active.is_(True))
    return stmt


def visible_products(actor, view: PriceView, q: str = "", category_id: int | None = None,
                     sort: str = "name", in_stock: bool = False):
    """The statement for the actor's product list (rows of Product, category name, tier price).

    ``q`` matches SKU, name or description, case-insensitively, as a substring (so a Chinese
    word inside a name matches too). Sorting by price sorts by the actor's net price.
    """
    stmt = _base(actor, view)
    q = (q or "").strip()[:MAX_QUERY_LENGTH]
    if q:
        stmt = stmt.where(or_(Product.sku.icontains(q, autoescape=True),
                              Product.name.icontains(q, autoescape=True),
                              Product.description.icontains(q, autoescape=True)))
    if category_id is not None:
        stmt = stmt.where(Product.category_id == category_id)
    if in_stock:
        stmt = stmt.where(Product.stock_on_hand >= Product.min_order_qty)
    if sort == "price":
        # Net price × 10 000 before rounding: exact integers (64-bit: int32 cents × 10 000 overflows
        # int32 on PostgreSQL), and rounding never reverses an order.
        scaled_list = cast(Product.list_price_cents, BigInteger) * (10_000 - view.discount_bp)
        if view.tier is not None:
            key = func.coalesce(cast(ProductTierPrice.price_cents, BigInteger) * 10_000, scaled_list)
        else:
            key = scaled_list
        stmt = stmt.order_by(key, Product.name, Product.id)
    elif sort == "newest":
        stmt = stmt.order_by(Product.created_at.desc(), Product.id.desc())
    else:
        stmt = stmt.order_by(Product.name, Product.id)
    return stmt


def to_row(product: Product, category_name: str, tier_price_cents: int | None, view: PriceView) -> ProductRow:
    return ProductRow(
        id=product.id, sku=product.sku, name=product.name, description=product.description,
        category_id=product.category_id, category_name=category_name,
        list_price_cents=product.list_price_cents,
        net_price_cents=net_price_cents(product.list_price_cents, view.discount_bp, tier_price_cents),
        tier_price_cents=tier_price_cents, currency=product.currency, unit=product.unit,
        stock_on_hand=product.stock_on_hand, min_order_qty=product.min_order_qty, active=product.active,
        created_at=product.created_at)


def rows(result_rows, view: PriceView) -> list[ProductRow]:
    """One pass over a page's rows: each with the actor's net price."""
    return [to_row(product, category_name, tier_price, view) for product, category_name, tier_price in result_rows]


def get_product(actor, view: PriceView, product_id: int) -> ProductRow:
    """One product with the actor's price; an inactive product does not exist for partners."""
    found = db.session.execute(_base(actor, view).where(Product.id == product_id)).first()
    if found is None:
        raise NotFound(_("Product not found."))
    return to_row(*found, view)
