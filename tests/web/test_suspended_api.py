"""A suspended partner is read-only over the API too (SPEC §2): registering a deal or requesting MDF answers 403
saying why, and writes nothing; reading still works."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.accounts import service as accounts
from portal.core.permissions import Role
from portal.core.time import utcnow
from portal.deals.models import Deal
from portal.mdf.models import MdfRequest
from portal.partners.models import PartnerStatus
from tests import factories
from tests.web.test_api import assert_json_error, bearer
from tests.web.test_api_deals import body as deal_body


def suspended_admin(db):
    partner = factories.PartnerFactory(name="Paused Trading")
    factories.ProductFactory(sku="ROBO-ARM", name="Robot arm")
    factories.mdf_budget(partner, 5_000_000)
    person = factories.partner_user(partner, role=Role.PARTNER_ADMIN)
    secret = accounts.create_api_token(person, "ERP")[1]
    partner.status, partner.status_reason = PartnerStatus.SUSPENDED, "Overdue invoices"
    db.session.commit()  # an error answer rolls the request's session back
    return bearer(secret) | {"Accept-Language": "en"}


def test_a_suspended_partner_cannot_register_a_deal_by_api_but_still_lists_its_deals(client, db):
    headers = suspended_admin(db)
    response = client.post("/api/v1/deals", json=deal_body(), headers=headers)
    assert_json_error(response, 403)
    assert "Paused Trading is suspended" in response.get_json()["error"]["message"]
    assert db.session.scalar(select(func.count()).select_from(Deal)) == 0
    assert client.get("/api/v1/deals", headers=headers).status_code == 200


def test_a_suspended_partner_cannot_request_mdf_by_api_but_still_reads_its_budgets(client, db):
    headers = suspended_admin(db)
    today = utcnow().date().isoformat()
    response = client.post("/api/v1/mdf/requests", headers=headers, json={
        "activity": "webinar", "title": "Webinar", "description": "For engineers.", "starts_on": today,
        "ends_on": today, "amount": "100.00"})
    assert_json_error(response, 403)
    assert "Overdue invoices" in response.get_json()["error"]["message"]
    assert db.session.scalar(select(func.count()).select_from(MdfRequest)) == 0
    assert client.get("/api/v1/mdf/budgets", headers=headers).status_code == 200
