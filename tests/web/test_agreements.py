"""The partner page and its agreements: start, end, annual target, signed document, exit terms; agreements
ending within 60 days are flagged; a renewal keeps the history."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.core.audit import AuditEntry
from portal.core.permissions import Role
from portal.core.time import utcnow
from portal.partners.models import Agreement
from tests import factories

CONTROL = "Remove the control characters from this text: only tabs and line breaks are allowed."

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def today():
    return utcnow().date()


def agreement_form(**changes) -> dict:
    data = {"starts_on": today().isoformat(), "ends_on": (today() + timedelta(days=364)).isoformat(),
            "annual_target": "1,200,000.00", "exit_terms": "Either side may end it with 90 days' notice."}
    data.update(changes)
    return data


@pytest.fixture
def partner(db):
    manager = factories.vendor(Role.CHANNEL_MANAGER, name="Max Manager")
    partner = factories.PartnerFactory(name="Northwind Test", channel_manager_id=manager.id)
    factories.partner_user(partner, role=Role.PARTNER_ADMIN, name="Anna Admin")
    db.session.commit()
    return partner


def test_admin_adds_an_agreement_and_the_partner_page_shows_it(client, db, admin, partner):
    response = client.post(f"/partners/{partner.id}/agreements/new", data=agreement_form())
    assert response.status_code == 303
    agreement = db.session.scalar(select(Agreement))
    assert (agreement.annual_target_cents, agreement.starts_on) == (120_000_000, today())
    html = client.get(f"/partners/{partner.id}").get_data(as_text=True)
    assert "$1,200,000.00" in html and "90 days&#39; notice" in html and "Active" in html
    assert "Max Manager" in html and "Anna Admin" in html  # channel manager, people
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "agreement.created"))
    assert entry.partner_id == partner.id and entry.after["annual_target_cents"] == 120_000_000


@pytest.mark.parametrize(("field", "value", "message"), [
    ("starts_on", "9999-12-31", "Enter a date between 2000-01-01 and 2099-12-31."),
    ("starts_on", "2026-02-30", "Enter a date, such as"),
    ("ends_on", "", "Enter a date, such as"),
    ("annual_target", "1e9", "Enter an amount such as 1,200,000.00."),
    ("annual_target", "99999999999999999", "That amount is too large."),
    ("annual_target", "-1", "The amount cannot be negative."),
    ("exit_terms", "ninety\x0bdays", CONTROL),
    ("exit_terms", "x" * 4001, "At most 4000 characters."),
])
def test_bad_agreement_input_is_422_next_to_the_field(client, db, admin, partner, field, value, message):
    response = client.post(f"/partners/{partner.id}/agreements/new", data=agreement_form(**{field: value}))
    assert response.status_code == 422
    assert f'id="{field}-error">{message}' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Agreement)) == 0


def test_the_end_must_follow_the_start_and_agreements_do_not_overlap(client, db, admin, partner):
    response = client.post(f"/partners/{partner.id}/agreements/new",
                           data=agreement_form(ends_on=today().isoformat()))
    assert 'id="ends_on-error">The end must be after the start.' in response.get_data(as_text=True)
    client.post(f"/partners/{partner.id}/agreements/new", data=agreement_form())
    response = client.post(f"/partners/{partner.id}/agreements/new", data=agreement_form(
        starts_on=(today() + timedelta(days=100)).isoformat(), ends_on=(today() + timedelta(days=500)).isoformat()))
    assert response.status_code == 422
    assert 'id="starts_on-error">Overlaps the agreement from' in response.get_data(as_text=True)


def test_an_agreement_ending_within_60_days_is_flagged_on_the_page_and_the_dashboard(client, db, login, partner):
    factories.AgreementFactory(partner=partner, starts_on=today() - timedelta(days=300),
                               ends_on=today() + timedelta(days=60))
    later = factories.PartnerFactory(name="Later Ltd")
    factories.AgreementFactory(partner=later, ends_on=today() + timedelta(days=61))
    manager = db.session.get(User, partner.channel_manager_id)
    db.session.commit()
    login(manager)
    assert "Ends within 60 days" in client.get(f"/partners/{partner.id}").get_data(as_text=True)
    dashboard = client.get("/").get_data(as_text=True)
    assert "1 agreement ends within 60 days" in dashboard and "Northwind Test" in dashboard
    assert "Later Ltd" not in dashboard


def test_renewal_creates_a_new_agreement_and_keeps_the_old_one(client, db, admin, partner):
    old = factories.AgreementFactory(partner=partner, starts_on=today() - timedelta(days=340),
                                     ends_on=today() + timedelta(days=25), annual_target_cents=100_000_000)
    db.session.commit()
    page = client.get(f"/partners/{partner.id}/agreements/{old.id}/renew").get_data(as_text=True)
    assert (today() + timedelta(days=26)).isoformat() in page and "1000000.00" in page  # the next period
    response = client.post(f"/partners/{partner.id}/agreements/{old.id}/renew", data=agreement_form(
        starts_on=(today() + timedelta(days=26)).isoformat(), ends_on=(today() + timedelta(days=390)).isoformat(),
        annual_target="1,500,000"))
    assert response.status_code == 303
    new = db.session.scalar(select(Agreement).where(Agreement.id != old.id))
    db.session.refresh(old)
    assert (old.renewed, new.previous_id, new.annual_target_cents) == (True, old.id, 150_000_000)
    html = client.get(f"/partners/{partner.id}").get_data(as_text=True)
    assert "Agreement history" in html and "Renewed" in html and "Ends within 60 days" not in html
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "agreement.renewed"))
    assert client.post(f"/partners/{partner.id}/agreements/{old.id}/renew", data=agreement_form(
        starts_on=(today() + timedelta(days=400)).isoformat(),
        ends_on=(today() + timedelta(days=700)).isoformat())).status_code == 409


def test_the_signed_document_is_stored_outside_static_and_downloaded_by_those_who_see_the_partner(
        client, app, db, admin, partner, login):
    agreement = factories.AgreementFactory(partner=partner)
    db.session.commit()
    response = client.post(f"/partners/{partner.id}/agreements/{agreement.id}/document",
                           data={"document": (io.BytesIO(PDF), "Signed contract.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    db.session.refresh(agreement)
    assert agreement.document_name == "Signed contract.pdf"
    from portal.catalogue import files

    with app.test_request_context():
        path = files.path_for(agreement.document_key)
    assert path.read_bytes() == PDF and "static" not in str(path)
    download = client.get(f"/partners/{partner.id}/agreements/{agreement.id}/document", buffered=True)
    assert download.status_code == 200 and download.data == PDF
    assert "attachment" in download.headers["Content-Disposition"]
    client.post("/logout")
    own = db.session.scalar(select(User).where(User.partner_id == partner.id))
    login(own)
    assert client.get(f"/partnership/agreements/{agreement.id}/document", buffered=True).data == PDF
    other = factories.PartnerFactory()
    stranger = factories.partner_user(other)
    db.session.commit()
    client.post("/logout")
    login(stranger)
    assert client.get(f"/partnership/agreements/{agreement.id}/document").status_code == 404


def test_a_document_that_is_not_a_pdf_is_refused(client, db, admin, partner):
    agreement = factories.AgreementFactory(partner=partner)
    db.session.commit()
    response = client.post(f"/partners/{partner.id}/agreements/{agreement.id}/document",
                           data={"document": (io.BytesIO(b"<html>not a pdf"), "contract.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert 'id="document-error">Upload a PDF file.' in response.get_data(as_text=True)
    db.session.refresh(agreement)
    assert agreement.document_key is None


def test_another_managers_partner_and_its_agreements_are_404(client, db, login, partner):
    agreement = factories.AgreementFactory(partner=partner)
    other_manager = factories.vendor(Role.CHANNEL_MANAGER)
    db.session.commit()
    login(other_manager)
    assert client.get(f"/partners/{partner.id}").status_code == 404
    assert client.get(f"/partners/{partner.id}/agreements/{agreement.id}/document").status_code == 404


def test_a_channel_manager_reads_agreements_but_does_not_write_them(client, db, login, partner):
    agreement = factories.AgreementFactory(partner=partner)
    manager = db.session.get(User, partner.channel_manager_id)
    db.session.commit()
    login(manager)
    html = client.get(f"/partners/{partner.id}").get_data(as_text=True)
    assert "$1,000,000.00" in html and "Renew" not in html
    assert client.post(f"/partners/{partner.id}/agreements/{agreement.id}/renew",
                       data=agreement_form()).status_code == 403
