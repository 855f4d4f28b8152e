"""The rebate ladder: one pure function that every payout goes through (job, preview, editor, simulator).

A ladder is a list of rungs ``(threshold, rate %)``; the first threshold is 0 and thresholds strictly
increase. Bands are ``[lower, upper)``: a revenue exactly at a threshold reaches that rung; the top rung
is unbounded.

- ``retroactive`` (all-units): the highest reached rung's rate × all eligible revenue.
- ``incremental`` (marginal): each rung's rate × the revenue inside its band.

Arithmetic is exact ``Decimal``; the result is rounded half-up to the cent once
(``portal.core.money.quantize_cents``), never per band. Revenue at or below zero earns nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from portal.core.money import HUNDRED, MAX_AMOUNT, from_cents, quantize_cents

MODES = ("retroactive", "incremental")
MAX_RUNGS = 20
RATE_PLACES = 3  # rates are stored as integer thousandths of a percent


@dataclass(frozen=True)
class Rung:
    threshold: Decimal  # major units
    rate: Decimal  # percent, e.g. Decimal("8.5")


@dataclass(frozen=True)
class Payout:
    revenue: Decimal
    rebate_cents: int
    rung: int  # 0-based index of the reached rung
    rate: Decimal
    next_threshold: Decimal | None  # None on the top rung
    revenue_to_next: Decimal | None
    next_rate: Decimal | None

    @property
    def rebate(self) -> Decimal:
        return from_cents(self.rebate_cents)


def reached(rungs: Sequence[Rung], revenue: Decimal) -> int:
    """The index of the highest rung whose threshold ``revenue`` reaches (``>=``: [lower, upper) bands)."""
    index = 0
    for i, rung in enumerate(rungs):
        if revenue >= rung.threshold:
            index = i
    return index


def payout(mode: str, rungs: Sequence[Rung], revenue: Decimal) -> Payout:
    """What ``revenue`` (major units) earns on the ladder in ``mode``, rounded half-up to the cent once."""
    if mode not in MODES:
        raise ValueError(f"unknown ladder mode: {mode!r}")
    if not rungs or rungs[0].threshold != 0:
        raise ValueError("a ladder starts at threshold 0")
    index = reached(rungs, revenue)
    base = max(revenue, Decimal(0))
    if mode == "retroactive":
        exact = base * rungs[index].rate / HUNDRED
    else:
        exact = Decimal(0)
        for i, rung in enumerate(rungs[:index + 1]):
            upper = rungs[i + 1].threshold if i + 1 < len(rungs) else None
            top = base if upper is None else min(base, upper)
            if top > rung.threshold:
                exact += (top - rung.threshold) * rung.rate / HUNDRED
    nxt = rungs[index + 1] if index + 1 < len(rungs) else None
    return Payout(revenue=revenue, rebate_cents=quantize_cents(exact), rung=index, rate=rungs[index].rate,
                  next_threshold=nxt.threshold if nxt else None,
                  revenue_to_next=(nxt.threshold - revenue) if nxt else None, next_rate=nxt.rate if nxt else None)


def payout_cents(mode: str, rungs: Sequence[Rung], revenue_cents: int) -> Payout:
    return payout(mode, rungs, from_cents(revenue_cents))


# --- reading what a person or a client typed -----------------------------------------------------------

def _number(text) -> Decimal | None:
    if isinstance(text, bool) or isinstance(text, float):
        return None
    cleaned = str(text if text is not None else "").strip().replace(",", "")
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def parse_amount(text, field: str, errors: dict[str, list[str]]) -> Decimal | None:
    """A non-negative amount in major units with at most 2 decimals, or None with a message under ``field``."""
    value = _number(text)
    if value is None:
        errors.setdefault(field, []).append(_("Enter an amount such as %(example)s.", example="100000.00"))
    elif value < 0:
        errors.setdefault(field, []).append(_("The amount cannot be negative."))
    elif value >= MAX_AMOUNT:
        errors.setdefault(field, []).append(_("That amount is too large."))
    elif value.as_tuple().exponent < -2:
        errors.setdefault(field, []).append(_("Use at most two decimal places."))
    else:
        return value
    return None


def parse_rate(text, field: str, errors: dict[str, list[str]]) -> Decimal | None:
    value = _number(text)
    if value is None:
        errors.setdefault(field, []).append(_("Enter a rate in percent such as 5 or 2.5."))
    elif value < 0 or value > 100:
        errors.setdefault(field, []).append(_("A rate is between 0 and 100 %."))
    elif value.as_tuple().exponent < -RATE_PLACES:
        errors.setdefault(field, []).append(_("Use at most three decimal places."))
    else:
        return value
    return None


def parse_rungs(rows: Sequence[tuple[object, object]], prefix: str = "rungs") -> tuple[list[Rung], dict]:
    """``[(threshold text, rate text), …]`` → rungs and field errors keyed ``rungs.<i>.threshold`` /
    ``rungs.<i>.rate`` (plus ``rungs`` for the ladder as a whole). Every rule is checked in one round."""
    errors: dict[str, list[str]] = {}
    if not rows:
        errors[prefix] = [_("Add at least one rung.")]
        return [], errors
    if len(rows) > MAX_RUNGS:
        errors[prefix] = [_("A ladder has at most %(n)s rungs.", n=MAX_RUNGS)]
        return [], errors
    rungs: list[Rung] = []
    previous: Decimal | None = None
    for i, (threshold_text, rate_text) in enumerate(rows):
        threshold = parse_amount(threshold_text, f"{prefix}.{i}.threshold", errors)
        rate = parse_rate(rate_text, f"{prefix}.{i}.rate", errors)
        if threshold is not None:
            if i == 0 and threshold != 0:
                errors.setdefault(f"{prefix}.0.threshold", []).append(_("The first rung starts at 0."))
            elif i > 0 and previous is not None and threshold <= previous:
                errors.setdefault(f"{prefix}.{i}.threshold", []).append(
                    _("Each threshold must be higher than the one before."))
            previous = threshold
        if threshold is not None and rate is not None:
            rungs.append(Rung(threshold, rate))
    return rungs, errors


def decimal_text(value: Decimal | None, places: int | None = None) -> str | None:
    """A Decimal as plain text without exponent: ``places`` fixed, else trailing zeros dropped."""
    if value is None:
        return None
    if places is not None:
        return f"{value:.{places}f}"
    text = f"{value.normalize():f}"
    return text
