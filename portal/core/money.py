"""Exact money: integer minor units (cents) in storage, Decimal in arithmetic.

The one rounding rule of the portal: half-up to the cent (``ROUND_HALF_UP``), applied by
``quantize_cents`` and nowhere else. A float never enters these functions.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import format_currency
from flask_babel import gettext as _

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
MAX_AMOUNT = Decimal(10) ** 13  # 10 trillion: far above any order, rebate or budget


def _decimal(value: Decimal | int | str) -> Decimal:
    if isinstance(value, float | bool):
        raise TypeError("money never takes a float or bool; pass Decimal, int or str")
    try:
        result = Decimal(value)
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not an amount: {value!r}") from exc
    if not result.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    return result


def quantize_cents(amount: Decimal | int | str) -> int:
    """An amount in major units (e.g. euros) rounded half-up to whole cents."""
    try:
        return int(_decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP) * HUNDRED)
    except InvalidOperation as exc:  # beyond Decimal's precision: no real amount is that large
        raise ValueError(f"amount out of range: {amount!r}") from exc


def to_cents(amount: Decimal | int | str) -> int:
    """Major units → cents, half-up. ``to_cents("12.345") == 1235``."""
    return quantize_cents(amount)


def from_cents(cents: int) -> Decimal:
    """Cents → Decimal in major units, exact."""
    if isinstance(cents, float | bool) or not isinstance(cents, int):
        raise TypeError("cents must be an int")
    return (Decimal(cents) / HUNDRED).quantize(CENT)


def apply_rate(cents: int, rate: Decimal | str) -> int:
    """``cents × rate`` rounded half-up to the cent; rate is a fraction (0.05 = 5 %)."""
    product = Decimal(cents) * _decimal(rate) / HUNDRED
    return quantize_cents(product)


def parse_amount(text: str) -> int:
    """User text such as ``"1,234.50"`` → cents. Raises ValueError with a readable message."""
    cleaned = (text or "").strip().replace(",", "").replace(" ", "")
    if not cleaned:
        raise ValueError(_("Enter an amount."))
    amount = _decimal(cleaned)
    if abs(amount) >= MAX_AMOUNT:
        raise ValueError(_("That amount is too large."))
    if amount.as_tuple().exponent < -2:
        raise ValueError(_("Use at most two decimal places."))
    return quantize_cents(amount)


AMOUNT_TEXT = re.compile(r"[0-9][0-9, ]*(\.[0-9]*)?|\.[0-9]+")  # what a person may type: digits, separators


def parse_amount_text(text: str | None, example: str) -> int:
    """What a person typed in an amount field ("1,234.50") → cents ≥ 0; ValueError with a message for them."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise ValueError(_("Enter an amount."))
    if cleaned.startswith("-"):
        raise ValueError(_("The amount cannot be negative."))
    if not AMOUNT_TEXT.fullmatch(cleaned):
        raise ValueError(_("Enter an amount such as %(example)s.", example=example))
    return parse_amount(cleaned)  # exact Decimal; more than two decimals or a huge amount → ValueError


def format_money(cents: int, currency: str, locale: str) -> str:
    """Cents formatted for the locale, e.g. ``¥1,234.50`` for zh_Hans_CN."""
    return format_currency(from_cents(cents), currency, locale=locale)
