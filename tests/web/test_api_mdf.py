"""/api/v1 MDF: a partner's budgets with their figures, its requests, and a new request under the web's rules;
another partner's budgets are 404."""

from __future__ import annotations

from openapi_spec_validator import validate
from sqlalchemy import func, select

from portal.accounts import service as accounts
from portal.core.permissions import Role
from portal.core.time import utcnow
from portal.mdf.models import MdfRequest
from portal.mdf.service import current_period
from tests import factories
from tests.web.test_api import assert_json_error, bearer


def people(db):
    partner, other = factories.PartnerFactory(), factories.PartnerFactory()
    factories.mdf_budget(partner, 5_000_000)
    factories.mdf_request(partner, 1_000_000, status="approved", approved_cents=800_000)
    factories.mdf_request(other, 1_000_000, title="Not yours")
    anna = factories.partner_user(partner, role=Role.PARTNER_ADMIN)
    secret = accounts.create_api_token(anna, "ERP")[1]
    db.session.commit()  # an error answer rolls the session back
    return partner, other, secret


def test_a_partner_reads_its_budget_figures_and_requests_by_api(client, db):
    partner, other, token = people(db)
    budgets = client.get("/api/v1/mdf/budgets", headers=bearer(token)).get_json()["items"]
    year, quarter = current_period()
    [now] = [b for b in budgets if (b["year"], b["quarter"]) == (year, quarter)]
    assert (now["allocated_cents"], now["committed_cents"], now["paid_cents"], now["remaining_cents"]) == (
        5_000_000, 800_000, 0, 4_200_000)
    assert now["remaining"] == "42000.00"
    items = client.get("/api/v1/mdf/requests", headers=bearer(token)).get_json()["items"]
    assert [i["partner_id"] for i in items] == [partner.id]


def test_a_partner_creates_a_request_by_api_under_the_same_rules(client, db):
    _partner, _other, token = people(db)
    today = utcnow().date().isoformat()
    body = {"activity": "webinar", "title": "Webinar", "description": "For engineers.", "starts_on": today,
            "ends_on": today, "amount": "42000.01"}
    response = client.post("/api/v1/mdf/requests", json=body, headers=bearer(token))
    assert_json_error(response, 422)
    assert "amount" in response.get_json()["error"]["fields"]
    response = client.post("/api/v1/mdf/requests", json={**body, "amount": "42000.00"}, headers=bearer(token))
    assert response.status_code == 201 and response.get_json()["requested_cents"] == 4_200_000
    assert db.session.scalar(select(func.count()).select_from(MdfRequest).where(MdfRequest.title == "Webinar")) == 1


def test_another_partners_budgets_are_404_by_api(client, db):
    _partner, other, _token = people(db)
    manager = factories.vendor(Role.CHANNEL_MANAGER)
    secret = accounts.create_api_token(manager, "x")[1]
    assert_json_error(client.get(f"/api/v1/mdf/budgets?partner_id={other.id}", headers=bearer(secret)), 404)


def test_the_openapi_document_describes_the_mdf_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    validate(spec)
    assert {"get", "post"} <= set(spec["paths"]["/mdf/requests"]) and "/mdf/budgets" in spec["paths"]
