"""Catalogue administration (admins): products, categories, tier discounts, product tier prices and the
links to a product's related resources.

Every value typed by a person (form field or CSV cell) goes through ``clean_product`` — one set of
rules for both. Money is parsed to cents by ``portal.core.money.parse_amount``; discounts are
basis points. Every change is audited with before/after (money as cents) in the same transaction.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from babel.numbers import list_currencies
from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.catalogue.models import Category, Product, ProductLink, ProductTierPrice, Tier
from portal.catalogue.service import product_links
from portal.core import audit, money
from portal.core.errors import Conflict, Forbidden, Invalid, NotFound
from portal.core.permissions import Permission
from portal.core.urls import safe_next
from portal.extensions import db
from portal.orders.models import OrderLine
from portal.stock_alerts import service as stock_alerts

FIELDS = ["sku", "name", "description", "category_id", "list_price_cents", "currency", "unit",
          "stock_on_hand", "min_order_qty", "active"]
SKU_PATTERN = re.compile(r"[A-Z0-9-]{2,40}")
PERCENT_PATTERN = re.compile(r"[0-9]{1,3}(\.[0-9]+)?")
MAX_INT = 2**31 - 1  # the columns are 32-bit integers
CURRENCIES = frozenset(c for c in list_currencies() if re.fullmatch(r"[A-Z]{3}", c))
TRUE_WORDS = frozenset({"1", "true", "yes", "y", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "n", "off"})


def _allowed(actor) -> None:
    if not actor.can(Permission.MANAGE_CATALOGUE):
        raise Forbidden(_("You do not have permission to do that."))


# --- parsing user text ------------------------------------------------------------------------

def parse_price(text: str | None) -> int:
    """Amount text ("1,234.50") → cents ≥ 0; ValueError with a message for the person."""
    cents = money.parse_amount_text(text, "1234.50")
    if cents > MAX_INT:
        raise ValueError(_("That amount is too large."))
    return cents


def parse_discount(text: str | None) -> int:
    """Percent text ("12.5") → basis points (1250); 0–100 with at most two decimals."""
    cleaned = (text or "").strip().removesuffix("%").strip()
    if not cleaned:
        raise ValueError(_("Enter a discount in percent."))
    if not PERCENT_PATTERN.fullmatch(cleaned):
        raise ValueError(_("Enter a percentage between 0 and 100, such as 12.5."))
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
        raise ValueError(_("Enter a percentage between 0 and 100, such as 12.5.")) from exc
    if value.as_tuple().exponent < -2:
        raise ValueError(_("Use at most two decimal places."))
    if value > 100:
        raise ValueError(_("A discount is between 0 and 100 percent."))
    return int(value * 100)


def _parse_int(text: str | None, minimum: int) -> int:
    cleaned = (text or "").strip()
    if not re.fullmatch(r"-?[0-9]+", cleaned):
        raise ValueError(_("Enter a whole number."))
    value = int(cleaned)
    if value < minimum:
        raise ValueError(_("Enter %(n)s or more.", n=minimum))
    if value > MAX_INT:
        raise ValueError(_("That number is too large."))
    return value


def parse_active(text: str | bool | None) -> bool:
    if isinstance(text, bool):
        return text
    word = (text or "").strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(_("Enter true or false."))


def clean_product(raw: dict) -> tuple[dict, dict[str, list[str]]]:
    """Check a product's fields (text as typed; not the category, not uniqueness).

    Returns (clean values keyed like the model, errors keyed by input field name).
    """
    values: dict = {}
    errors: dict[str, list[str]] = {}
    sku = (raw.get("sku") or "").strip().upper()
    if not SKU_PATTERN.fullmatch(sku):
        errors["sku"] = [_("A SKU is 2 to 40 letters A–Z, digits or hyphens.")]
    values["sku"] = sku
    name = (raw.get("name") or "").strip()
    if not name:
        errors["name"] = [_("Enter the product name.")]
    elif len(name) > 200:
        errors["name"] = [_("Use at most %(n)s characters.", n=200)]
    values["name"] = name
    description = (raw.get("description") or "").strip()
    if len(description) > 10_000:
        errors["description"] = [_("Use at most %(n)s characters.", n=10_000)]
    values["description"] = description
    currency = (raw.get("currency") or "").strip().upper()
    if currency not in CURRENCIES:
        errors["currency"] = [_("Enter a three-letter ISO currency code such as USD.")]
    values["currency"] = currency
    unit = (raw.get("unit") or "").strip()
    if not unit:
        errors["unit"] = [_("Enter a unit such as each or box.")]
    elif len(unit) > 20:
        errors["unit"] = [_("Use at most %(n)s characters.", n=20)]
    values["unit"] = unit
    for key, target, parse in (
        ("list_price", "list_price_cents", parse_price),
        ("stock_on_hand", "stock_on_hand", lambda t: _parse_int(t, 0)),
        ("min_order_qty", "min_order_qty", lambda t: _parse_int(t, 1)),
        ("active", "active", parse_active),
    ):
        try:
            values[target] = parse(raw.get(key))
        except ValueError as exc:
            errors[key] = [str(exc)]
    return values, errors


def _sku_taken(sku: str, product: Product | None) -> bool:
    clash = db.session.scalar(select(Product.id).where(Product.sku == sku))
    return clash is not None and (product is None or clash != product.id)


# --- products ---------------------------------------------------------------------------------

def list_products(actor, q: str = ""):
    """Every product (active or not) with its category name, by SKU; ``q`` matches SKU or name."""
    _allowed(actor)
    stmt = select(Product, Category.name.label("category_name")).join(Category, Category.id == Product.category_id)
    q = (q or "").strip()[:100]
    if q:
        stmt = stmt.where(Product.sku.icontains(q, autoescape=True) | Product.name.icontains(q, autoescape=True))
    return stmt.order_by(Product.sku)


def get_product(actor, product_id: int) -> Product:
    _allowed(actor)
    product = db.session.get(Product, product_id)
    if product is None:
        raise NotFound(_("Product not found."))
    return product


def product_text(product: Product) -> dict:
    """A product's fields as the form shows them (prices as exact decimals)."""
    return {"sku": product.sku, "name": product.name, "description": product.description,
            "category_id": product.category_id, "list_price": str(money.from_cents(product.list_price_cents)),
            "currency": product.currency, "unit": product.unit, "stock_on_hand": str(product.stock_on_hand),
            "min_order_qty": str(product.min_order_qty), "active": product.active}


def _apply(product: Product, values: dict) -> None:
    for name in FIELDS:
        if name in values:
            setattr(product, name, values[name])


def save_product(actor, data: dict, product_id: int | None = None) -> Product:
    """Create or edit a product from form text. Invalid input → Invalid(field errors), nothing written."""
    _allowed(actor)
    product = get_product(actor, product_id) if product_id else None
    values, errors = clean_product(data)
    category = db.session.get(Category, data["category_id"]) if data.get("category_id") else None
    if category is None:
        errors["category_id"] = [_("Choose a category.")]
    else:
        values["category_id"] = category.id
    if "sku" not in errors and _sku_taken(values["sku"], product):
        errors["sku"] = [_("Another product already has this SKU.")]
    if errors:
        raise Invalid(errors)
    before = audit.snapshot(product, FIELDS) if product else None
    if product is None:
        product = Product()
        db.session.add(product)
    _apply(product, values)
    db.session.flush()
    audit.record(actor, "product.created" if before is None else "product.updated", product, before=before,
                 after=audit.snapshot(product, FIELDS), summary=f"{product.sku} {product.name}")
    stock_alerts.release([product.id])  # back in stock (or active again): those waiting are told
    return product


def is_ordered(product_id: int) -> bool:
    """Whether any order (in any state) has a line of this product."""
    return db.session.scalar(select(OrderLine.id).where(OrderLine.product_id == product_id).limit(1)) is not None


def delete_product(actor, product_id: int) -> list[str]:
    """Delete a product no order has a line of (audited); its tier prices, related resources and cart lines
    go with it. Returns the keys of its stored files, for the caller to discard after the commit.

    A product on an order stays, for that order's history, stock and returns: Conflict — deactivate it
    instead. The row is locked first (PostgreSQL; SQLite's write transaction is already exclusive), so
    an order placed meanwhile is either seen here or waits and then finds no product."""
    _allowed(actor)
    product = db.session.get(Product, product_id, with_for_update=True)
    if product is None:
        raise NotFound(_("Product not found."))
    if is_ordered(product.id):
        raise Conflict(_("%(sku)s is on orders and stays for their history. Deactivate it instead: partners "
                         "no longer see it.", sku=product.sku))
    before = audit.snapshot(product, FIELDS)
    keys = [key for key in (product.image_key, product.datasheet_key) if key]
    db.session.delete(product)
    db.session.flush()
    audit.record(actor, "product.deleted", product, before=before, summary=f"{product.sku} {product.name}")
    return keys


# --- categories -------------------------------------------------------------------------------

def categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.name)))


def product_counts() -> dict[int, int]:
    """category id → how many products (active or not) it has; empty categories are absent."""
    rows = db.session.execute(select(Product.category_id, func.count()).group_by(Product.category_id))
    return {category_id: count for category_id, count in rows}


def delete_category(actor, category_id: int) -> Category:
    """Delete an empty category (audited); one with products → Conflict, nothing changes."""
    _allowed(actor)
    category = db.session.get(Category, category_id, with_for_update=True)
    if category is None:
        raise NotFound(_("Category not found."))
    if db.session.scalar(select(Product.id).where(Product.category_id == category.id).limit(1)) is not None:
        raise Conflict(_("Only an empty category can be deleted: move its products to another category first."))
    db.session.delete(category)
    db.session.flush()
    audit.record(actor, "category.deleted", category, before={"name": category.name}, summary=category.name)
    return category


def save_category(actor, name: str, category_id: int | None = None) -> Category:
    _allowed(actor)
    category = db.session.get(Category, category_id) if category_id else None
    if category_id and category is None:
        raise NotFound(_("Category not found."))
    name = (name or "").strip()
    if not name:
        raise Invalid({"name": [_("Enter the category name.")]})
    if len(name) > 120:
        raise Invalid({"name": [_("Use at most %(n)s characters.", n=120)]})
    clash = db.session.scalar(select(Category.id).where(Category.name == name))
    if clash is not None and (category is None or clash != category.id):
        raise Invalid({"name": [_("A category with this name already exists.")]})
    before = {"name": category.name} if category else None
    if category is None:
        category = Category(name=name)
        db.session.add(category)
    category.name = name
    db.session.flush()
    audit.record(actor, "category.created" if before is None else "category.renamed", category,
                 before=before, after={"name": name}, summary=name)
    return category


# --- tiers and tier prices ----------------------------------------------------------------------

def tiers() -> list[Tier]:
    return list(db.session.scalars(select(Tier).order_by(Tier.rank, Tier.name)))


def set_tier_discount(actor, tier_id: int, text: str) -> Tier:
    _allowed(actor)
    tier = db.session.get(Tier, tier_id)
    if tier is None:
        raise NotFound(_("Tier not found."))
    try:
        discount_bp = parse_discount(text)
    except ValueError as exc:
        raise Invalid({"discount": [str(exc)]}) from exc
    before = {"discount_bp": tier.discount_bp}
    tier.discount_bp = discount_bp
    db.session.flush()
    audit.record(actor, "tier.discount_changed", tier, before=before, after={"discount_bp": discount_bp},
                 summary=tier.name)
    return tier


def tier_prices(product: Product) -> dict[int, int]:
    """tier id → the product's price for that tier, in cents."""
    rows = db.session.execute(select(ProductTierPrice.tier_id, ProductTierPrice.price_cents)
                              .where(ProductTierPrice.product_id == product.id))
    return {tier_id: cents for tier_id, cents in rows}


def set_tier_price(actor, product_id: int, tier_id: int, text: str | None) -> int | None:
    """Set the product's price for a tier from amount text; blank text clears it. Returns the cents."""
    product = get_product(actor, product_id)
    tier = db.session.get(Tier, tier_id)
    if tier is None:
        raise NotFound(_("Tier not found."))
    cents = None
    if (text or "").strip():
        try:
            cents = parse_price(text)
        except ValueError as exc:
            raise Invalid({"price": [str(exc)]}) from exc
    row = db.session.scalar(select(ProductTierPrice).where(ProductTierPrice.product_id == product.id,
                                                           ProductTierPrice.tier_id == tier.id))
    before = row.price_cents if row else None
    if before == cents:
        return cents
    if cents is None:
        db.session.delete(row)
    elif row is None:
        db.session.add(ProductTierPrice(product_id=product.id, tier_id=tier.id, price_cents=cents))
    else:
        row.price_cents = cents
    db.session.flush()
    audit.record(actor, "product.tier_price_cleared" if cents is None else "product.tier_price_set", product,
                 before={"tier_id": tier.id, "price_cents": before}, after={"tier_id": tier.id, "price_cents": cents},
                 summary=f"{product.sku} · {tier.name}")
    return cents


# --- related resources (links on the product page) ----------------------------------------------

MAX_LINKS = 10  # per product: a page of related resources, not a library
MAX_LINK_TITLE = 120
MAX_LINK_URL = 500
_UNSAFE_URL_CHARACTERS = re.compile(r"[\s\x00-\x1f\x7f\\]")  # whitespace, control characters, backslash
# a host name (letters of any script, digits, dots, hyphens) or IPv4 address, with an optional port
_HOST = re.compile(r"\w[\w.-]*(:[0-9]{1,5})?")


def clean_link(title: str | None, url: str | None) -> tuple[str, str]:
    """A link's title and address as typed → (title, url), or Invalid with a message per field.

    The address is a web address (``http://`` or ``https://`` with a host) or a path of the portal
    (``/…``, not ``//…``, which browsers read as another host). Nothing else: ``javascript:``,
    ``data:`` and the like never reach a page."""
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = [_("Enter the title partners see.")]
    elif len(title) > MAX_LINK_TITLE:
        errors["title"] = [_("Use at most %(n)s characters.", n=MAX_LINK_TITLE)]
    url = (url or "").strip()
    if not url:
        errors["url"] = [_("Enter a web address (https://…) or a path of the portal (/…).")]
    elif len(url) > MAX_LINK_URL:
        errors["url"] = [_("Use at most %(n)s characters.", n=MAX_LINK_URL)]
    elif not _safe_url(url):
        errors["url"] = [_("Enter a web address starting with https:// or http://, or a path of the portal "
                           "starting with /.")]
    if errors:
        raise Invalid(errors)
    return title, url


def _safe_url(url: str) -> bool:
    if _UNSAFE_URL_CHARACTERS.search(url):
        return False
    if url.startswith("/"):
        return safe_next(url) is not None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port out of range)
    except ValueError:
        return False
    # no user@ part: "https://trusted.example@evil.example" is a classic way to disguise a host
    return parts.scheme.lower() in ("http", "https") and bool(_HOST.fullmatch(parts.netloc))


def add_link(actor, product_id: int, title: str | None, url: str | None) -> ProductLink:
    """Add a related resource to a product (audited). Invalid input → Invalid, nothing written."""
    product = get_product(actor, product_id)
    title, url = clean_link(title, url)
    if len(product_links(product.id)) >= MAX_LINKS:
        raise Invalid({"url": [_("A product has at most %(n)s related resources: remove one first.", n=MAX_LINKS)]})
    from portal.resources.service import resource_of_link

    # a path of the library (/resources/<id>) links the resource: its audience then decides who sees the link
    link = ProductLink(product_id=product.id, title=title, url=url, resource_id=resource_of_link(url))
    db.session.add(link)
    db.session.flush()
    audit.record(actor, "product.link_added", product, after={"title": title, "url": url},
                 summary=f"{product.sku} · {title}")
    return link


def remove_link(actor, product_id: int, link_id: int) -> None:
    """Remove one of the product's related resources (audited); another product's link is not found."""
    product = get_product(actor, product_id)
    link = db.session.get(ProductLink, link_id)
    if link is None or link.product_id != product.id:
        raise NotFound(_("That link was not found."))
    before = {"title": link.title, "url": link.url}
    db.session.delete(link)
    db.session.flush()
    audit.record(actor, "product.link_removed", product, before=before, summary=f"{product.sku} · {link.title}")
