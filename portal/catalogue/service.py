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
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import BigInteger, cast, column, func, literal, literal_column, or_, select, table, text

from portal.catalogue.models import Category, Product, ProductLink, ProductTierPrice, Tier
from portal.catalogue.pricing import discount_percent, net_price_cents
from portal.core.errors import NotFound
from portal.core.inputs import strip_control_characters
from portal.core.pagination import Page, limited
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

    tier: Tier | None  # a row with the tier's id, name, rank and discount_bp
    preview: bool = False

    @property
    def discount_bp(self) -> int:
        return self.tier.discount_bp if self.tier else 0

    @property
    def discount_percent(self) -> Decimal:
        return discount_percent(self.discount_bp)


class ProductRow(NamedTuple):
    """A product as a list shows it, with the viewer's net price."""

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


def categories() -> list[tuple[int, str]]:
    """(id, name) pairs for the filter, by name."""
    return [(id_, name) for id_, name in db.session.execute(_CATEGORIES)]


_CATEGORIES = select(Category.id, Category.name).order_by(Category.name)


def tiers() -> list[Tier]:
    return list(db.session.scalars(select(Tier).order_by(Tier.rank, Tier.name)))


# the fields of a ProductRow in its order, but the net price (computed from these) and the tier price (last)
_COLUMNS = (Product.id, Product.sku, Product.name, Product.description, Product.category_id,
            Category.name.label("category_name"), Product.list_price_cents, Product.currency, Product.unit,
            Product.stock_on_hand, Product.min_order_qty, Product.active, Product.created_at)


def _base(actor, view: PriceView):
    """The list's SELECT: the products ``actor`` may see (partners: active ones), with their category's name
    and the previewed or own tier's product price."""
    tier_price = (ProductTierPrice.price_cents if view.tier is not None else literal(None)).label("tier_price_cents")
    stmt = select(*_COLUMNS, tier_price).join(Category, Category.id == Product.category_id)
    if view.tier is not None:
        stmt = stmt.outerjoin(ProductTierPrice, _tier_price_join(view))
    return _visible(actor, stmt)


def _visible(actor, stmt):
    return stmt if _is_vendor(actor) else stmt.where(Product.active.is_(True))


def _tier_price_join(view: PriceView):
    return (ProductTierPrice.product_id == Product.id) & (ProductTierPrice.tier_id == view.tier.id)


# the SQLite search index (migration 0008): an FTS5 table of sku, name and description, trigram tokenizer
_SEARCH = table("products_search", column("rowid"))
SEARCH_INDEX_MIN_LENGTH = 3  # the trigram tokenizer cannot look up shorter text


def optimize_search_index() -> bool:
    """Merge the SQLite search index into one segment (FTS5 'optimize'). Each write through its triggers
    adds a small segment and a lookup reads every segment, so after a bulk load (the large seed, a CSV
    import) every search slows down until the segments are merged. A no-op on other databases; True when
    it ran."""
    if db.session.get_bind().dialect.name != "sqlite":
        return False
    db.session.execute(text("INSERT INTO products_search(products_search) VALUES ('optimize')"))
    return True


def _like_pattern(q: str) -> str:
    """``q`` as a LIKE pattern matching it anywhere, ``%`` and ``_`` taken literally (escape ``/``)."""
    return "%" + q.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


def visible_products(actor, view: PriceView, q: str = "", category_id: int | None = None,
                     sort: str = "name", in_stock: bool = False):
    """The statement for the actor's product list (rows of a product's columns, category name, tier price).

    ``q`` matches SKU, name or description, case-insensitively, as a substring (so a Chinese
    word inside a name matches too). Sorting by price sorts by the actor's net price.
    """
    search = _Search(q, sort, category_id, in_stock)
    return search.ordered(search.filtered(_base(actor, view)), view)


def products_page(actor, view: PriceView, q: str, category_id: int | None, sort: str, in_stock: bool,
                  number: int, size: int) -> Page:
    """Page ``number`` of ``visible_products``, in one query that chooses the page over the products alone
    — their ids filtered, sorted and cut — and joins only the page's rows to their category and tier price
    (sorting every match with all its columns and joins costs more than the search itself)."""
    search = _Search(q, sort, category_id, in_stock)
    ids = select(Product.id)
    if search.sort == "price" and view.tier is not None:
        ids = ids.outerjoin(ProductTierPrice, _tier_price_join(view))
    chosen = limited(search.ordered(search.filtered(_visible(actor, ids)), view), number, size).subquery("page")
    stmt = search.ordered(_base(actor, view).join(chosen, chosen.c.id == Product.id), view)
    return Page.of(db.session.execute(stmt).all(), number, size)


class _Search:
    """The list's filters and order, read leniently (see ``visible_products``)."""

    def __init__(self, q: str, sort: str, category_id: int | None, in_stock: bool) -> None:
        # (a NUL breaks the full-text MATCH: the query string's rule strips them; a caller without one too)
        self.q = strip_control_characters(q or "").strip()[:MAX_QUERY_LENGTH]
        self.sort = sort if sort in SORTS else "name"
        self.category_id, self.in_stock = category_id, in_stock

    def filtered(self, stmt):
        sqlite = db.session.get_bind().dialect.name == "sqlite"
        if self.q and sqlite and len(self.q) >= SEARCH_INDEX_MIN_LENGTH:
            # the trigram index of sku, name and description (migration 0008): one FTS5 phrase, the text as written
            phrase = '"' + self.q.replace('"', '""') + '"'
            stmt = stmt.where(Product.id.in_(select(_SEARCH.c.rowid).where(
                literal_column("products_search").op("MATCH")(phrase))))
        elif self.q:
            # SQLite's LIKE already ignores (ASCII) case, exactly as its lower() folds only ASCII; other databases
            # need ILIKE. Shorter text than the index's trigrams scans the catalogue.
            pattern = _like_pattern(self.q)
            stmt = stmt.where(or_(*(field.like(pattern, escape="/") if sqlite else field.ilike(pattern, escape="/")
                                    for field in (Product.sku, Product.name, Product.description))))
        if self.category_id is not None:
            stmt = stmt.where(Product.category_id == self.category_id)
        if self.in_stock:
            stmt = stmt.where(Product.stock_on_hand >= Product.min_order_qty)
        return stmt

    def ordered(self, stmt, view: PriceView):
        if self.sort == "price":
            # Net price × 10 000 before rounding: exact integers (64-bit: int32 cents × 10 000 overflows
            # int32 on PostgreSQL), and rounding never reverses an order.
            scaled_list = cast(Product.list_price_cents, BigInteger) * (10_000 - view.discount_bp)
            key = scaled_list
            if view.tier is not None:
                key = func.coalesce(cast(ProductTierPrice.price_cents, BigInteger) * 10_000, scaled_list)
            return stmt.order_by(key, Product.name, Product.id)
        if self.sort == "newest":
            return stmt.order_by(Product.created_at.desc(), Product.id.desc())
        return stmt.order_by(Product.name, Product.id)


def to_row(row, view: PriceView) -> ProductRow:
    """A result row of ``visible_products`` with the actor's net price."""
    (id_, sku, name, description, category_id, category_name, list_price, currency, unit, stock, moq, active,
     created_at, tier_price) = row
    return ProductRow(id_, sku, name, description, category_id, category_name, list_price,
                      net_price_cents(list_price, view.discount_bp, tier_price), tier_price, currency, unit, stock,
                      moq, active, created_at)


def rows(result_rows, view: PriceView) -> list[ProductRow]:
    """One pass over a page's rows: each with the actor's net price."""
    return [to_row(row, view) for row in result_rows]


def get_product(actor, view: PriceView, product_id: int) -> ProductRow:
    """One product with the actor's price; an inactive product does not exist for partners."""
    found = db.session.execute(_base(actor, view).where(Product.id == product_id)).first()
    if found is None:
        raise NotFound(_("Product not found."))
    return to_row(found, view)


def product_links(product_id: int) -> list[ProductLink]:
    """A product's related resources (links on its page), in the order they were added."""
    return list(db.session.scalars(select(ProductLink).where(ProductLink.product_id == product_id)
                                   .order_by(ProductLink.id)))
