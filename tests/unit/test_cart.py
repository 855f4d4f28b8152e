"""Cart rules in isolation: quantities as users type them, MOQ/stock checks, exact line and cart totals."""

from __future__ import annotations

import pytest

from portal.core.errors import Invalid
from portal.orders.cart import MAX_QUANTITY, CartView, LineView, line_total_cents, parse_quantity, quantity_problem


@pytest.fixture(autouse=True)
def english(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


def line(qty: int, unit: int, currency: str = "USD", problem: str | None = None, line_id: int = 1) -> LineView:
    return LineView(id=line_id, product_id=line_id, sku=f"SKU-{line_id}", name="Thing", unit="each",
                    currency=currency, quantity=qty, min_order_qty=1, stock_on_hand=1000, unit_net_cents=unit,
                    problem=problem)


@pytest.mark.parametrize(("text", "expected"), [("5", 5), (" 12 ", 12), ("+3", 3), ("007", 7), (4, 4),
                                                ("100000", MAX_QUANTITY)])
def test_a_whole_number_within_the_limit_is_a_quantity(text, expected):
    assert parse_quantity(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("", "Enter a quantity."), (None, "Enter a quantity."), ("abc", "Enter a whole number"),
    ("2.5", "Enter a whole number"), ("1e3", "Enter a whole number"), ("٣", "Enter a whole number"),
    ("0", "1 or more"), ("-0", "1 or more"), ("-5", "1 or more"), ("000", "1 or more"),
    ("100001", "At most 100,000"), ("9" * 5000, "At most 100,000"), (True, "Enter a whole number"),
])
def test_anything_else_is_refused_on_the_quantity_field(text, message):
    with pytest.raises(Invalid) as caught:
        parse_quantity(text)
    assert list(caught.value.field_errors) == ["quantity"]
    assert message in caught.value.field_errors["quantity"][0]


def test_a_quantity_under_the_minimum_order_names_the_minimum():
    assert quantity_problem(4, 5, 100) == "The minimum order for this product is 5."
    assert quantity_problem(5, 5, 100) is None


def test_a_quantity_over_the_stock_says_how_many_are_available():
    assert quantity_problem(8, 1, 7) == "Only 7 available."
    assert quantity_problem(7, 1, 7) is None


def test_stock_below_one_minimum_order_is_out_of_stock():
    assert quantity_problem(5, 5, 4) == "Out of stock."
    assert quantity_problem(1, 1, 0) == "Out of stock."


def test_an_inactive_product_is_no_longer_available_whatever_the_quantity():
    assert quantity_problem(1, 1, 100, active=False) == "This product is no longer available."


def test_a_line_total_is_the_unit_net_price_times_the_quantity_exactly():
    assert line_total_cents(11699, 3) == 35097
    assert line_total_cents(1, MAX_QUANTITY) == 100_000
    assert line_total_cents(9_999_999, MAX_QUANTITY) == 999_999_900_000  # no float, no overflow


@pytest.mark.parametrize("bad", [1.5, True, "3"])
def test_a_line_total_refuses_anything_but_integers(bad):
    with pytest.raises(TypeError):
        line_total_cents(100, bad)
    with pytest.raises(TypeError):
        line_total_cents(bad, 1)


def test_the_cart_total_sums_the_orderable_lines_and_leaves_out_flagged_ones():
    cart = CartView([line(3, 11699, line_id=1), line(2, 23, line_id=2),
                     line(9, 5000, problem="Only 7 available.", line_id=3)])
    assert cart.totals == {"USD": 35097 + 46}
    assert cart.has_problems and len(cart) == 3
    assert all(isinstance(v, int) for v in cart.totals.values())


def test_different_currencies_get_a_total_each():
    cart = CartView([line(1, 1000, "USD", line_id=1), line(2, 700, "EUR", line_id=2), line(1, 5, "USD", line_id=3)])
    assert cart.totals == {"EUR": 1400, "USD": 1005}
    assert not cart.has_problems


def test_an_empty_cart_has_no_total():
    assert CartView().totals == {}
