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
from functools import lru_cache
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import (
    BigInteger,
    and_,
    bindparam,
    cast,
    column,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    text,
)

from portal.catalogue.models import Category, Product, ProductLink, ProductTierPrice, Tier
from portal.catalogue.pricing import discount_percent, net_price_cents
from portal.core import reads
from portal.core.errors import NotFound
from portal.core.inputs import strip_control_characters
from portal.core.pagination import Page, bound_page, paginate_bound, prepared
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
    """A product as a list shows it, with the viewer's net price. A named tuple: a page builds 24 of them
    and the list's row cache hashes each (web.rendered_rows), both in C."""

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


# Hot paths (every catalogue page) use Core statements on the tables, built once, executed on the
# session's connection: the ORM's per-call statement building and object loading cost more than the
# queries themselves. Rows answer attribute access like the models (``tier.name``, ``c.id``).
_T = Tier.__table__.c
_TIER = select(_T.id, _T.name, _T.rank, _T.discount_bp).where(_T.id == bindparam("tier_id"))
_CATEGORIES = select(Category.__table__.c.id, Category.__table__.c.name).order_by(Category.__table__.c.name)


def _tier(tier_id: int):
    return reads.first(_TIER, {"tier_id": tier_id})


def price_view(actor, preview_tier_id: int | None = None) -> PriceView:
    """The tier whose prices ``actor`` sees: their partner's; vendor staff may preview one."""
    if _is_vendor(actor):
        if preview_tier_id is None:
            return PriceView(None)
        tier = _tier(preview_tier_id)
        return PriceView(tier, preview=tier is not None)
    partner = actor.partner
    if partner is None or partner.tier_id is None:
        return PriceView(None)
    return PriceView(_tier(partner.tier_id))


def categories() -> list[tuple[int, str]]:
    """(id, name) pairs for the filter, by name (plain tuples: the filter's options are kept per list)."""
    return reads.rows(_CATEGORIES, named=False)


def tiers() -> list[Tier]:
    return list(db.session.scalars(select(Tier).order_by(Tier.rank, Tier.name)))


_P = Product.__table__.c
_C = Category.__table__.c
_TP = ProductTierPrice.__table__.c
# the fields of a ProductRow in its order, but the net price (computed from these) and the tier price (last)
_COLUMNS = (_P.id, _P.sku, _P.name, _P.description, _P.category_id, _C.name.label("category_name"),
            _P.list_price_cents, _P.currency, _P.unit, _P.stock_on_hand, _P.min_order_qty, _P.active,
            _P.created_at)


def _base(actor, view: PriceView):
    return _base_bound(actor, view).params(_base_params(view))


def _tier_price_join():
    return and_(_TP.product_id == _P.id, _TP.tier_id == bindparam("tier_id"))


def _base_bound(actor, view: PriceView):
    """The list's SELECT with a bind parameter for the tier (``_base_params``). Its shape: vendor or
    partner, with or without a tier."""
    tier_price = (_TP.price_cents if view.tier is not None else literal(None)).label("tier_price_cents")
    stmt = select(*_COLUMNS, tier_price).join_from(Product.__table__, Category.__table__,
                                                   _C.id == _P.category_id)
    if view.tier is not None:
        stmt = stmt.outerjoin(ProductTierPrice.__table__, _tier_price_join())
    if not _is_vendor(actor):
        stmt = stmt.where(_P.active.is_(True))
    return stmt


def _base_params(view: PriceView) -> dict:
    return {"tier_id": view.tier.id} if view.tier is not None else {}


# the SQLite search index (migration 0008): an FTS5 table of sku, name and description, trigram tokenizer
_SEARCH = table("products_search", column("rowid"))
SEARCH_INDEX_MIN_LENGTH = 3  # the trigram tokenizer cannot look up shorter text


def optimize_search_index() -> bool:
    """Merge the SQLite search index into one segment (FTS5 'optimize'). Each write through its triggers
    adds a small segment and a lookup reads every segment: after a bulk load (the large seed, a CSV
    import) a common term took 2.5× as long (0.78 → 0.30 ms for 'router' over 10,000 products).
    A no-op on other databases; True when it ran."""
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
    _key, build, params = visible_products_bound(actor, view, q, category_id, sort, in_stock)
    return build().params(params)


def products_page(actor, view: PriceView, q: str, category_id: int | None, sort: str, in_stock: bool,
                  number: int, size: int) -> Page:
    """One page of ``visible_products``, its statement built once per shape (``prepared``)."""
    key, build, params = visible_products_bound(actor, view, q, category_id, sort, in_stock)
    return paginate_bound(prepared(key, lambda: build(page=True)), params, number, size)


def visible_products_bound(actor, view: PriceView, q: str = "", category_id: int | None = None,
                           sort: str = "name", in_stock: bool = False):
    """``visible_products`` as (shape key, a builder of the statement with bind parameters, parameters)."""
    # (a NUL breaks the full-text MATCH: the query string's rule strips them; a caller without one too)
    q = strip_control_characters(q or "").strip()[:MAX_QUERY_LENGTH]
    sort = sort if sort in SORTS else "name"
    # SQLite's LIKE already ignores (ASCII) case, exactly as its lower() folds only ASCII: the same
    # matches as ``lower(x) LIKE lower(q)`` without two function calls per row and column (search
    # scans the catalogue). Other databases keep the case-folding ILIKE.
    sqlite = db.engine.dialect.name == "sqlite"
    # SQLite has a trigram index of the three columns (migration 0008): searches of 3 characters or more
    # look it up instead of scanning every product (13 ms → 0.1 ms over 10,000 products when few match)
    indexed = sqlite and len(q) >= SEARCH_INDEX_MIN_LENGTH
    search = ("index" if indexed else "scan") if q else ""
    key = ("catalogue.products", _is_vendor(actor), view.tier is not None, search, category_id is not None,
           bool(in_stock), sort, sqlite)
    params = _base_params(view)
    if indexed:
        params["q_phrase"] = '"' + q.replace('"', '""') + '"'  # one FTS5 phrase: the text as written
    elif q:
        params["q_like"] = _like_pattern(q)
    if category_id is not None:
        params["category_id"] = category_id
    if sort == "price":
        params["discount_left_bp"] = 10_000 - view.discount_bp

    def filtered(stmt):
        if indexed:
            stmt = stmt.where(_P.id.in_(select(_SEARCH.c.rowid).where(
                literal_column("products_search").op("MATCH")(bindparam("q_phrase")))))
        elif q:
            pattern, match = bindparam("q_like"), "like" if sqlite else "ilike"
            stmt = stmt.where(or_(*(getattr(col, match)(pattern, escape="/")
                                    for col in (_P.sku, _P.name, _P.description))))
        if category_id is not None:
            stmt = stmt.where(_P.category_id == bindparam("category_id"))
        if in_stock:
            stmt = stmt.where(_P.stock_on_hand >= _P.min_order_qty)
        return stmt

    def ordered(stmt):
        if sort == "price":
            # Net price × 10 000 before rounding: exact integers (64-bit: int32 cents × 10 000 overflows
            # int32 on PostgreSQL), and rounding never reverses an order.
            scaled_list = cast(_P.list_price_cents, BigInteger) * bindparam("discount_left_bp", type_=BigInteger)
            if view.tier is not None:
                key_ = func.coalesce(cast(_TP.price_cents, BigInteger) * 10_000, scaled_list)
            else:
                key_ = scaled_list
            return stmt.order_by(key_, _P.name, _P.id)
        if sort == "newest":
            return stmt.order_by(_P.created_at.desc(), _P.id.desc())
        return stmt.order_by(_P.name, _P.id)

    def build(page: bool = False):
        """The whole list; or (``page``) one page of it with LIMIT/OFFSET bind parameters (``bound_page``),
        chosen first over the products alone — their ids filtered, sorted and cut — and only the page's
        rows joined to their category and tier price. Sorting every match with all its columns and joins
        cost more than the search itself: 'router' (462 matches) 1.0 → 0.4 ms of SQL."""
        if not page:
            return ordered(filtered(_base_bound(actor, view)))
        ids = select(_P.id).select_from(Product.__table__)
        if sort == "price" and view.tier is not None:
            ids = ids.outerjoin(ProductTierPrice.__table__, _tier_price_join())
        if not _is_vendor(actor):
            ids = ids.where(_P.active.is_(True))
        chosen = bound_page(ordered(filtered(ids))).subquery("page")
        return ordered(_base_bound(actor, view).join(chosen, chosen.c.id == _P.id))

    return key, build, params


# a pure function of its three ints, called for every row of every list page
_net_price_cents = lru_cache(maxsize=65_536, typed=True)(net_price_cents)


def to_row(row, view: PriceView) -> ProductRow:
    """A result row of ``visible_products`` with the actor's net price."""
    (id_, sku, name, description, category_id, category_name, list_price, currency, unit, stock, moq, active,
     created_at, tier_price) = row
    return ProductRow(id_, sku, name, description, category_id, category_name, list_price,
                      _net_price_cents(list_price, view.discount_bp, tier_price), tier_price, currency, unit, stock,
                      moq, active, created_at)


def rows(result_rows, view: PriceView) -> list[ProductRow]:
    """One pass over a page's rows: each with the actor's net price."""
    return [to_row(row, view) for row in result_rows]


def get_product(actor, view: PriceView, product_id: int) -> ProductRow:
    """One product with the actor's price; an inactive product does not exist for partners."""
    found = db.session.execute(_base(actor, view).where(_P.id == product_id)).first()
    if found is None:
        raise NotFound(_("Product not found."))
    return to_row(found, view)


def product_links(product_id: int) -> list[ProductLink]:
    """A product's related resources (links on its page), in the order they were added."""
    return list(db.session.scalars(select(ProductLink).where(ProductLink.product_id == product_id)
                                   .order_by(ProductLink.id)))
