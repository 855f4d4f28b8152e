"""Scorecard arithmetic: weighted totals are exact, the average is rounded half-up to one decimal once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from portal.partners.scorecard import as_score, average_tenths, points_tenths, total_tenths

DEFAULT = [30, 25, 25, 20]  # market coverage, technical capability, financial health, willingness to invest


def test_a_reviewers_total_is_weight_times_score_over_five_summed():
    # 30×4 + 25×3 + 25×5 + 20×2 = 360 → 360 / 5 = 72.0
    assert as_score(total_tenths(list(zip(DEFAULT, [4, 3, 5, 2], strict=True)))) == Decimal("72.0")


def test_all_fives_score_100_and_all_ones_score_20():
    assert as_score(total_tenths([(w, 5) for w in DEFAULT])) == Decimal("100.0")
    assert as_score(total_tenths([(w, 1) for w in DEFAULT])) == Decimal("20.0")


def test_odd_weights_give_exact_fifths_not_floats():
    # 33×2 + 33×3 + 34×4 = 301 → 60.2 exactly
    assert as_score(total_tenths([(33, 2), (33, 3), (34, 4)])) == Decimal("60.2")
    assert points_tenths(33, 2) == 132  # 13.2 points


def test_the_average_of_two_reviewers_is_exact_when_it_can_be():
    assert as_score(average_tenths([720, 640])) == Decimal("68.0")


def test_the_average_rounds_half_up_to_one_decimal():
    assert average_tenths([722, 723]) == 723  # 72.25 → 72.3
    assert average_tenths([722, 722, 723]) == 722  # 72.2333… → 72.2
    assert average_tenths([722, 723, 723]) == 723  # 72.2666… → 72.3


def test_no_reviews_means_no_score():
    assert average_tenths([]) is None
    assert as_score(None) is None


@pytest.mark.parametrize("scores", [[1, 1, 1, 1], [5, 5, 5, 5], [3, 4, 2, 5]])
def test_the_total_is_always_between_20_and_100(scores):
    total = as_score(total_tenths(list(zip(DEFAULT, scores, strict=True))))
    assert Decimal(20) <= total <= Decimal(100)
