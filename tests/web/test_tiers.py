"""Tiers: admins configure requirements; the tier review (on demand and quarterly) proposes changes with
evidence; an admin confirms each (or all); the partner is told and sees its progress."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from portal.catalogue.models import Tier
from portal.core.audit import AuditEntry
from portal.core.permissions import Role
from portal.core.time import utcnow
from portal.partners.models import TierChange, TierReview
from tests import factories
from tests.unit.test_tier_rules import _delivered

CONTROL = "Remove the control characters from this text: only tabs and line breaks are allowed."

pytestmark = pytest.mark.pg


@pytest.fixture
def ladder(db):
    tiers = {name: factories.TierFactory(name=name, rank=rank, discount_bp=bp, min_revenue_cents=cents)
             for name, rank, bp, cents in [("Registered", 0, 0, 0), ("Silver", 1, 500, 10_000_000),
                                           ("Gold", 2, 1000, 25_000_000), ("Platinum", 3, 1500, 100_000_000)]}
    db.session.flush()
    return tiers


def tier_form(prefix: str, **values) -> dict:
    data = {"name": "Diamond", "rank": "9", "discount": "20", "min_revenue": "2,000,000.00", "min_certified": "5"}
    data.update(values)
    return {f"{prefix}-{k}": v for k, v in data.items()}


# --- configuration ------------------------------------------------------------------------------------------

def test_admin_adds_a_tier_with_its_requirements(client, db, admin, ladder):
    response = client.post("/admin/tiers", data=tier_form("new"))
    assert response.status_code == 303
    tier = db.session.scalar(select(Tier).where(Tier.name == "Diamond"))
    assert (tier.rank, tier.discount_bp, tier.min_revenue_cents, tier.min_certified) == (9, 2000, 200_000_000, 5)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "tier.created"))
    assert entry.after["min_revenue_cents"] == 200_000_000


def test_admin_changes_a_tiers_requirements_and_it_is_audited(client, db, admin, ladder):
    gold = ladder["Gold"]
    response = client.post(f"/admin/tiers/{gold.id}", data=tier_form(
        f"tier{gold.id}", name="Gold", rank="2", discount="10", min_revenue="300,000", min_certified="2"))
    assert response.status_code == 303
    db.session.refresh(gold)
    assert (gold.min_revenue_cents, gold.min_certified) == (30_000_000, 2)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "tier.updated"))
    assert entry.before == {"min_certified": 0, "min_revenue_cents": 25_000_000}
    assert entry.after == {"min_certified": 2, "min_revenue_cents": 30_000_000}


@pytest.mark.parametrize(("field", "value", "message"), [
    ("name", "", "Name the tier."),
    ("name", "Gold", "Another tier has this name."),
    ("rank", "2", "Another tier has this place in the order."),
    ("rank", "-1", "Enter a whole number from 0 to 1000."),
    ("discount", "101", "A discount is between 0 and 100 percent."),
    ("min_revenue", "99999999999999999999", "That amount is too large."),
    ("min_revenue", "-5", "The amount cannot be negative."),
    ("min_certified", "1e3", "Enter a whole number from 0 to 100000."),
    ("name", "Dia\x00mond", CONTROL),
])
def test_bad_tier_input_is_422_next_to_the_field(client, db, admin, ladder, field, value, message):
    response = client.post("/admin/tiers", data=tier_form("new", **{field: value}))
    assert response.status_code == 422
    assert f'id="new-{field}-error">{message}' in response.get_data(as_text=True)
    assert db.session.scalar(select(Tier).where(Tier.name == "Diamond")) is None


def test_only_admins_configure_tiers(client, db, login, ladder):
    manager = factories.vendor(Role.CHANNEL_MANAGER)
    db.session.commit()
    login(manager)
    assert client.get("/admin/tiers").status_code == 403
    assert client.post("/admin/tier-reviews").status_code == 403


# --- the review ---------------------------------------------------------------------------------------------

def test_a_tier_review_on_demand_promotes_and_demotes_with_the_evidence(client, db, admin, ladder, run_jobs,
                                                                         outbox):
    rising = factories.PartnerFactory(name="Rising Star", tier_id=ladder["Registered"].id)
    falling = factories.PartnerFactory(name="Falling Leaf", tier_id=ladder["Platinum"].id)
    steady = factories.PartnerFactory(name="Steady Co", tier_id=ladder["Silver"].id)
    factories.PartnerFactory(name="Gone Ltd", tier_id=ladder["Gold"].id, status="terminated", status_reason="x")
    person = factories.partner_user(rising, role=Role.PARTNER_ADMIN)
    _delivered(rising, 26_000_000, days_ago=30)
    _delivered(falling, 12_000_000, days_ago=30)
    _delivered(steady, 11_000_000, days_ago=30)
    db.session.commit()
    response = client.post("/admin/tier-reviews")
    assert response.status_code == 303
    review = db.session.scalar(select(TierReview))
    assert response.headers["Location"] == f"/admin/tier-reviews/{review.id}"
    page = client.get(f"/admin/tier-reviews/{review.id}").get_data(as_text=True)
    assert "Queued" in page and "<progress" in page
    assert run_jobs() == 1
    db.session.refresh(review)
    assert (review.status, review.processed, review.total) == ("done", 3, 3)
    page = client.get(f"/admin/tier-reviews/{review.id}").get_data(as_text=True)
    assert "Promotion: Registered → Gold" in page and "Demotion: Platinum → Silver" in page
    assert "Steady Co" not in page and "Gone Ltd" not in page
    assert "$260,000.00" in page and "not yet measured" not in page  # certified people are measured (enablement)

    change = db.session.scalar(select(TierChange).where(TierChange.partner_id == rising.id))
    assert client.post(f"/admin/tier-changes/{change.id}/confirm").status_code == 303
    db.session.refresh(rising)
    assert rising.tier_id == ladder["Gold"].id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "partner.tier_changed"))
    assert (entry.partner_id, entry.before["tier"], entry.after["tier"]) == (rising.id, "Registered", "Gold")
    assert (entry.after["direction"], entry.after["revenue_cents"]) == ("promote", 26_000_000)
    run_jobs()
    [mail] = outbox()
    assert mail["To"] == person.email and "promoted to Gold" in mail["Subject"]


def test_confirm_all_skips_a_partner_whose_tier_changed_since(client, db, admin, ladder, run_jobs):
    first = factories.PartnerFactory(tier_id=ladder["Registered"].id)
    second = factories.PartnerFactory(tier_id=ladder["Registered"].id)
    for partner in (first, second):
        _delivered(partner, 11_000_000, days_ago=3)
    db.session.commit()
    client.post("/admin/tier-reviews")
    run_jobs()
    review = db.session.scalar(select(TierReview))
    second.tier_id = ladder["Gold"].id  # changed by hand meanwhile
    db.session.commit()
    response = client.post(f"/admin/tier-reviews/{review.id}/confirm-all", follow_redirects=True)
    assert "1 tier change confirmed. 1 skipped" in response.get_data(as_text=True)
    db.session.refresh(first)
    db.session.refresh(second)
    assert (first.tier_id, second.tier_id) == (ladder["Silver"].id, ladder["Gold"].id)


def test_a_partner_short_of_certified_people_is_not_promoted_until_enough_are_certified(client, db, admin, ladder,
                                                                                        run_jobs):
    ladder["Gold"].min_certified = 2
    partner = factories.PartnerFactory(tier_id=ladder["Silver"].id)
    _delivered(partner, 30_000_000, days_ago=3)
    cert = factories.certification([factories.course()])
    factories.certificate(factories.partner_user(partner), cert)
    db.session.commit()
    client.post("/admin/tier-reviews")
    run_jobs()
    assert db.session.scalar(select(TierChange)) is None  # revenue enough for Gold, one certified person of two
    factories.certificate(factories.partner_user(partner), cert)
    db.session.execute(update(TierReview).values(status="done"))
    db.session.commit()
    client.post("/admin/tier-reviews")
    run_jobs()
    change = db.session.scalar(select(TierChange))
    assert (change.direction, change.certified) == ("promote", 2)


def test_only_one_review_runs_at_a_time(client, db, admin, ladder):
    client.post("/admin/tier-reviews")
    assert client.post("/admin/tier-reviews").status_code == 409


def test_a_dismissed_change_leaves_the_tier_alone(client, db, admin, ladder, run_jobs):
    partner = factories.PartnerFactory(tier_id=ladder["Registered"].id)
    _delivered(partner, 11_000_000, days_ago=3)
    db.session.commit()
    client.post("/admin/tier-reviews")
    run_jobs()
    change = db.session.scalar(select(TierChange))
    assert client.post(f"/admin/tier-changes/{change.id}/dismiss").status_code == 303
    db.session.refresh(change)
    db.session.refresh(partner)
    assert (change.status, partner.tier_id) == ("dismissed", ladder["Registered"].id)
    assert client.post(f"/admin/tier-changes/{change.id}/confirm").status_code == 409


def test_the_quarterly_job_runs_one_review_per_quarter(app, db, ladder):
    from jobs.partners import quarterly_tier_review
    from portal.partners import tier_review

    partner = factories.PartnerFactory(tier_id=ladder["Registered"].id)
    _delivered(partner, 11_000_000, days_ago=3)
    db.session.commit()
    review_id = quarterly_tier_review()
    assert review_id is not None
    assert quarterly_tier_review() is None  # the same quarter: nothing new
    review = db.session.get(TierReview, review_id)
    assert (review.kind, review.period, review.status) == ("scheduled", tier_review.quarter_of(utcnow()), "done")
    assert db.session.scalar(select(TierChange.direction).where(TierChange.review_id == review_id)) == "promote"
    assert tier_review.quarter_of(datetime(2026, 10, 1, tzinfo=UTC)) == "2026-Q4"


def test_a_later_review_supersedes_unconfirmed_proposals(client, db, admin, ladder, run_jobs):
    partner = factories.PartnerFactory(tier_id=ladder["Registered"].id)
    _delivered(partner, 11_000_000, days_ago=3)
    db.session.commit()
    client.post("/admin/tier-reviews")
    run_jobs()
    client.post("/admin/tier-reviews")
    run_jobs()
    statuses = db.session.scalars(select(TierChange.status).order_by(TierChange.id)).all()
    assert statuses == ["superseded", "proposed"]


def test_the_review_list_runs_few_queries(client, db, admin, ladder, run_jobs, count_queries):
    for i in range(30):
        partner = factories.PartnerFactory(tier_id=ladder["Registered"].id)
        _delivered(partner, 11_000_000 + i, days_ago=3)
    db.session.commit()
    client.post("/admin/tier-reviews")
    run_jobs()
    review = db.session.scalar(select(TierReview))
    db.session.expunge_all()
    with count_queries() as counter:
        response = client.get(f"/admin/tier-reviews/{review.id}")
    assert response.status_code == 200 and response.get_data(as_text=True).count("Promotion: Registered") == 30
    # signed-in user, header counts, the review, one page of changes with partners and tiers joined
    assert counter.count == 4


# --- what the partner sees ----------------------------------------------------------------------------------

def test_the_partner_sees_its_tier_and_how_far_the_next_one_is(client, db, login, ladder):
    ladder["Gold"].min_certified = 1
    partner = factories.PartnerFactory(tier_id=ladder["Silver"].id)
    _delivered(partner, 12_345_600, days_ago=20)
    user = factories.partner_user(partner)
    db.session.commit()
    login(user)
    for path in ("/", "/partnership"):
        html = client.get(path).get_data(as_text=True)
        assert '<strong class="tier-name">Silver</strong>' in html
        assert "Next tier: Gold" in html
        assert "$126,544.00 more revenue" in html  # 250,000.00 − 123,456.00
        assert "1 more certified person" in html


def test_a_currently_certified_colleague_meets_the_certified_people_requirement(client, db, login, ladder):
    ladder["Gold"].min_certified = 1
    partner = factories.PartnerFactory(tier_id=ladder["Silver"].id)
    user = factories.partner_user(partner)
    colleague = factories.partner_user(partner)
    cert = factories.certification([factories.course()])
    factories.certificate(colleague, cert)
    factories.certificate(user, cert, issued_at=utcnow() - timedelta(days=800))  # expired: does not count
    db.session.commit()
    login(user)
    html = client.get("/partnership").get_data(as_text=True)
    assert "Certified people: 1 of 1 — met" in html


def test_a_partner_on_the_highest_tier_is_told_so(client, db, login, ladder):
    partner = factories.PartnerFactory(tier_id=ladder["Platinum"].id)
    user = factories.partner_user(partner)
    db.session.commit()
    login(user)
    assert "This is the highest tier." in client.get("/partnership").get_data(as_text=True)


def test_the_partner_sees_its_confirmed_tier_changes(client, db, login, ladder):
    partner = factories.PartnerFactory(tier_id=ladder["Silver"].id)
    review = TierReview(kind="on_demand", status="done", created_at=utcnow() - timedelta(days=1))
    db.session.add(review)
    db.session.flush()
    db.session.add(TierChange(review_id=review.id, partner_id=partner.id, from_tier_id=ladder["Registered"].id,
                              to_tier_id=ladder["Silver"].id, direction="promote", revenue_cents=1, evidence={},
                              status="confirmed", decided_at=utcnow()))
    user = factories.partner_user(partner)
    db.session.commit()
    login(user)
    assert "Registered → Silver" in client.get("/partnership").get_data(as_text=True)


def test_vendor_staff_have_no_partnership_page(client, db, admin):
    assert client.get("/partnership").status_code == 403
