"""Catalogue CSV export and import (admins).

Export: through the portal's one CSV writer (``portal.core.csv``: UTF-8 with a byte-order mark, every text
cell a spreadsheet would run as a formula guarded with a leading apostrophe, which the import takes off
again), prices as exact decimals ("1234.50"). Import: every row is checked
with the product form's rules (``admin.clean_product``) plus duplicate SKUs within the file; when
any row is invalid nothing is written and the caller gets every row's errors. Unknown categories
are created. Products are upserted by SKU; one audit entry per created or changed product
(unchanged rows write nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from portal.catalogue.admin import FIELDS, _allowed, clean_product
from portal.catalogue.models import Category, Product
from portal.catalogue.service import optimize_search_index
from portal.core import audit, money
from portal.core import csv as csv_file
from portal.core.csv import ImportRejected, RowError
from portal.extensions import db
from portal.stock_alerts import service as stock_alerts

COLUMNS = ["sku", "name", "description", "category", "list_price", "currency", "unit", "stock_on_hand",
           "min_order_qty", "active"]
MAX_BYTES = csv_file.MAX_IMPORT_BYTES
CHUNK = 500  # SKUs per IN (...) list: well under SQLite's bound-parameter limit


def export_rows():
    """The whole catalogue by SKU, one row of ``COLUMNS`` per product (for ``portal.core.csv``)."""
    stmt = select(Product, Category.name).join(Category, Category.id == Product.category_id).order_by(Product.sku)
    for product, category_name in db.session.execute(stmt):
        yield [product.sku, product.name, product.description, category_name,
               money.from_cents(product.list_price_cents), product.currency, product.unit, product.stock_on_hand,
               product.min_order_qty, product.active]


def export_csv() -> str:
    """The whole catalogue as CSV text (with BOM), by SKU."""
    return csv_file.text(COLUMNS, export_rows())


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    new_categories: list[str] = field(default_factory=list)


def import_csv(actor, data: bytes) -> ImportSummary:
    """Check every row, then upsert by SKU; any error → ImportRejected and nothing is written."""
    _allowed(actor)
    rows = csv_file.read_rows(data, COLUMNS, _("The file has no product rows."))
    errors: list[RowError] = []
    parsed: list[tuple[dict, str]] = []
    seen: dict[str, int] = {}
    for number, raw in rows:
        values, field_errors = clean_product(raw)
        category = (raw.get("category") or "").strip()
        if not category:
            field_errors["category"] = [_("Enter a category.")]
        elif len(category) > 120:
            field_errors["category"] = [_("Use at most %(n)s characters.", n=120)]
        if "sku" not in field_errors:
            if values["sku"] in seen:
                field_errors["sku"] = [_("The SKU %(sku)s is also on row %(row)s.", sku=values["sku"],
                                         row=seen[values["sku"]])]
            else:
                seen[values["sku"]] = number
        for column in COLUMNS:
            errors.extend(RowError(number, column, message) for message in field_errors.get(column, []))
        parsed.append((values, category))
    if errors:
        rows = len({e.row for e in errors})
        raise ImportRejected(ngettext("Nothing was imported: %(num)d row has errors.",
                                      "Nothing was imported: %(num)d rows have errors.", rows), errors)
    return _upsert(actor, parsed)


def _upsert(actor, parsed: list[tuple[dict, str]]) -> ImportSummary:
    summary = ImportSummary()
    category_ids = {name: cid for cid, name in db.session.execute(select(Category.id, Category.name))}
    for name in dict.fromkeys(category for _values, category in parsed):
        if name not in category_ids:
            category = Category(name=name)
            db.session.add(category)
            db.session.flush()
            audit.record(actor, "category.created", category, after={"name": name}, summary=name)
            category_ids[name] = category.id
            summary.new_categories.append(name)
    skus = [values["sku"] for values, _category in parsed]
    existing: dict[str, Product] = {}
    for start in range(0, len(skus), CHUNK):
        existing.update((p.sku, p) for p in db.session.scalars(
            select(Product).where(Product.sku.in_(skus[start:start + CHUNK]))))
    for values, category in parsed:
        values["category_id"] = category_ids[category]
        product = existing.get(values["sku"])
        before = audit.snapshot(product, FIELDS) if product else None
        if product is None:
            product = Product()
            db.session.add(product)
        for name in FIELDS:
            setattr(product, name, values[name])
        after = audit.snapshot(product, FIELDS)
        if before == after:
            summary.unchanged += 1
            continue
        db.session.flush()
        audit.record(actor, "product.created" if before is None else "product.updated", product, before=before,
                     after=after, summary=f"{product.sku} {product.name} (CSV import)")
        if before is None:
            summary.created += 1
        else:
            summary.updated += 1
    db.session.flush()
    if summary.updated:  # back in stock: those waiting are told
        stock_alerts.release(product.id for product in existing.values())
    if summary.created or summary.updated:
        optimize_search_index()  # a bulk write leaves the search index in many small pieces
    return summary
