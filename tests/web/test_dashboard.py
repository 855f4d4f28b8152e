"""The first screen after sign-in says what to do next, per role: a partner sees their open orders with
status and tracking, their cart, "reorder last" and their tier; a channel manager the orders and returns
waiting for them, oldest first with their age (their partners only); an admin the same plus invitations
not accepted yet and suspended partners."""

from __future__ import annotations

import re
import uuid

import pytest

from portal.catalogue.models import Tier
from portal.core.permissions import Role
from portal.core.time import utcnow
from portal.orders.models import CartLine, ReturnRequest
from tests import factories
from tests.web.test_order_queue import make_order, product

EN = {"Accept-Language": "en"}


def _panel(html: str, heading_id: str) -> str:
    found = re.search(rf'<article class="panel" aria-labelledby="{heading_id}">.*?</article>', html, re.S)
    return found.group(0) if found else ""


def _home(client) -> str:
    response = client.get("/", headers=EN)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_partner_sees_open_orders_with_tracking_cart_reorder_and_tier(client, login, db):
    tier = Tier(name=f"Gold {uuid.uuid4().hex[:4]}", rank=2, discount_bp=1250)
    db.session.add(tier)
    db.session.flush()
    company = factories.PartnerFactory(tier_id=tier.id)
    ben, anna = factories.partner_user(company), factories.partner_user(company, Role.PARTNER_ADMIN)
    item = product(db, 50)
    shipped = make_order(db, anna, [(item, 2)], status="shipped", hours_ago=30)
    shipped.carrier, shipped.tracking_number = "DHL", "JD0146000"
    waiting = make_order(db, ben, [(item, 1)], hours_ago=2)
    done = make_order(db, ben, [(item, 1)], status="delivered", hours_ago=1)
    other = make_order(db, factories.partner_user(factories.PartnerFactory()), [(item, 1)])
    db.session.add(CartLine(user_id=ben.id, product_id=item.id, quantity=3))
    db.session.flush()
    login(ben)
    panel = _panel(_home(client), "panel-orders")
    assert shipped.number in panel and waiting.number in panel
    assert "DHL tracking JD0146000" in panel
    assert done.number not in panel.split("Reorder")[0]  # delivered: not open
    assert other.number not in panel
    assert "Your cart: 1 line" in panel
    assert f"Tier {tier.name}: 12.5 % off list prices" in panel
    assert f'action="/orders/{done.id}/reorder"' in panel and f"Reorder {done.number}" in panel
    assert _panel(_home(client), "panel-queue") == "" and _panel(_home(client), "panel-attention") == ""


def test_a_partner_without_orders_is_told_so(client, login, db):
    login(factories.partner_user(factories.PartnerFactory()))
    panel = _panel(_home(client), "panel-orders")
    assert "No open orders." in panel and "Your cart: 0 lines" in panel and "/reorder" not in panel


def test_a_manager_sees_their_partners_waiting_orders_and_returns_oldest_first_with_age(client, login, db):
    manager = factories.vendor(Role.CHANNEL_MANAGER)
    mine = factories.PartnerFactory(channel_manager_id=manager.id)
    theirs = factories.PartnerFactory()
    buyer, stranger = factories.partner_user(mine), factories.partner_user(theirs)
    item = product(db, 50)
    newer = make_order(db, buyer, [(item, 1)], hours_ago=3)
    older = make_order(db, buyer, [(item, 1)], hours_ago=50)
    hidden = make_order(db, stranger, [(item, 1)], hours_ago=90)
    delivered = make_order(db, buyer, [(item, 1)], status="delivered", hours_ago=80)
    returned = ReturnRequest(order_id=delivered.id, partner_id=mine.id, requested_by=buyer.id, reason="Broken",
                             status="requested", created_at=utcnow())
    db.session.add(returned)
    db.session.flush()
    returned.number = f"RET-T{returned.id}"
    db.session.flush()
    login(manager)
    panel = _panel(_home(client), "panel-queue")
    assert "2 orders wait for approval" in panel and "1 return waits for a decision" in panel
    assert panel.index(older.number) < panel.index(newer.number)
    assert hidden.number not in panel
    assert re.search(rf"{older.number}</a>.*waiting 2 d 2 h", panel, re.S)
    assert returned.number in panel and delivered.number in panel
    assert _panel(_home(client), "panel-orders") == "" and _panel(_home(client), "panel-attention") == ""


def test_an_admin_also_sees_pending_invitations_and_suspended_partners(client, login, db):
    admin = factories.vendor(Role.ADMIN)
    frozen = factories.PartnerFactory(status="suspended", status_reason="Unpaid invoices")
    factories.UserFactory(name="Not Yet", email=f"notyet-{uuid.uuid4().hex[:6]}@x.test", password_hash=None,
                          partner=frozen, role=Role.PARTNER_USER)
    login(admin)
    html = _home(client)
    attention = _panel(html, "panel-attention")
    assert "Not Yet" in attention and "invitation not accepted yet" in attention
    assert frozen.name in attention and "Unpaid invoices" in attention
    assert _panel(html, "panel-queue") != ""


@pytest.mark.parametrize("role", [Role.TRAINER, Role.PARTNER_USER])
def test_people_who_do_not_review_orders_see_no_queue_panel(client, login, db, role):
    user = factories.vendor(role) if role == Role.TRAINER else factories.partner_user(factories.PartnerFactory())
    login(user)
    html = _home(client)
    assert _panel(html, "panel-queue") == "" and _panel(html, "panel-attention") == ""


def test_the_dashboard_needs_few_queries(client, login, db, count_queries):
    manager = factories.vendor(Role.ADMIN)
    partner = factories.PartnerFactory()
    buyer = factories.partner_user(partner)
    item = product(db, 500)
    for hours in range(1, 12):
        make_order(db, buyer, [(item, 1)], hours_ago=hours)
    login(manager)
    client.get("/", headers=EN)
    with count_queries() as admin_page:
        _home(client)
    login(buyer)
    with count_queries() as partner_page:
        _home(client)
    # enablement's panels: +3 for an admin (course figures, expiring certificates, announcements), +4 for a
    # partner (courses in progress, own certificates, announcements, and the tier panel's certified people);
    # deals: +1 each (the deal review panel, the deals panel); MDF: +1 each (the MDF panel)
    assert admin_page.count <= 15, admin_page.statements
    assert partner_page.count <= 16, partner_page.statements
