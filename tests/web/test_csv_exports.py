"""Every CSV export goes through one writer (portal.core.csv) that guards every text cell: a value starting
with = + - @, a tab or a carriage return reaches a spreadsheet as text (a leading apostrophe), never as a
formula — whichever column it is in."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.core import csv as csv_file
from portal.core.permissions import Role
from portal.rebates.models import RebateStatement
from tests import factories

STARTS = ["=", "+", "-", "@", "\t", "\r"]
EN = {"Accept-Language": "en"}


def parse(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    text = response.get_data(as_text=True)
    assert text.startswith(csv_file.BOM)
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def assert_guarded(cell: str, original: str) -> None:
    assert cell == "'" + original, (cell, original)
    assert csv_file.unguard(cell) == original


@pytest.mark.pg
@pytest.mark.parametrize("start", STARTS)
def test_every_text_column_of_the_catalogue_export_is_guarded(db, client, login, start):
    category = factories.CategoryFactory(name=f"{start}cmd|' /C calc'!A0")
    values = {"sku": f"{start}SKU", "name": f"{start}HYPERLINK(\"http://evil\")", "description": f"{start}1+1",
              "currency": f"{start}US"[:3], "unit": f"{start}cmd|' /C calc'!A0"}
    factories.ProductFactory(category=category, list_price_cents=1999, stock_on_hand=7, **values)
    login(factories.vendor())
    db.session.commit()
    header, row = parse(client.get("/admin/catalogue/export.csv"))
    cells = dict(zip(header, row, strict=True))
    for column, original in [*values.items(), ("category", category.name)]:
        assert_guarded(cells[column], original)
    # numbers stay numbers
    assert (cells["list_price"], cells["stock_on_hand"], cells["min_order_qty"], cells["active"]) == (
        "19.99", "7", "1", "true")


@pytest.mark.pg
@pytest.mark.parametrize("start", STARTS)
def test_every_text_column_of_the_order_export_is_guarded(db, client, login, start):
    buyer = factories.partner_user()
    values = {"number": f"{start}N-1", "po_number": f"{start}SUM(A1:A9)", "currency": f"{start}US"[:3],
              "carrier": f"{start}CARRIER", "tracking_number": f"{start}cmd|' /C calc'!A0"}
    factories.order_with_line(buyer, **values)
    db.session.commit()
    login(buyer)
    header, row = parse(client.get("/orders/export.csv", headers=EN))
    cells = dict(zip(header, row, strict=True))
    for column, key in [("Order", "number"), ("PO number", "po_number"), ("Currency", "currency"),
                        ("Carrier", "carrier"), ("Tracking number", "tracking_number")]:
        assert_guarded(cells[column], values[key])
    assert (cells["Total"], cells["Lines"], cells["Status"]) == ("20.00", "1", "Submitted")


def test_a_negative_amount_stays_a_number_and_text_that_looks_like_one_does_not():
    text = csv_file.text(["amount", "label"], [[Decimal("-12.50"), "-12.50"]])
    assert text.splitlines()[1] == "-12.50,'-12.50"


def test_no_module_writes_csv_but_the_one_writer():
    root = Path(__file__).resolve().parents[2] / "portal"
    writers = [str(path.relative_to(root)) for path in root.rglob("*.py")
               if re.search(r"csv\.(writer|DictWriter)\(", path.read_text()) and path != root / "core" / "csv.py"]
    assert writers == []


def _approved_rebate_statement(admin, run_jobs, db):
    """A partner admin with an approved rebate statement (calculated by the real job), and its id."""
    from portal.rebates import calculation, statements

    seller = factories.partner_user(role=Role.PARTNER_ADMIN)
    program = factories.rebate_program()
    factories.delivered_order(seller, 30_000_000, datetime(2026, 2, 1, tzinfo=UTC))
    db.session.commit()
    calculation.start(admin, program.id, date(2026, 1, 1))
    db.session.commit()
    run_jobs()
    statement = db.session.scalar(select(RebateStatement).where(RebateStatement.partner_id == seller.partner_id))
    statements.approve(admin, [statement.id])
    return seller, statement.id


def test_every_csv_download_is_the_one_writers_response(app, client, login, db, run_jobs):
    """Each endpoint answering CSV answers what portal.core.csv.download makes (its headers)."""
    csv_routes = sorted(rule.rule for rule in app.url_map.iter_rules() if rule.rule.endswith(".csv"))
    assert csv_routes == ["/admin/catalogue/export.csv", "/orders/export.csv",
                          "/rebates/statements/<id:statement_id>/statement.csv",
                          "/training/reports/<any(courses, partners, expiring, feedback):table>.csv"]
    admin = factories.vendor()
    seller, statement_id = _approved_rebate_statement(admin, run_jobs, db)
    for path, user in [("/admin/catalogue/export.csv", admin),
                       ("/training/reports/courses.csv", factories.vendor(Role.TRAINER)),
                       ("/orders/export.csv", factories.partner_user(role=Role.PARTNER_ADMIN)),
                       (f"/rebates/statements/{statement_id}/statement.csv", seller)]:
        db.session.commit()
        login(user)
        response = client.get(path, headers=EN)
        assert response.headers["Content-Disposition"].startswith('attachment; filename="')
        parse(response)
        client.post("/logout")
