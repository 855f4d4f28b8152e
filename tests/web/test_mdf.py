"""Market development funds: a partner admin requests funds within the quarter's budget, the channel manager
approves (possibly less) or rejects with a reason, the partner claims with proof-of-performance files, the
claim is approved (≤ approved) and paid; both sides see allocated / committed / paid / remaining; unclaimed
approvals lapse; every decision is audited and told; other partners' budgets, requests and files are 404."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.core.audit import AuditEntry
from portal.core.permissions import Role
from portal.core.time import utcnow
from portal.mdf import requests as mdf_requests
from portal.mdf.models import MdfBudget, MdfFile, MdfRequest
from portal.mdf.service import current_period
from portal.notifications.models import Notification
from tests import factories

EN = {"Accept-Language": "en"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def world(db):
    manager = factories.vendor(Role.CHANNEL_MANAGER, name="Max Manager")
    partner = factories.PartnerFactory(name="Northwind MDF", channel_manager_id=manager.id)
    anna = factories.partner_user(partner, role=Role.PARTNER_ADMIN, name="Anna Admin")
    ben = factories.partner_user(partner, role=Role.PARTNER_USER, name="Ben User")
    other_manager = factories.vendor(Role.CHANNEL_MANAGER, name="Olga Other")
    other = factories.PartnerFactory(name="Contoso MDF", channel_manager_id=other_manager.id)
    olive = factories.partner_user(other, role=Role.PARTNER_ADMIN, name="Olive Other")
    admin = factories.vendor(name="Ada Admin")
    budget = factories.mdf_budget(partner, 5_000_000)  # 50,000.00 this quarter
    factories.mdf_budget(other, 9_000_000)
    db.session.commit()
    return {"manager": manager, "partner": partner, "anna": anna, "ben": ben, "other_manager": other_manager,
            "other": other, "olive": olive, "admin": admin, "budget": budget}


def request_form(**overrides) -> dict[str, str]:
    today = utcnow().date().isoformat()
    return {"activity": "event", "title": "Spring expo booth", "description": "Booth and leaflets.",
            "starts_on": today, "ends_on": today, "amount": "20,000.00", **overrides}


def figures_of(db, partner) -> tuple[int, int, int, int]:
    from portal.mdf.service import figures

    f = figures([partner.id], [current_period()])[(partner.id, *current_period())][0]
    return f.allocated, f.committed, f.paid, f.remaining


def submitted(db, world, cents: int = 2_000_000) -> MdfRequest:
    row = factories.mdf_request(world["partner"], cents, created_by=world["anna"].id)
    db.session.commit()
    return row


def test_a_partner_admin_requests_funds_and_the_channel_manager_is_told(client, db, login, world):
    login(world["anna"])
    response = client.post("/mdf/requests/new", data=request_form(), headers=EN)
    assert response.status_code == 303
    row = db.session.scalar(select(MdfRequest))
    assert response.headers["Location"] == f"/mdf/requests/{row.id}"
    assert (row.status, row.requested_cents, row.partner_id) == ("submitted", 2_000_000, world["partner"].id)
    assert (row.year, row.quarter) == current_period()
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.user_id == world["manager"].id)) == 1
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.entity_id == row.id)) == "mdf.requested"
    # a waiting request reserves nothing
    assert figures_of(db, world["partner"]) == (5_000_000, 0, 0, 5_000_000)


def test_a_request_above_the_remaining_budget_is_refused_next_to_the_amount(client, db, login, world):
    factories.mdf_request(world["partner"], 4_000_000, status="approved", approved_cents=4_000_000)
    db.session.commit()
    login(world["anna"])
    response = client.post("/mdf/requests/new", data=request_form(amount="10,000.01"), headers=EN)
    assert response.status_code == 422
    assert 'id="amount-error">At most 10000.00 remains in the' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(MdfRequest)) == 1


def test_a_request_needs_a_budget_in_the_quarter_it_starts_in(client, db, login, world):
    login(world["anna"])
    later = (utcnow().date() + timedelta(days=400)).isoformat()
    response = client.post("/mdf/requests/new", data=request_form(starts_on=later, ends_on=later), headers=EN)
    assert response.status_code == 422
    assert "There is no MDF budget for" in response.get_data(as_text=True)


def test_every_bad_field_of_a_request_is_shown_at_once(client, db, login, world):
    login(world["anna"])
    response = client.post("/mdf/requests/new", data=request_form(activity="party", title="", amount="-5",
                                                                   ends_on="2000-01-01"), headers=EN)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for field in ("activity", "title", "amount", "ends_on"):
        assert f'id="{field}-error"' in page, field
    assert db.session.scalar(select(func.count()).select_from(MdfRequest)) == 0


def test_a_partner_user_may_not_request_funds(client, db, login, world):
    login(world["ben"])
    assert client.post("/mdf/requests/new", data=request_form(), headers=EN).status_code == 403


def test_a_suspended_partner_cannot_request_funds(client, db, login, world):
    world["partner"].status = "suspended"
    db.session.commit()
    login(world["anna"])
    assert client.post("/mdf/requests/new", data=request_form(), headers=EN).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(MdfRequest)) == 0


def test_the_manager_approves_a_lower_amount_and_the_partner_is_told(client, db, login, world, outbox, run_jobs):
    row = submitted(db, world)
    login(world["manager"])
    response = client.post(f"/mdf/requests/{row.id}/approve", data={"amount": "15,000.00"}, headers=EN)
    assert response.status_code == 303
    db.session.expire_all()
    row = db.session.get(MdfRequest, row.id)
    assert (row.status, row.approved_cents) == ("approved", 1_500_000)
    assert row.claim_due_on == mdf_requests.claim_due_on(current_period())
    assert figures_of(db, world["partner"]) == (5_000_000, 1_500_000, 0, 3_500_000)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "mdf.approved"))
    assert entry.actor_id == world["manager"].id and entry.after["approved_cents"] == 1_500_000
    run_jobs()
    mails = [m for m in outbox() if m["To"] == world["anna"].email]
    assert len(mails) == 1 and "is approved for $15,000.00" in mails[0].get_body(("plain",)).get_content()


def test_an_approval_above_the_remaining_budget_is_refused(client, db, login, world):
    factories.mdf_request(world["partner"], 4_500_000, status="approved", approved_cents=4_500_000)
    row = submitted(db, world, 1_000_000)
    login(world["manager"])
    response = client.post(f"/mdf/requests/{row.id}/approve", data={"amount": "10,000.00"}, headers=EN)
    assert response.status_code == 422
    assert "Only 5000.00 remains in the" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(MdfRequest, row.id).status == "submitted"


def test_an_approval_above_the_requested_amount_is_refused(client, db, login, world):
    row = submitted(db, world, 1_000_000)
    login(world["admin"])
    response = client.post(f"/mdf/requests/{row.id}/approve", data={"amount": "10,000.01"}, headers=EN)
    assert response.status_code == 422
    assert "Approve at most the amount requested" in response.get_data(as_text=True)


def test_rejecting_needs_a_reason_which_the_partner_reads(client, db, login, world, notices):
    row = submitted(db, world)
    login(world["manager"])
    assert client.post(f"/mdf/requests/{row.id}/reject", data={"reason": ""}, headers=EN).status_code == 422
    response = client.post(f"/mdf/requests/{row.id}/reject", data={"reason": "Not in our target market."},
                           headers=EN)
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(MdfRequest, row.id).status == "rejected"
    assert any("rejected: Not in our target market." in text for text in notices(world["anna"]))
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "mdf.rejected"))


def test_a_decided_request_cannot_be_decided_again(client, db, login, world):
    row = factories.mdf_request(world["partner"], 1_000_000, status="rejected", reason="No")
    db.session.commit()
    login(world["manager"])
    assert client.post(f"/mdf/requests/{row.id}/approve", data={"amount": "1.00"}, headers=EN).status_code == 409


def claim_data(**overrides):
    return {"claimed": "12,000.00", "leads": "40", "pipeline": "90,000.00", "revenue": "36,000.00",
            "notes": "120 visitors", "proof": [(io.BytesIO(PDF), "booth photos.pdf")], **overrides}


def approved(db, world, cents: int = 1_500_000) -> MdfRequest:
    row = factories.mdf_request(world["partner"], 2_000_000, status="approved", approved_cents=cents,
                                claim_due_on=utcnow().date() + timedelta(days=30))
    db.session.commit()
    return row


@pytest.mark.pg
def test_the_partner_claims_with_proof_and_results_then_it_is_approved_and_paid(client, db, login, world, tmp_path,
                                                                                  notices):
    row = approved(db, world)
    login(world["anna"])
    response = client.post(f"/mdf/requests/{row.id}/claim", data=claim_data(), headers=EN,
                           content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    row = db.session.get(MdfRequest, row.id)
    assert (row.status, row.claimed_cents, row.leads, row.pipeline_cents, row.revenue_cents) == (
        "claimed", 1_200_000, 40, 9_000_000, 3_600_000)
    proof = db.session.scalar(select(MdfFile))
    download = client.get(f"/mdf/files/{proof.id}", buffered=True)
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "booth photos.pdf" in download.headers["Content-Disposition"]

    client.post("/logout")
    login(world["manager"])
    response = client.post(f"/mdf/requests/{row.id}/approve-claim", data={"reimburse": "15,000.00"}, headers=EN)
    assert response.status_code == 422  # more than claimed
    response = client.post(f"/mdf/requests/{row.id}/approve-claim", data={"reimburse": "11,000.00"}, headers=EN)
    assert response.status_code == 303
    assert figures_of(db, world["partner"]) == (5_000_000, 1_100_000, 0, 3_900_000)  # the rest returned
    response = client.post(f"/mdf/requests/{row.id}/pay",
                           data={"reference": "PAY-778", "paid_on": utcnow().date().isoformat()}, headers=EN)
    assert response.status_code == 303
    db.session.expire_all()
    row = db.session.get(MdfRequest, row.id)
    assert (row.status, row.reimbursed_cents, row.payment_reference) == ("paid", 1_100_000, "PAY-778")
    assert figures_of(db, world["partner"]) == (5_000_000, 0, 1_100_000, 3_900_000)
    actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == row.id,
                                                                      AuditEntry.action.like("mdf.%"))))
    assert {"mdf.claimed", "mdf.claim_approved", "mdf.paid"} <= actions
    texts = notices(world["anna"])
    assert any("reference PAY-778" in t for t in texts) and any("$11,000.00 will be paid" in t for t in texts)

    client.post("/logout")
    login(world["anna"])  # the partner sees the same figures
    page = client.get("/mdf/", headers=EN).get_data(as_text=True)
    assert "$39,000.00" in page and "$11,000.00" in page


def test_a_claim_above_the_approved_amount_or_without_proof_is_refused(client, db, login, world):
    row = approved(db, world, 1_000_000)
    login(world["anna"])
    response = client.post(f"/mdf/requests/{row.id}/claim", data=claim_data(claimed="10,000.01"), headers=EN,
                           content_type="multipart/form-data")
    assert response.status_code == 422 and 'id="claimed-error"' in response.get_data(as_text=True)
    response = client.post(f"/mdf/requests/{row.id}/claim", data=claim_data(claimed="9,000.00", proof=[]), headers=EN,
                           content_type="multipart/form-data")
    assert response.status_code == 422 and "Attach at least one proof" in response.get_data(as_text=True)
    response = client.post(f"/mdf/requests/{row.id}/claim",
                           data=claim_data(claimed="9,000.00", proof=[(io.BytesIO(b"MZ\x90\x00 not a pdf"), "x.pdf")]),
                           headers=EN,
                           content_type="multipart/form-data")
    assert response.status_code == 422 and "is not a PDF, PNG, JPEG or WebP file" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(MdfRequest, row.id).status == "approved"
    assert db.session.scalar(select(func.count()).select_from(MdfFile)) == 0


@pytest.mark.pg
def test_unclaimed_approvals_lapse_after_their_claim_date_and_return_to_the_budget(db, world, notices):
    row = factories.mdf_request(world["partner"], 2_000_000, status="approved", approved_cents=2_000_000,
                                claim_due_on=utcnow().date() - timedelta(days=1))
    keep = approved(db, world, 1_000_000)
    assert figures_of(db, world["partner"])[3] == 2_000_000
    from jobs.mdf import lapse_unclaimed

    lapse_unclaimed()
    lapse_unclaimed()  # safe twice
    db.session.expire_all()
    assert db.session.get(MdfRequest, row.id).status == "lapsed"
    assert db.session.get(MdfRequest, keep.id).status == "approved"
    assert figures_of(db, world["partner"])[3] == 4_000_000
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "mdf.lapsed")) == 1
    assert sum("has lapsed" in t for t in notices(world["anna"])) == 1


def test_the_lapse_job_is_scheduled_daily():
    from jobs.schedule import PERIODIC

    assert ("jobs.mdf.lapse_unclaimed", 86400) in PERIODIC


def test_the_admin_sets_the_lapse_days_and_new_approvals_use_them(client, db, login, world):
    login(world["admin"])
    assert client.post("/mdf/settings", data={"lapse_days": "400"}, headers=EN).status_code == 422
    assert client.post("/mdf/settings", data={"lapse_days": "30"}, headers=EN).status_code == 303
    row = submitted(db, world)
    client.post(f"/mdf/requests/{row.id}/approve", data={"amount": "1.00"}, headers=EN)
    db.session.expire_all()
    from portal.mdf.service import period_end

    assert db.session.get(MdfRequest, row.id).claim_due_on == period_end(current_period()) + timedelta(days=30)


# --- tenancy -------------------------------------------------------------------------------------------------

def test_other_partners_requests_and_files_are_404(client, db, login, world):
    row = factories.mdf_request(world["other"], 1_000_000, status="claimed", approved_cents=1_000_000,
                                claimed_cents=1_000_000)
    proof = MdfFile(request_id=row.id, partner_id=world["other"].id, key="abcdefgh.pdf", name="x.pdf",
                    content_type="application/pdf", size=10)
    db.session.add(proof)
    db.session.commit()
    for user in (world["anna"], world["manager"]):
        login(user)
        assert client.get(f"/mdf/requests/{row.id}", headers=EN).status_code == 404
        assert client.get(f"/mdf/files/{proof.id}", headers=EN, buffered=True).status_code == 404
        client.post("/logout")
    login(world["manager"])
    assert client.post(f"/mdf/requests/{row.id}/approve-claim", data={"reimburse": "1.00"}).status_code == 404


@pytest.mark.pg
def test_the_partner_sees_only_its_own_budget_and_requests(client, db, login, world):
    factories.mdf_request(world["other"], 1_000_000, title="Contoso secret launch")
    factories.mdf_request(world["partner"], 1_000_000, title="Northwind roadshow")
    db.session.commit()
    login(world["anna"])
    page = client.get("/mdf/", headers=EN).get_data(as_text=True)
    assert "Northwind roadshow" in page and "Contoso secret launch" not in page
    assert "$50,000.00" in page and "$90,000.00" not in page
    assert client.get("/mdf/budgets", headers=EN).status_code == 403


def test_a_manager_sees_only_their_partners_budgets(client, db, login, world):
    login(world["manager"])
    page = client.get("/mdf/budgets", headers=EN).get_data(as_text=True)
    assert "Northwind MDF" in page and "Contoso MDF" not in page
    assert 'class="mdf-budget-form"' not in page  # managers do not set budgets


# --- budgets --------------------------------------------------------------------------------------------------

def test_the_admin_sets_a_budget_audited_and_not_below_what_is_used(client, db, login, world):
    factories.mdf_request(world["partner"], 3_000_000, status="approved", approved_cents=3_000_000)
    db.session.commit()
    login(world["admin"])
    period = "{}-{}".format(*current_period())
    response = client.post(f"/mdf/budgets/{world['partner'].id}",
                           data={"period": period, "amount": "29,999.99", "currency": "USD"}, headers=EN)
    assert response.status_code == 422
    assert "already has 30000.00 approved or paid" in response.get_data(as_text=True)
    response = client.post(f"/mdf/budgets/{world['partner'].id}",
                           data={"period": period, "amount": "60,000.00", "currency": "USD"}, headers=EN)
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(MdfBudget, world["budget"].id).amount_cents == 6_000_000
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "mdf.budget_set"))
    assert entry.before == {"amount_cents": 5_000_000} and entry.after["amount_cents"] == 6_000_000
    page = client.get(f"/mdf/budgets?period={period}", headers=EN).get_data(as_text=True)
    assert "$60,000.00" in page and "$30,000.00" in page


def test_a_channel_manager_cannot_set_budgets(client, db, login, world):
    login(world["manager"])
    response = client.post(f"/mdf/budgets/{world['partner'].id}",
                           data={"period": "2026-1", "amount": "1.00", "currency": "USD"})
    assert response.status_code == 403


def upload(client, text: str):
    return client.post("/mdf/budgets/import", data={"file": (io.BytesIO(text.encode("utf-8-sig")), "budgets.csv")},
                       headers=EN, content_type="multipart/form-data")


def test_a_budget_csv_with_bad_rows_imports_nothing_and_reports_each_row(client, db, login, world):
    login(world["admin"])
    response = upload(client, "partner,year,quarter,amount,currency\n"
                              "Northwind MDF,2031,1,\"10,000.00\",USD\n"
                              "Nobody Ltd,2031,1,5.00,USD\n"
                              "Contoso MDF,2031,7,5.00,XXX\n")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing was imported: 2 rows have errors." in page
    assert 'data-row="3" data-column="partner"' in page
    assert 'data-row="4" data-column="quarter"' in page and 'data-row="4" data-column="currency"' in page
    assert db.session.scalar(select(func.count()).select_from(MdfBudget).where(MdfBudget.year == 2031)) == 0
    response = upload(client, "partner,year,quarter,amount,currency\nNobody Ltd,2031,1,5.00,USD\n")
    assert "Nothing was imported: 1 row has errors." in response.get_data(as_text=True)


def test_a_good_budget_csv_sets_every_budget(client, db, login, world):
    login(world["admin"])
    response = upload(client, "partner,year,quarter,amount,currency\n"
                              "Northwind MDF,2031,1,\"10,000.00\",USD\n"
                              "Contoso MDF,2031,2,2500,CNY\n")
    assert response.status_code == 200 and "2 budgets are imported." in response.get_data(as_text=True)
    rows = db.session.execute(select(MdfBudget.partner_id, MdfBudget.quarter, MdfBudget.amount_cents,
                                     MdfBudget.currency).where(MdfBudget.year == 2031).order_by(MdfBudget.quarter))
    assert list(rows) == [(world["partner"].id, 1, 1_000_000, "USD"), (world["other"].id, 2, 250_000, "CNY")]


# --- dashboard and evaluations ------------------------------------------------------------------------------

@pytest.mark.pg
def test_the_partner_dashboard_shows_budget_remaining_requests_waiting_and_claims_due(client, db, login, world):
    factories.mdf_request(world["partner"], 1_000_000)
    approved(db, world, 2_000_000)
    login(world["anna"])
    page = client.get("/", headers=EN).get_data(as_text=True)
    assert "Remaining in" in page and "$30,000.00 of $50,000.00" in page
    assert "1 request waits for a decision" in page and "1 approval to claim" in page


@pytest.mark.pg
def test_the_managers_dashboard_shows_what_waits_for_a_decision(client, db, login, world):
    factories.mdf_request(world["partner"], 1_000_000)
    factories.mdf_request(world["partner"], 1_000_000)
    factories.mdf_request(world["other"], 1_000_000)
    db.session.commit()
    login(world["manager"])
    page = client.get("/", headers=EN).get_data(as_text=True)
    assert "2 requests wait for a decision" in page and "the oldest since" in page


@pytest.mark.pg
def test_mdf_roi_is_attributed_revenue_less_paid_over_paid_for_claims_paid_in_the_period(db, world):
    from portal.partners.evaluations import mdf_roi, quarter_start

    now = utcnow()
    factories.mdf_request(world["partner"], 2_000_000, status="paid", approved_cents=1_000_000,
                          reimbursed_cents=1_000_000, revenue_cents=3_500_000, paid_at=now)
    factories.mdf_request(world["partner"], 2_000_000, status="paid", approved_cents=300_000,
                          reimbursed_cents=300_000, revenue_cents=None, paid_at=now)
    factories.mdf_request(world["other"], 2_000_000, status="reimbursed", approved_cents=300_000,
                          reimbursed_cents=300_000, revenue_cents=9_000_000)
    year, quarter = current_period()
    start, end = quarter_start(year, quarter), quarter_start(year + (quarter == 4), quarter % 4 + 1)
    result = mdf_roi([world["partner"].id, world["other"].id], start, end)
    # (35,000 − 13,000) ÷ 13,000 × 100 = 169.23… → 169.2
    assert result == {world["partner"].id: __import__("decimal").Decimal("169.2")}


def test_an_htmx_request_form_with_errors_answers_its_own_fragment(client, db, login, world):
    login(world["anna"])
    response = client.post("/mdf/requests/new", data=request_form(amount="99,000.00"),
                           headers={**EN, "HX-Request": "true"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert page.lstrip().startswith('<form id="mdf-request-form"') and 'id="amount-error"' in page
