"""/api/v1/deals: a partner registers and works its deals over the API and never reads conflict detail; admins
and channel managers read a registration with its ``conflicts``; another partner's deal is a 404."""

from __future__ import annotations

from datetime import timedelta

import pytest
from openapi_spec_validator import validate
from sqlalchemy import select

from portal.accounts import service as accounts
from portal.core.permissions import Role
from portal.core.time import utcnow
from portal.deals.models import Deal
from tests import factories
from tests.web.test_api import assert_json_error, bearer


def token_for(user) -> dict[str, str]:
    from portal.extensions import db

    _row, secret = accounts.create_api_token(user, "CRM")
    db.session.commit()  # an error answer rolls the request's session back
    return bearer(secret) | {"Accept-Language": "en"}


@pytest.fixture
def world(db):
    manager = factories.vendor(Role.CHANNEL_MANAGER, name="Mia Manager")
    first = factories.PartnerFactory(name="First Channel Ltd", channel_manager=manager)
    second = factories.PartnerFactory(name="Second Channel Ltd")
    factories.ProductFactory(sku="ROBO-ARM", name="Robot arm")
    world = {"manager": manager, "admin": factories.vendor(name="Ada Admin"),
             "me": factories.partner_user(first, name="Fay First"),
             "rival": factories.partner_user(second, name="Rory Rival")}
    db.session.commit()
    return world


def body(**overrides) -> dict:
    return {"customer_name": "Acme Robotics GmbH", "customer_domain": "www.acme-robotics.de", "region": "DACH",
            "lines": [{"sku": "ROBO-ARM", "quantity": 2}], "estimated_value": "25000.00",
            "expected_close": (utcnow().date() + timedelta(days=30)).isoformat()} | overrides


def test_a_partner_registers_over_the_api_and_reads_no_conflict_detail(client, db, world):
    theirs = factories.deal(world["rival"], "ACME Robotics AG", "acme-robotics.de", days_ago=1)
    db.session.commit()
    headers = token_for(world["me"])
    response = client.post("/api/v1/deals", json=body(), headers=headers)
    assert response.status_code == 201
    created = response.get_json()
    assert created["status"] == "submitted" and created["estimated_value_cents"] == 2_500_000
    assert "conflicts" not in created and "had_conflict" not in created
    raw = response.get_data(as_text=True)
    assert "Second Channel" not in raw and theirs.number not in raw
    again = client.get(f"/api/v1/deals/{created['id']}", headers=headers).get_json()
    assert "conflicts" not in again and again["lines"][0]["sku"] == "ROBO-ARM"
    assert db.session.get(Deal, created["id"]).had_conflict


def test_the_manager_and_the_admin_read_the_conflicts_with_their_reasons(client, db, world):
    theirs = factories.deal(world["rival"], "ACME Robotics AG", "acme-robotics.de", days_ago=1)
    mine = factories.deal(world["me"], "Acme Robotics GmbH", "www.acme-robotics.de")
    db.session.commit()
    for who in ("manager", "admin"):
        got = client.get(f"/api/v1/deals/{mine.id}", headers=token_for(world[who])).get_json()
        assert got["conflicts"] == [{"id": theirs.id, "reason": "domain", "score": 100}], who


def test_another_partners_deal_is_404_over_the_api(client, db, world):
    theirs = factories.deal(world["rival"])
    db.session.commit()
    headers = token_for(world["me"])
    assert_json_error(client.get(f"/api/v1/deals/{theirs.id}", headers=headers), 404)
    assert_json_error(client.post(f"/api/v1/deals/{theirs.id}/withdraw", headers=headers), 404)
    listed = client.get("/api/v1/deals", headers=headers).get_json()
    assert listed["items"] == []


def test_list_extend_withdraw_won_and_lost_over_the_api(client, db, world):
    waiting = factories.deal(world["me"], "W Co", "w.com")
    protected = factories.deal(world["me"], "P Co", "p.com", protection_days=10)
    to_win = factories.deal(world["me"], "Win Co", "win.com", protection_days=10)
    db.session.commit()
    headers = token_for(world["me"])
    listed = client.get("/api/v1/deals?status=approved", headers=headers).get_json()
    assert {d["id"] for d in listed["items"]} == {protected.id, to_win.id}
    assert client.post(f"/api/v1/deals/{waiting.id}/withdraw", headers=headers).get_json()["status"] == "withdrawn"
    extended = client.post(f"/api/v1/deals/{protected.id}/extend", headers=headers).get_json()
    assert extended["extended"] is True
    assert_json_error(client.post(f"/api/v1/deals/{protected.id}/extend", headers=headers), 409)
    won = client.post(f"/api/v1/deals/{to_win.id}/won", json={"value": "1999.99",
                                                              "close_date": utcnow().date().isoformat()},
                      headers=headers).get_json()
    assert won["status"] == "won" and won["won_value_cents"] == 199_999
    lost = client.post(f"/api/v1/deals/{protected.id}/lost", json={"reason": "Budget cut"}, headers=headers)
    assert lost.get_json()["status"] == "lost"


def test_a_bad_registration_is_422_with_field_messages_and_writes_nothing(client, db, world):
    response = client.post("/api/v1/deals", json=body(company_id="91350100M000100Y44",
                                                      lines=[{"sku": "NOPE", "quantity": 1}]),
                           headers=token_for(world["me"]))
    error = assert_json_error(response, 422)
    assert set(error["fields"]) >= {"company_id", "sku_1"}
    assert db.session.scalar(select(Deal.id)) is None


def test_vendor_tokens_cannot_register(client, db, world):
    assert_json_error(client.post("/api/v1/deals", json=body(), headers=token_for(world["manager"])), 403)


def test_the_openapi_document_describes_the_deal_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    validate(spec)
    assert {"get", "post"} <= set(spec["paths"]["/deals"])
    assert "404" in spec["paths"]["/deals/{deal_id}"]["get"]["responses"]  # another partner's deal
    for action in ("extend", "withdraw", "won", "lost"):
        assert "post" in spec["paths"][f"/deals/{{deal_id}}/{action}"]
    conflicts = spec["components"]["schemas"]["DealReviewOut"]["properties"]["conflicts"]
    assert "Admins and channel managers only" in conflicts["description"]
