"""Catalogue rows (form fields and CSV cells) are checked by one set of rules."""

from __future__ import annotations

import pytest

from portal.catalogue import csv_io
from portal.catalogue.admin import clean_product, parse_discount, parse_price
from portal.core import csv as csv_file

GOOD = {"sku": " rt-100 ", "name": "Router 100", "description": "路由器", "list_price": "1,234.50",
        "currency": "usd", "unit": "each", "stock_on_hand": "0", "min_order_qty": "1", "active": "true"}


def test_a_good_row_is_cleaned_to_model_values():
    values, errors = clean_product(GOOD)
    assert errors == {}
    assert values == {"sku": "RT-100", "name": "Router 100", "description": "路由器", "list_price_cents": 123450,
                      "currency": "USD", "unit": "each", "stock_on_hand": 0, "min_order_qty": 1, "active": True}


@pytest.mark.parametrize(("column", "text"), [
    ("sku", "A"), ("sku", "RT 100"), ("sku", "R" * 41), ("sku", "路由"),
    ("name", "  "), ("currency", "US"), ("currency", "ABC"), ("unit", ""),
    ("list_price", "12.345"), ("list_price", "-1"), ("list_price", "abc"), ("list_price", ""),
    ("list_price", "1e5"), ("list_price", "NaN"), ("list_price", "99999999999"),
    ("stock_on_hand", "-1"), ("stock_on_hand", "1.5"), ("stock_on_hand", "lots"), ("stock_on_hand", "9" * 12),
    ("min_order_qty", "0"), ("active", "maybe"),
])
def test_a_bad_cell_gets_a_message_on_its_column_only(column, text):
    values, errors = clean_product({**GOOD, column: text})
    assert list(errors) == [column]
    assert errors[column][0]


def test_price_messages_say_what_is_wrong():
    for text, message in (("12.345", "two decimal"), ("-1", "negative"), ("abc", "such as 1234.50")):
        with pytest.raises(ValueError, match=message):
            parse_price(text)
    assert parse_price("0") == 0 and parse_price("12.3") == 1230


@pytest.mark.parametrize(("text", "bp"), [("12.5", 1250), ("0", 0), ("100", 10000), ("7.25%", 725), ("10.10", 1010)])
def test_discount_percent_text_becomes_basis_points(text, bp):
    assert parse_discount(text) == bp


@pytest.mark.parametrize("text", ["100.01", "101", "-5", "12.345", "abc", "", "1e2"])
def test_bad_discounts_are_refused(text):
    with pytest.raises(ValueError):
        parse_discount(text)


def test_a_file_that_is_not_utf8_is_refused_whole():
    with pytest.raises(csv_io.ImportRejected, match="UTF-8"):
        csv_file.read_rows("sku,name\nÄ,x\n".encode("latin-1"), csv_io.COLUMNS, "no rows")


def test_missing_header_columns_are_named():
    with pytest.raises(csv_io.ImportRejected, match="currency, unit"):
        csv_file.read_rows(b"sku,name,description,category,list_price,stock_on_hand,min_order_qty,active\n"
                           b"A,b,c,d,1,1,1,1\n", csv_io.COLUMNS, "no rows")


def test_a_bom_and_blank_lines_are_read_and_rows_keep_their_spreadsheet_numbers():
    row = "n,d,c,1,USD,each,1,1,true\r\n"
    text = "\ufeff" + ",".join(csv_io.COLUMNS) + "\r\nAB," + row + "\r\nCD," + row
    rows = csv_file.read_rows(text.encode("utf-8"), csv_io.COLUMNS, "no rows")
    assert [(number, row["sku"]) for number, row in rows] == [(2, "AB"), (4, "CD")]


def test_a_file_without_rows_gets_the_importers_own_message(db):
    from tests import factories

    with pytest.raises(csv_io.ImportRejected, match="no product rows"):
        csv_io.import_csv(factories.vendor(), (",".join(csv_io.COLUMNS) + "\r\n\r\n").encode())


def test_an_oversized_file_is_refused():
    with pytest.raises(csv_io.ImportRejected, match="2 MB"):
        csv_file.read_rows(b"x" * (csv_io.MAX_BYTES + 1), csv_io.COLUMNS, "no rows")


@pytest.mark.parametrize("text", ["=SUM(A1)", "+1", "-5 dB", "@cmd", "'=already quoted", "plain", "'apostrophe"])
def test_formula_like_text_is_neutralised_on_export_and_restored_on_import(text):
    guarded = csv_file.guard(text)
    assert not guarded.startswith(csv_file.FORMULA_STARTS)
    assert csv_file.unguard(guarded) == text
