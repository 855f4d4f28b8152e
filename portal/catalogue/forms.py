"""The catalogue list's query string, read leniently: nonsense falls back to the defaults.

Filters come from links and a live-search form; a stale or hand-edited URL (``category=xyz``,
``sort=drop-table``) shows the default list rather than an error page.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, StringField, TextAreaField

from portal.catalogue.service import MAX_QUERY_LENGTH, SORTS
from portal.core.forms import Form, IdField


def _int(value: str | None) -> int | None:
    try:
        number = int((value or "").strip())
    except ValueError:
        return None
    return number if 0 < number < 2**31 else None


@dataclass(frozen=True)
class CatalogueFilters:
    q: str = ""
    category: int | None = None
    sort: str = "name"
    in_stock: bool = False
    tier: int | None = None

    @classmethod
    def from_args(cls, args) -> CatalogueFilters:
        sort = args.get("sort", "name")
        return cls(q=args.get("q", "").strip()[:MAX_QUERY_LENGTH], category=_int(args.get("category")),
                   sort=sort if sort in SORTS else "name", in_stock=args.get("in_stock") in ("1", "y", "on"),
                   tier=_int(args.get("tier")))

    def as_args(self) -> dict[str, str | int]:
        """The filters for pager links (defaults left out)."""
        args: dict[str, str | int] = {}
        if self.q:
            args["q"] = self.q
        if self.category:
            args["category"] = self.category
        if self.sort != "name":
            args["sort"] = self.sort
        if self.in_stock:
            args["in_stock"] = 1
        if self.tier:
            args["tier"] = self.tier
        return args


# --- admin forms: text in, the service (portal.catalogue.admin) parses and checks it -------------

class ProductForm(Form):
    sku = StringField(_l("SKU"))
    name = StringField(_l("Name"))
    description = TextAreaField(_l("Description"))
    category_id = IdField(_l("Category"))
    list_price = StringField(_l("List price"))
    currency = StringField(_l("Currency"), default="USD")
    unit = StringField(_l("Unit"), default="each")
    stock_on_hand = StringField(_l("Stock on hand"), default="0")
    min_order_qty = StringField(_l("Minimum order quantity"), default="1")
    active = BooleanField(_l("Active (partners can see and order it)"), default=True)


class CategoryForm(Form):
    name = StringField(_l("Category name"))


class TierDiscountForm(Form):
    discount = StringField(_l("Discount (%)"))


class LinkForm(Form):
    """A related resource of a product (catalogue.admin.clean_link checks it)."""

    title = StringField(_l("Title"))
    url = StringField(_l("Web address or portal path"))


class TierPriceForm(Form):
    price = StringField(_l("Tier price (blank: use the tier discount)"))


class ImportForm(Form):
    file = FileField(_l("CSV file"))
