"""Partner records: admins create and edit; channel managers see their own; partners see none."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.core.audit import AuditEntry
from portal.core.permissions import Role
from portal.partners.models import Partner
from tests import factories


def partner_form(**changes) -> dict:
    data = {"name": "Acme Distribution", "type": "distributor", "region": "APAC", "status": "active",
            "status_reason": "", "channel_manager_id": ""}
    data.update(changes)
    return data


def form_data(partner: Partner, **changes) -> dict:
    """The edit form as the browser sends it, with ``changes`` made by the user."""
    current = {"name": partner.name, "type": partner.type, "region": partner.region, "status": partner.status,
               "status_reason": partner.status_reason, "channel_manager_id": partner.channel_manager_id or "",
               "tier_id": partner.tier_id or ""}
    return partner_form(**{**current, **changes})


def audit_entries(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


@pytest.fixture
def admin(login, db):
    user = factories.vendor()
    db.session.commit()  # an error page rolls the session back: keep the signed-in admin
    login(user)
    return user


# --- admin: create and edit ------------------------------------------------------------------

def test_admin_creates_a_partner(client, db, admin):
    manager = factories.vendor(Role.CHANNEL_MANAGER, name="Max Manager")
    response = client.post("/partners/new", data=partner_form(channel_manager_id=manager.id))
    assert response.status_code == 303
    partner = db.session.scalar(select(Partner).where(Partner.name == "Acme Distribution"))
    assert response.headers["Location"] == f"/partners/{partner.id}"
    assert (partner.type, partner.region, partner.status, partner.channel_manager_id) == (
        "distributor", "APAC", "active", manager.id)
    page = client.get(f"/partners/{partner.id}").get_data(as_text=True)
    assert "Acme Distribution" in page and "Max Manager" in page and "Partner Acme Distribution saved." in page

    [entry] = audit_entries(db, "partner.created")
    assert (entry.actor_id, entry.entity_id, entry.partner_id) == (admin.id, partner.id, partner.id)
    assert entry.after["name"] == "Acme Distribution" and entry.after["channel_manager_id"] == manager.id


def test_new_partner_form_offers_only_active_channel_managers(client, admin):
    factories.vendor(Role.CHANNEL_MANAGER, name="Carla Current")
    factories.vendor(Role.CHANNEL_MANAGER, name="Gus Gone", active=False)
    factories.vendor(Role.TRAINER, name="Tina Trainer")
    html = client.get("/partners/new").get_data(as_text=True)
    assert "Carla Current" in html
    assert "Gus Gone" not in html and "Tina Trainer" not in html


def test_missing_fields_are_422_next_to_the_fields(client, db, admin):
    response = client.post("/partners/new", data=partner_form(name="", region="", type="spaceship"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="name-error">Enter the company name.' in html
    assert 'id="region-error">Enter a region.' in html
    assert 'id="type-error"' in html
    assert db.session.scalar(select(Partner)) is None


def test_duplicate_partner_name_is_422(client, db, admin):
    factories.PartnerFactory(name="Acme Distribution")
    response = client.post("/partners/new", data=partner_form())
    assert response.status_code == 422
    assert 'id="name-error">A partner with this name already exists.' in response.get_data(as_text=True)


def test_channel_manager_field_accepts_only_a_channel_manager(client, admin):
    trainer = factories.vendor(Role.TRAINER)
    response = client.post("/partners/new", data=partner_form(channel_manager_id=trainer.id))
    assert response.status_code == 422
    assert 'id="channel_manager_id-error">Choose an active channel manager.' in response.get_data(as_text=True)


@pytest.mark.parametrize("status", ["suspended", "terminated"])
def test_suspending_or_terminating_needs_a_reason(client, db, admin, status):
    partner = factories.PartnerFactory()
    response = client.post(f"/partners/{partner.id}/edit", data=form_data(partner, status=status,
                                                                         status_reason="  "))
    assert response.status_code == 422
    assert ('id="status_reason-error">Give a reason for suspending or terminating the partner.'
            in response.get_data(as_text=True))
    db.session.refresh(partner)
    assert partner.status == "active"


def test_suspension_with_a_reason_is_saved_and_audited(client, db, admin):
    partner = factories.PartnerFactory(region="EMEA")
    response = client.post(f"/partners/{partner.id}/edit",
                           data=form_data(partner, status="suspended", status_reason="Unpaid invoices"))
    assert response.status_code == 303
    db.session.refresh(partner)
    assert (partner.status, partner.status_reason) == ("suspended", "Unpaid invoices")
    assert "Unpaid invoices" in client.get(f"/partners/{partner.id}").get_data(as_text=True)
    [entry] = audit_entries(db, "partner.updated")
    assert entry.before == {"status": "active", "status_reason": ""}
    assert entry.after == {"status": "suspended", "status_reason": "Unpaid invoices"}


def test_reactivating_a_partner_clears_the_reason(client, db, admin):
    partner = factories.PartnerFactory(status="suspended", status_reason="Unpaid invoices")
    client.post(f"/partners/{partner.id}/edit", data=form_data(partner, status="active"))
    db.session.refresh(partner)
    assert (partner.status, partner.status_reason) == ("active", "")


def test_edit_form_shows_the_current_values(client, admin):
    partner = factories.PartnerFactory(name="Shown Ltd", region="LATAM")
    html = client.get(f"/partners/{partner.id}/edit").get_data(as_text=True)
    assert 'value="Shown Ltd"' in html and 'value="LATAM"' in html


def test_terminating_a_partner_signs_its_users_out(app, client, db, admin):
    partner = factories.PartnerFactory()
    member = factories.partner_user(partner)
    member_client = app.test_client()
    member_client.post("/login", data={"email": member.email, "password": factories.PASSWORD})
    assert member_client.get("/").status_code == 200
    response = client.post(f"/partners/{partner.id}/edit",
                           data=form_data(partner, status="terminated", status_reason="Contract ended"))
    assert response.status_code == 303
    assert member_client.get("/").status_code == 302


def test_unknown_partner_is_404(client, db, admin):
    assert client.get("/partners/999999").status_code == 404
    assert client.get("/partners/999999/edit").status_code == 404


def test_htmx_filter_answers_the_results_fragment(client, admin):
    factories.PartnerFactory(name="Northwind Trading")
    factories.PartnerFactory(name="Eastwind Ltd")
    response = client.get("/partners/?q=north", headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="results">')
    assert "Northwind Trading" in html and "Eastwind Ltd" not in html
    assert "HX-Request" in response.headers["Vary"]


def test_htmx_form_errors_answer_the_form_fragment(client, admin):
    response = client.post("/partners/new", data=partner_form(name=""), headers={"HX-Request": "true"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<form id="partner-form"')
    assert "Enter the company name." in html


# --- who sees what ---------------------------------------------------------------------------

@pytest.mark.pg
def test_channel_manager_sees_only_assigned_partners(client, login, db):
    manager = factories.vendor(Role.CHANNEL_MANAGER)
    mine = factories.PartnerFactory(name="Mine Trading", channel_manager_id=manager.id)
    other = factories.PartnerFactory(name="Other Trading", channel_manager_id=factories.vendor(
        Role.CHANNEL_MANAGER).id)
    unassigned = factories.PartnerFactory(name="Lonely Trading")
    db.session.commit()  # error pages roll the session back
    login(manager)

    html = client.get("/partners/").get_data(as_text=True)
    assert "Mine Trading" in html
    assert "Other Trading" not in html and "Lonely Trading" not in html
    assert client.get(f"/partners/{mine.id}").status_code == 200
    assert client.get(f"/partners/{other.id}").status_code == 404
    assert client.get(f"/partners/{unassigned.id}").status_code == 404


@pytest.mark.pg
def test_channel_manager_cannot_create_or_edit_partners(client, login, db):
    manager = factories.vendor(Role.CHANNEL_MANAGER)
    mine = factories.PartnerFactory(name="Mine Trading", channel_manager_id=manager.id)
    db.session.commit()
    login(manager)
    assert client.get("/partners/new").status_code == 403
    assert client.post("/partners/new", data=partner_form()).status_code == 403
    assert client.post(f"/partners/{mine.id}/edit", data=form_data(mine, name="Renamed")).status_code == 403
    db.session.refresh(mine)
    assert mine.name == "Mine Trading"
    assert db.session.scalar(select(Partner).where(Partner.name == "Acme Distribution")) is None


@pytest.mark.pg
@pytest.mark.parametrize("role", [Role.PARTNER_ADMIN, Role.PARTNER_USER, Role.TRAINER])
def test_roles_without_partner_access_get_403(client, login, db, role):
    partner = factories.PartnerFactory()
    user = factories.vendor(role) if role.is_vendor else factories.partner_user(partner, role)
    db.session.commit()
    login(user)
    assert client.get("/partners/").status_code == 403
    assert client.get(f"/partners/{partner.id}").status_code == 403
    assert client.get("/partners/new").status_code == 403


def test_an_admin_sets_a_partners_tier_on_its_form_and_the_change_is_audited(client, admin, db):
    from portal.catalogue.models import Tier

    silver, gold = Tier(name="Silver T", rank=11, discount_bp=500), Tier(name="Gold T", rank=12, discount_bp=1000)
    db.session.add_all([silver, gold])
    partner = factories.PartnerFactory(tier_id=None)
    db.session.flush()
    partner.tier_id = silver.id
    db.session.commit()
    page = client.get(f"/partners/{partner.id}/edit").get_data(as_text=True)
    assert f'<option selected value="{silver.id}">Silver T</option>' in page or \
        f'<option value="{silver.id}" selected>Silver T</option>' in page
    response = client.post(f"/partners/{partner.id}/edit", data=form_data(partner, tier_id=gold.id))
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Partner, partner.id).tier_id == gold.id
    [entry] = audit_entries(db, "partner.updated")
    assert (entry.before["tier_id"], entry.after["tier_id"]) == (silver.id, gold.id)


def test_a_tier_that_does_not_exist_is_refused_next_to_the_field(client, admin, db):
    partner = factories.PartnerFactory()
    db.session.commit()
    response = client.post(f"/partners/{partner.id}/edit", data=form_data(partner, tier_id=987654))
    assert response.status_code == 422
    assert 'id="tier_id-error">Choose one of the tiers.' in response.get_data(as_text=True)


@pytest.mark.pg
def test_the_partner_page_shows_its_recent_orders_deal_registrations_and_certificates(client, login, db):
    manager = factories.vendor(Role.CHANNEL_MANAGER, name="Mia Manager")
    partner = factories.PartnerFactory(name="Busy Trading", channel_manager_id=manager.id)
    seller = factories.partner_user(partner, name="Sam Seller")
    order = factories.order_with_line(seller)
    deal = factories.deal(seller, "Globex Corp", "globex.example")
    cert = factories.certification([factories.course()], name="Router Associate")
    factories.certificate(seller, cert)
    stranger = factories.partner_user(name="Stan Stranger")
    factories.deal(stranger, "Other Customer", "other.example")
    factories.certificate(stranger, cert)
    db.session.commit()
    login(manager)
    html = client.get(f"/partners/{partner.id}").get_data(as_text=True)
    activity = html.split('id="activity"', 1)[1].split("</section>", 1)[0]
    assert order.number in activity
    assert f'href="/deal-review/{deal.id}">{deal.number}</a> · Globex Corp' in activity
    assert "Sam Seller · Router Associate · Valid · until " in activity
    assert "Other Customer" not in activity and "Stan Stranger" not in activity
