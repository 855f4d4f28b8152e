"""POST /api/v1/rebates/preview: the ladder function over JSON, for any signed-in user's token."""

from __future__ import annotations

import pytest

from portal.accounts import service as accounts
from portal.core.permissions import Role
from tests import factories
from tests.web.test_api import assert_json_error, bearer

SPEC_LADDER = [{"threshold": "0", "rate": "2"}, {"threshold": "100000", "rate": "5"},
               {"threshold": "250000", "rate": "8"}, {"threshold": "500000", "rate": "10"}]


@pytest.fixture(params=[Role.PARTNER_USER, Role.TRAINER])
def secret(request):
    user = (factories.partner_user(factories.PartnerFactory()) if request.param == Role.PARTNER_USER
            else factories.vendor(role=request.param))
    return accounts.create_api_token(user, "preview")[1]


def preview(client, secret, **body):
    return client.post("/api/v1/rebates/preview", json=body, headers=bearer(secret))


def test_preview_answers_the_specs_worked_example_in_both_modes(client, secret):
    response = preview(client, secret, mode="retroactive", rungs=SPEC_LADDER, revenue="300000.00")
    assert response.status_code == 200
    assert response.get_json() == {"rebate": "24000.00", "rate": "8", "rung": 2, "next_threshold": "500000.00",
                                   "revenue_to_next": "200000.00"}
    assert preview(client, secret, mode="incremental", rungs=SPEC_LADDER,
                   revenue="300000.00").get_json()["rebate"] == "13500.00"


def test_preview_on_the_top_rung_has_no_next_threshold(client, secret):
    body = preview(client, secret, mode="retroactive", rungs=SPEC_LADDER, revenue="500000").get_json()
    assert (body["rung"], body["rate"], body["next_threshold"], body["revenue_to_next"]) == (3, "10", None, None)


@pytest.mark.parametrize(("rungs", "revenue", "field"), [
    ([{"threshold": "5", "rate": "2"}], "100", "rungs.0.threshold"),
    ([{"threshold": "0", "rate": "2"}, {"threshold": "0", "rate": "3"}], "100", "rungs.1.threshold"),
    ([{"threshold": "0", "rate": "101"}], "100", "rungs.0.rate"),
    ([{"threshold": "0", "rate": "1.0001"}], "100", "rungs.0.rate"),
    (SPEC_LADDER, "-1", "revenue"),
    (SPEC_LADDER, "12.345", "revenue"),
    (SPEC_LADDER, "lots", "revenue"),
])
def test_an_invalid_ladder_or_revenue_is_422_with_field_errors(client, secret, rungs, revenue, field):
    error = assert_json_error(preview(client, secret, mode="incremental", rungs=rungs, revenue=revenue), 422)
    assert field in error["fields"]


def test_a_float_amount_or_unknown_mode_is_refused(client, secret):
    assert_json_error(preview(client, secret, mode="retroactive", rungs=SPEC_LADDER, revenue=300000.5), 422)
    assert_json_error(preview(client, secret, mode="stepwise", rungs=SPEC_LADDER, revenue="1"), 422)


def test_preview_needs_a_token(client):
    assert_json_error(client.post("/api/v1/rebates/preview", json={}), 401)
