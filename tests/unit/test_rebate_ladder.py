"""The ladder function, table-driven: both modes at, one cent below and one cent above every threshold,
zero and top-rung revenue, fractional rates and the one half-up rounding."""

from __future__ import annotations

from decimal import Decimal

import pytest

from portal.rebates.ladder import Rung, parse_rungs, payout

D = Decimal
SPEC = [Rung(D(0), D(2)), Rung(D(100000), D(5)), Rung(D(250000), D(8)), Rung(D(500000), D(10))]

# revenue, rung, retroactive rebate, incremental rebate
CASES = [
    ("0", 0, "0.00", "0.00"),
    ("0.01", 0, "0.00", "0.00"),            # 0.0002 rounds down
    ("0.25", 0, "0.01", "0.01"),            # 0.005 → half-up to 0.01
    ("0.24", 0, "0.00", "0.00"),            # 0.0048
    ("99999.99", 0, "2000.00", "2000.00"),  # 1999.9998 → 2000.00
    ("100000.00", 1, "5000.00", "2000.00"),  # exactly at a threshold reaches that rung
    ("100000.01", 1, "5000.00", "2000.00"),  # 5000.0005 → 5000.00; 2000 + 0.0005 → 2000.00
    ("249999.99", 1, "12500.00", "9500.00"),  # 12499.9995 → 12500.00; 2000 + 7499.9995 → 9500.00
    ("250000.00", 2, "20000.00", "9500.00"),
    ("250000.01", 2, "20000.00", "9500.00"),  # 20000.0008; 9500.0008
    ("300000.00", 2, "24000.00", "13500.00"),  # the SPEC's worked example
    ("499999.99", 2, "40000.00", "29500.00"),  # 39999.9992; 29499.9992
    ("500000.00", 3, "50000.00", "29500.00"),
    ("500000.01", 3, "50000.00", "29500.00"),  # 50000.001; 29500.001
    ("2000000.00", 3, "200000.00", "179500.00"),  # the top rung is unbounded: 10 % above 500,000
]


@pytest.mark.parametrize(("revenue", "rung", "retroactive", "incremental"), CASES)
def test_ladder_pays_each_mode_exactly_at_and_around_every_threshold(revenue, rung, retroactive, incremental):
    for mode, expected in (("retroactive", retroactive), ("incremental", incremental)):
        result = payout(mode, SPEC, D(revenue))
        assert (result.rung, result.rebate) == (rung, D(expected)), mode


def test_retroactive_ladder_applies_top_rate_to_all_revenue():
    assert payout("retroactive", SPEC, D("300000")).rebate == D("24000.00")


def test_incremental_ladder_never_pays_more_than_retroactive():
    for revenue, *_ in CASES:
        assert payout("incremental", SPEC, D(revenue)).rebate <= payout("retroactive", SPEC, D(revenue)).rebate


def test_next_rung_and_revenue_still_needed_are_reported_and_null_on_the_top_rung():
    mid = payout("retroactive", SPEC, D("300000"))
    assert (mid.next_threshold, mid.revenue_to_next, mid.next_rate) == (D(500000), D(200000), D(10))
    top = payout("incremental", SPEC, D("500000"))
    assert (top.next_threshold, top.revenue_to_next, top.rate) == (None, None, D(10))


FRACTIONAL = [Rung(D(0), D("1.125")), Rung(D("1000.00"), D("2.375"))]


@pytest.mark.parametrize(("revenue", "retroactive", "incremental"), [
    ("100.00", "1.13", "1.13"),       # 1.125 → 1.13 (half-up, once)
    ("1000.00", "23.75", "11.25"),
    ("1200.00", "28.50", "16.00"),    # 11.25 + 4.75
    ("1000.20", "23.75", "11.25"),    # 23.75475 → 23.75; 11.25 + 0.00475 → 11.25
    ("1000.22", "23.76", "11.26"),    # 23.755225 → 23.76; 11.25 + 0.005225 → 11.26
])
def test_fractional_rates_are_rounded_half_up_once_on_the_result(revenue, retroactive, incremental):
    assert payout("retroactive", FRACTIONAL, D(revenue)).rebate == D(retroactive)
    assert payout("incremental", FRACTIONAL, D(revenue)).rebate == D(incremental)


def test_incremental_rounds_once_not_per_band():
    # per band: 0.005 → 0.01 and 0.005 → 0.01 would pay 0.02; exact sum 0.010 pays 0.01
    ladder = [Rung(D(0), D("0.5")), Rung(D(1), D("0.5"))]
    assert payout("incremental", ladder, D(2)).rebate == D("0.01")


def test_zero_rate_on_a_rung_pays_nothing_for_that_band_only():
    ladder = [Rung(D(0), D(0)), Rung(D(1000), D(4))]
    assert payout("incremental", ladder, D(1500)).rebate == D("20.00")
    assert payout("retroactive", ladder, D("999.99")).rebate == D("0.00")


def test_negative_revenue_earns_nothing():
    assert payout("retroactive", SPEC, D("-50.00")).rebate == D("0.00")
    assert payout("incremental", SPEC, D("-50.00")).rebate == D("0.00")


@pytest.mark.parametrize(("rows", "field"), [
    ([("10", "2")], "rungs.0.threshold"),                       # the first threshold is 0
    ([("0", "2"), ("100", "3"), ("100", "4")], "rungs.2.threshold"),  # strictly increasing
    ([("0", "2"), ("100", "3"), ("50", "4")], "rungs.2.threshold"),
    ([("0", "100.001")], "rungs.0.rate"),                       # 0–100
    ([("0", "-1")], "rungs.0.rate"),
    ([("0", "2.0005")], "rungs.0.rate"),                        # at most 3 decimals
    ([("0", "x")], "rungs.0.rate"),
    ([("0", "2"), ("1.001", "3")], "rungs.1.threshold"),        # cents at most
    ([], "rungs"),
])
def test_invalid_ladders_name_the_field(rows, field):
    rungs, errors = parse_rungs(rows)
    assert field in errors


def test_a_valid_ladder_parses_exactly():
    rungs, errors = parse_rungs([("0", "2"), ("100,000", "5.125"), ("250000.50", "100")])
    assert errors == {}
    assert rungs == [Rung(D(0), D(2)), Rung(D(100000), D("5.125")), Rung(D("250000.50"), D(100))]
