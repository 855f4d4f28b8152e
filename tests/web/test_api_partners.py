"""/api/v1 partner lifecycle: partners (admins), applications (public twin of the page, rate-limited), tiers."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate
from sqlalchemy import func, select

from portal.accounts import service as accounts
from portal.core.permissions import Role
from portal.partners.models import Application
from tests import factories
from tests.web.test_api import assert_json_error, bearer
from tests.web.test_applications import application_form


@pytest.fixture
def admin_token(db):
    admin = factories.vendor()
    return accounts.create_api_token(admin, "CRM")[1]


def test_admins_list_and_get_partners_with_tier_and_agreement(client, db, admin_token):
    gold = factories.TierFactory(name="Gold", rank=2)
    partner = factories.PartnerFactory(name="Api Partner", tier_id=gold.id, website="https://api.example",
                                       country="Japan")
    factories.AgreementFactory(partner=partner, annual_target_cents=123_456_789)
    factories.PartnerFactory(name="Zeta Other", status="suspended", status_reason="x")
    response = client.get("/api/v1/partners?status=active", headers=bearer(admin_token))
    assert response.status_code == 200
    body = response.get_json()
    assert [p["name"] for p in body["items"]] == ["Api Partner"]
    assert body["items"][0]["tier"] == "Gold" and body["items"][0]["agreement"] is None
    detail = client.get(f"/api/v1/partners/{partner.id}", headers=bearer(admin_token)).get_json()
    assert detail["country"] == "Japan"
    assert detail["agreement"]["annual_target"] == "1234567.89"
    assert detail["agreement"]["annual_target_cents"] == 123_456_789
    assert_json_error(client.get("/api/v1/partners/999999", headers=bearer(admin_token)), 404)


def test_partner_users_and_managers_may_not_list_partners_by_api(client, db):
    for user in (factories.partner_user(role=Role.PARTNER_ADMIN), factories.vendor(Role.CHANNEL_MANAGER)):
        secret = accounts.create_api_token(user, "x")[1]
        assert_json_error(client.get("/api/v1/partners", headers=bearer(secret)), 403)


def test_tiers_are_listed_with_their_requirements(client, db):
    factories.TierFactory(name="Silver", rank=1, discount_bp=500, min_revenue_cents=10_000_000, min_certified=1)
    user = factories.partner_user()
    secret = accounts.create_api_token(user, "x")[1]
    items = client.get("/api/v1/tiers", headers=bearer(secret)).get_json()["items"]
    silver = next(t for t in items if t["name"] == "Silver")
    assert (silver["discount_percent"], silver["min_revenue"], silver["min_certified"]) == ("5.00", "100000.00", 1)


def test_anyone_applies_by_api_without_a_token(client, db, run_jobs, outbox):
    response = client.post("/api/v1/applications", json=application_form())
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "new" and body["number"].startswith("APP-") and body["possible_duplicate"] is False
    run_jobs()
    assert [m["To"] for m in outbox()] == ["ines@acme-networks.example"]
    again = client.post("/api/v1/applications", json=application_form(company="Acme Again"))
    assert again.get_json()["possible_duplicate"] is True  # the same domain as the first


def test_a_bad_application_by_api_is_422_with_every_field(client, db):
    response = client.post("/api/v1/applications", json=application_form(company="", region="MARS",
                                                                          motivation="x" * 4001))
    error = assert_json_error(response, 422)
    assert set(error["fields"]) == {"company", "region", "motivation"}
    response = client.post("/api/v1/applications", json=application_form(motivation="x\x00"))
    assert set(assert_json_error(response, 422)["fields"]) == {"motivation"}
    response = client.post("/api/v1/applications", json={**application_form(), "is_admin": True})
    assert_json_error(response, 422)
    assert db.session.scalar(select(func.count()).select_from(Application)) == 0


def test_applications_by_api_are_rate_limited(client, app, db):
    limit = int(app.config["APPLY_LIMIT_PER_IP"].split()[0])
    for i in range(limit):
        assert client.post("/api/v1/applications", json=application_form(company=f"C {i}")).status_code == 201
    assert_json_error(client.post("/api/v1/applications", json=application_form()), 429)


def test_the_openapi_document_describes_the_lifecycle_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    validate(spec)
    assert spec["paths"]["/applications"]["post"]["security"] == []
    assert "401" not in spec["paths"]["/applications"]["post"]["responses"]
    assert spec["paths"]["/partners"]["get"]["security"] == [{"bearer": []}]
    assert {"/partners", "/partners/{partner_id}", "/tiers"} <= set(spec["paths"])
