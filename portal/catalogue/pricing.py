"""The price book's one rule: a product tier price wins; else list × (1 − tier discount), half-up."""

from __future__ import annotations

from decimal import Decimal

from portal.core import money

BASIS_POINTS = Decimal(10_000)


def discount_percent(discount_bp: int) -> Decimal:
    """Basis points → percent, exact (1250 → Decimal("12.50"))."""
    return (Decimal(discount_bp) / 100).quantize(money.CENT)


def net_price_cents(list_price_cents: int, discount_bp: int, tier_price_cents: int | None = None) -> int:
    """The partner's unit price in cents.

    ``discount_bp`` is the tier discount in basis points (1000 = 10.00 %). The product-specific
    tier price, when there is one, is the price. Otherwise the list price times (1 − discount),
    rounded half-up to the cent once (portal.core.money); no float is involved.
    """
    for value in (list_price_cents, discount_bp):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("prices and discounts are ints (cents, basis points)")
    if tier_price_cents is not None:
        if isinstance(tier_price_cents, bool) or not isinstance(tier_price_cents, int):
            raise TypeError("a tier price is an int (cents)")
        return tier_price_cents
    if not 0 <= discount_bp <= 10_000:
        raise ValueError("a discount is between 0 and 10000 basis points")
    # apply_rate: cents × fraction, rounded half-up to the cent (the portal's one rounding rule).
    return money.apply_rate(list_price_cents, (BASIS_POINTS - discount_bp) / BASIS_POINTS)
