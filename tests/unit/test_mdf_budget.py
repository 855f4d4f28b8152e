"""MDF budget arithmetic: allocated, committed, paid and remaining from one rule (portal.mdf.service.tally)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from portal.mdf import service
from portal.mdf.service import Figures, tally


def test_a_budget_without_requests_has_everything_remaining():
    figures = tally(5_000_000, [])
    assert (figures.allocated, figures.committed, figures.paid, figures.remaining) == (5_000_000, 0, 0, 5_000_000)


def test_approved_and_claimed_requests_commit_their_approved_amount():
    figures = tally(5_000_000, [("approved", 2_000_000, 1_500_000, None), ("claimed", 1_000_000, 800_000, None)])
    assert figures.committed == 2_300_000 and figures.paid == 0 and figures.remaining == 2_700_000


def test_an_approved_claim_commits_only_its_reimbursement_the_rest_returns():
    figures = tally(5_000_000, [("reimbursed", 2_000_000, 1_500_000, 1_200_000)])
    assert figures.committed == 1_200_000 and figures.remaining == 3_800_000


def test_paid_claims_count_as_paid_not_committed():
    figures = tally(5_000_000, [("paid", 2_000_000, 1_500_000, 1_499_999), ("approved", 100, 100, None)])
    assert figures.paid == 1_499_999 and figures.committed == 100
    assert figures.remaining == 5_000_000 - 1_499_999 - 100


def test_waiting_requests_are_shown_but_reserve_nothing():
    figures = tally(1_000_000, [("submitted", 3_000_000, None, None)])
    assert figures.waiting == 3_000_000 and figures.remaining == 1_000_000


@pytest.mark.parametrize("status", ["rejected", "lapsed"])
def test_rejected_and_lapsed_requests_count_for_nothing(status):
    assert tally(1_000_000, [(status, 900_000, 900_000, None)]) == Figures(allocated=1_000_000)


def test_every_status_together_adds_up_to_the_cent():
    rows = [("submitted", 101, None, None), ("approved", 5_000, 4_999, None), ("claimed", 300, 299, None),
            ("reimbursed", 700, 700, 650), ("paid", 10_000, 9_000, 8_999), ("rejected", 7, None, None),
            ("lapsed", 50, 50, None)]
    figures = tally(100_000, rows)
    assert figures.committed == 4_999 + 299 + 650
    assert figures.paid == 8_999
    assert figures.remaining == 100_000 - (4_999 + 299 + 650) - 8_999
    assert figures.allocated == figures.committed + figures.paid + figures.remaining


def test_quarters_and_their_boundaries():
    assert service.quarter_of(date(2026, 3, 31)) == (2026, 1)
    assert service.quarter_of(date(2026, 4, 1)) == (2026, 2)
    assert service.period_end((2026, 4)) == date(2027, 1, 1)
    assert service.previous_period((2026, 1)) == (2025, 4)
    assert service.current_period(datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == (2026, 4)


@pytest.mark.parametrize("text, expected", [("2026-3", (2026, 3)), ("2026-5", None), ("26-1", None), ("", None),
                                            ("x-1", None), ("1999-1", None)])
def test_periods_are_read_from_year_dash_quarter(text, expected):
    assert service.parse_period(text) == expected
