"""/api/v1/products — the catalogue with the caller's net price, over the catalogue pages' own service.

Pricing, visibility and search are ``portal.catalogue.service``'s (the HTML catalogue's): a partner
user gets their tier's net price and never sees inactive products; vendor staff get list prices, see
inactive products too, and may preview a tier's prices with ``?tier=<id>`` (ignored for partners).
Money comes twice, never as a JSON float: integer cents and an exact decimal string ("1999.00").
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from portal.blueprints.api.base import operation
from portal.catalogue import service
from portal.core.money import from_cents
from portal.core.pagination import MAX_PAGE_SIZE, paginate

MONEY_PATTERN = r"^-?\d+\.\d{2}$"
MAX_ID = 2**31 - 1
DEFAULT_PAGE_SIZE = 50
MAX_PAGE = 100_000

StockStatus = Literal["in", "low", "out"]
Sort = Literal["name", "price", "newest"]


class PreviewQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tier: int | None = Field(default=None, ge=1, le=MAX_ID,
                             description="Vendor staff only: show this tier's net prices (ignored for partner "
                                         "users, who always get their own tier's). An unknown tier means list "
                                         "prices.")


class ProductListQuery(PreviewQuery):
    q: str = Field(default="", max_length=service.MAX_QUERY_LENGTH,
                   description="Search SKU, name and description (case-insensitive substring, any language).")
    category_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="Only this category.")
    in_stock: bool = Field(default=False, description="Only products with at least one minimum order in stock.")
    sort: Sort = Field(default="name", description="name; price (by the caller's net price, lowest first); "
                                                   "newest")
    page: int = Field(default=1, ge=1, le=MAX_PAGE, description="1-based page number.")
    per_page: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="Items per page.")


class CategoryRef(BaseModel):
    id: int
    name: str


class TierRef(BaseModel):
    id: int
    name: str
    discount_percent: str = Field(pattern=MONEY_PATTERN, examples=["10.00"])


class ProductOut(BaseModel):
    id: int
    sku: str
    name: str
    category: CategoryRef
    currency: str = Field(description="ISO 4217 code, e.g. USD")
    unit: str
    list_price: str = Field(pattern=MONEY_PATTERN, examples=["1999.00"], description="Exact decimal, major units.")
    net_price: str = Field(pattern=MONEY_PATTERN, examples=["1799.10"],
                           description="The caller's unit price (tier price or tier discount, half-up to the "
                                       "cent); equals list_price without a tier.")
    list_price_cents: int = Field(examples=[199900])
    net_price_cents: int = Field(examples=[179910])
    min_order_qty: int
    stock_status: StockStatus = Field(description="in, low or out (out: not even one minimum order on hand)")
    active: bool


class ResourceLink(BaseModel):
    title: str
    url: str = Field(description="A web address (http or https) or a path of the portal (starting with /).")


class ProductDetailOut(ProductOut):
    description: str
    resources: list[ResourceLink] = Field(description="Related resources, as on the product's page.")


class ProductPage(BaseModel):
    items: list[ProductOut]
    page: int
    per_page: int
    has_next: bool
    tier: TierRef | None = Field(description="Whose net prices these are; null means list prices.")


def _fields(row: service.ProductRow) -> dict:
    return {
        "id": row.id, "sku": row.sku, "name": row.name,
        "category": CategoryRef(id=row.category_id, name=row.category_name),
        "currency": row.currency, "unit": row.unit,
        "list_price": str(from_cents(row.list_price_cents)), "net_price": str(from_cents(row.net_price_cents)),
        "list_price_cents": row.list_price_cents, "net_price_cents": row.net_price_cents,
        "min_order_qty": row.min_order_qty, "stock_status": row.stock_status, "active": row.active,
    }


def _view(user, query: PreviewQuery) -> service.PriceView:
    return service.price_view(user, query.tier if user.is_vendor else None)


@operation("/products", summary="Search and list the catalogue with your net prices", query=ProductListQuery,
           response=ProductPage, tags=("catalogue",))
def list_products(user, query: ProductListQuery) -> ProductPage:
    view = _view(user, query)
    stmt = service.visible_products(user, view, query.q, query.category_id, query.sort, query.in_stock)
    page = paginate(stmt, query.page, query.per_page, scalars=False)
    tier = view.tier
    return ProductPage(
        items=[ProductOut(**_fields(row)) for row in service.rows(page.items, view)],
        page=page.number, per_page=page.size, has_next=page.has_next,
        tier=TierRef(id=tier.id, name=tier.name, discount_percent=str(view.discount_percent)) if tier else None)


@operation("/products/<id:product_id>", summary="One product with your net price", query=PreviewQuery,
           response=ProductDetailOut, tags=("catalogue",))
def get_product(user, query: PreviewQuery, product_id: int) -> ProductDetailOut:
    row = service.get_product(user, _view(user, query), product_id)
    return ProductDetailOut(**_fields(row), description=row.description,
                            resources=[ResourceLink(title=link.title, url=link.url)
                                       for link in service.product_links(product_id)])
