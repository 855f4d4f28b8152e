"""Exit: suspend (its people sign in read-only: no orders), terminate (no sign-in; records kept), reactivate —
from the partner page, with a reason, audited and told to the partner's people."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.catalogue.models import Category, Product
from portal.core.audit import AuditEntry
from portal.core.permissions import Role
from portal.core.time import utcnow
from portal.orders.models import CartLine, Order
from tests import factories

pytestmark = pytest.mark.pg


@pytest.fixture
def world(db):
    partner = factories.PartnerFactory(name="Exit Test Ltd")
    member = factories.partner_user(partner, role=Role.PARTNER_ADMIN)
    category = Category(name="Exit category")
    db.session.add(category)
    db.session.flush()
    product = Product(sku="EXIT-1", name="Exit product", description="", category_id=category.id,
                      list_price_cents=1000, currency="USD", unit="each", stock_on_hand=10, min_order_qty=1)
    db.session.add(product)
    db.session.flush()
    db.session.add(CartLine(user_id=member.id, product_id=product.id, quantity=1))
    admin = factories.vendor(name="Ada Admin")
    db.session.commit()
    return {"partner": partner, "member": member, "admin": admin}


def checkout_form() -> dict:
    return {"idempotency_key": "0e0e0e0e-1111-4a55-9a7c-1d2e3f4a5b6c", "po_number": "PO-EXIT",
            "requested_date": (utcnow().date() + timedelta(days=3)).isoformat(), "notes": "",
            "address_id": "new", "label": "HQ", "lines": "1 Road", "city": "Town", "postcode": "1", "country": "NL"}


def set_status(client, partner, status: str, reason: str = ""):
    return client.post(f"/partners/{partner.id}/status", data={"status": status, "status_reason": reason})


def test_suspending_needs_a_reason(client, db, login, world):
    login(world["admin"])
    response = set_status(client, world["partner"], "suspended", "  ")
    assert response.status_code == 422
    assert 'id="status_reason-error">Give a reason for suspending or terminating the partner.' in \
        response.get_data(as_text=True)
    db.session.refresh(world["partner"])
    assert world["partner"].status == "active"


def test_a_suspended_partners_people_sign_in_read_only(client, db, login, world, run_jobs, outbox):
    login(world["admin"])
    assert set_status(client, world["partner"], "suspended", "Overdue invoices").status_code == 303
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "partner.updated"))
    assert entry.after == {"status": "suspended", "status_reason": "Overdue invoices"}
    run_jobs()
    assert [m["To"] for m in outbox()] == [world["member"].email]
    client.post("/logout")
    login(world["member"])
    assert client.get("/orders/").status_code == 200
    assert "Suspended: the portal is read-only for now." in client.get("/partnership").get_data(as_text=True)
    response = client.post("/checkout", data=checkout_form())
    assert response.status_code == 403
    assert "is suspended: you can see your orders and documents" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0


def test_a_reactivated_partner_orders_again(client, db, login, world):
    world["partner"].status, world["partner"].status_reason = "suspended", "Overdue invoices"
    db.session.commit()
    login(world["admin"])
    assert set_status(client, world["partner"], "active").status_code == 303
    db.session.refresh(world["partner"])
    assert (world["partner"].status, world["partner"].status_reason) == ("active", "")
    client.post("/logout")
    login(world["member"])
    assert client.post("/checkout", data=checkout_form()).status_code == 303


def test_a_terminated_partners_people_can_no_longer_sign_in_and_its_records_stay(client, db, login, world):
    login(world["admin"])
    assert set_status(client, world["partner"], "terminated", "Contract ended").status_code == 303
    client.post("/logout")
    response = client.post("/login", data={"email": world["member"].email, "password": factories.PASSWORD})
    assert response.status_code == 422
    login(world["admin"])
    html = client.get(f"/partners/{world['partner'].id}").get_data(as_text=True)
    assert "Terminated" in html and "Contract ended" in html and world["member"].email in html


def test_terminating_from_the_partner_page_releases_its_open_deal_registrations_and_keeps_closed_ones(
        client, db, login, world):
    from portal.deals.models import Deal

    submitted = factories.deal(world["member"], "Open Customer", "open.example")
    protected = factories.deal(world["member"], "Protected Customer", "protected.example", protection_days=30)
    won = factories.deal(world["member"], "Won Customer", "won.example", status="won")
    db.session.commit()
    login(world["admin"])
    assert set_status(client, world["partner"], "terminated", "Contract ended").status_code == 303
    db.session.expire_all()
    assert [db.session.get(Deal, d.id).status for d in (submitted, protected, won)] == ["released", "released", "won"]
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.partner_id == world["partner"].id,
                                                                     AuditEntry.action == "deal.released")) == 2
    html = client.get(f"/partners/{world['partner'].id}").get_data(as_text=True)
    assert html.count("Released</li>") == 2  # the partner page's recent deal registrations


def test_only_admins_change_a_partners_status(client, db, login, world):
    manager = factories.vendor(Role.CHANNEL_MANAGER)
    world["partner"].channel_manager_id = manager.id
    db.session.commit()
    login(manager)
    assert set_status(client, world["partner"], "suspended", "No").status_code == 403
    assert "Suspend, terminate or reactivate" not in client.get(f"/partners/{world['partner'].id}").get_data(
        as_text=True)
