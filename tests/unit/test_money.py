from decimal import Decimal

import pytest

from portal.core import money


@pytest.mark.parametrize(("amount", "cents"), [
    ("0.005", 1), ("0.004", 0), ("1.005", 101), ("2.675", 268), ("-0.005", -1), ("12.345", 1235), (Decimal("10"), 1000),
])
def test_amounts_round_half_up_to_the_cent(amount, cents):
    assert money.to_cents(amount) == cents


def test_float_is_refused_anywhere_near_money():
    with pytest.raises(TypeError):
        money.to_cents(0.1)
    with pytest.raises(TypeError):
        money.from_cents(1.0)
    with pytest.raises(TypeError):
        money.apply_rate(100, 0.05)


def test_rate_applies_with_one_rounding_at_the_end():
    # 300,000.00 × 8 % = 24,000.00 exactly; 0.125 × 5 % rounds half-up to 0.01
    assert money.apply_rate(30_000_000, Decimal("0.08")) == 2_400_000
    assert money.apply_rate(13, "0.5") == 7  # 0.065 → 0.07
    assert money.apply_rate(1, "0.5") == 1  # 0.005 → 0.01


def test_cents_convert_back_exactly():
    assert money.from_cents(123456) == Decimal("1234.56")
    assert money.from_cents(-5) == Decimal("-0.05")


@pytest.mark.parametrize(("text", "cents"), [("1,234.50", 123450), (" 7 ", 700), ("0.1", 10)])
def test_user_amounts_parse_to_cents(text, cents):
    assert money.parse_amount(text) == cents


@pytest.mark.parametrize("text", ["", "abc", "1.234", "NaN", "Infinity", "1e400000"])
def test_bad_amounts_get_a_message(text):
    with pytest.raises(ValueError):
        money.parse_amount(text)


def test_money_is_formatted_for_the_locale():
    assert money.format_money(123450, "CNY", "zh_Hans_CN") == "¥1,234.50"
    assert money.format_money(123450, "EUR", "en") == "€1,234.50"
    assert money.format_money(123450, "USD", "zh_Hant") == "US$1,234.50"
