"""The price book's rule in exact cents: tier price wins, else list × (1 − discount) half-up."""

from __future__ import annotations

from decimal import Decimal

import pytest

from portal.catalogue.pricing import discount_percent, net_price_cents
from portal.catalogue.service import stock_status


def test_a_twelve_and_a_half_percent_discount_rounds_1749_125_down_to_1749():
    assert net_price_cents(1999, 1250) == 1749


def test_a_fifteen_percent_discount_rounds_1699_15_down_to_1699():
    assert net_price_cents(1999, 1500) == 1699


def test_gold_ten_percent_and_silver_five_percent_of_the_same_list_price():
    assert net_price_cents(64900, 1000) == 58410
    assert net_price_cents(12999, 1000) == 11699  # 11699.1
    assert net_price_cents(12999, 500) == 12349  # 12349.05


def test_half_a_cent_rounds_up():
    assert net_price_cents(1, 5000) == 1  # 0.5 cent → 1
    assert net_price_cents(3, 5000) == 2  # 1.5 cents → 2
    assert net_price_cents(1, 5001) == 0  # 0.4999 cent → 0
    assert net_price_cents(9, 500) == 9  # 8.55 → 9
    assert net_price_cents(25, 1000) == 23  # 22.5 → 23


def test_no_discount_is_the_list_price_and_a_full_discount_is_free():
    assert net_price_cents(1999, 0) == 1999
    assert net_price_cents(1999, 10_000) == 0


def test_a_product_tier_price_overrides_the_discount():
    assert net_price_cents(74900, 1000, 64900) == 64900
    assert net_price_cents(74900, 1000, 0) == 0  # a tier price of zero is still a price
    assert net_price_cents(74900, 1000, None) == 67410


def test_large_prices_stay_exact():
    assert net_price_cents(999_999_999, 333) == 966_699_999  # 966699999.0333


@pytest.mark.parametrize("bad", [19.99, "1999", True])
def test_a_float_string_or_bool_price_is_refused(bad):
    with pytest.raises(TypeError):
        net_price_cents(bad, 1000)


def test_a_float_tier_price_is_refused():
    with pytest.raises(TypeError):
        net_price_cents(1999, 1000, 1749.5)


@pytest.mark.parametrize("bp", [-1, 10_001])
def test_a_discount_outside_0_to_100_percent_is_refused(bp):
    with pytest.raises(ValueError):
        net_price_cents(1999, bp)


def test_basis_points_show_as_exact_percent():
    assert discount_percent(1250) == Decimal("12.50")
    assert discount_percent(1000) == Decimal("10.00")


@pytest.mark.parametrize(("stock", "moq", "status"), [
    (0, 1, "out"), (4, 5, "out"), (1, 1, "low"), (10, 1, "low"), (11, 1, "in"),
    (5, 5, "low"), (49, 25, "low"), (50, 25, "in"), (500, 10, "in"),
])
def test_stock_status_is_out_below_one_minimum_order_and_low_under_eleven_or_two_orders(stock, moq, status):
    assert stock_status(stock, moq) == status
