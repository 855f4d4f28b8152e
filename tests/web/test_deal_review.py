"""Deal review, vendor side: the queue (scoped), conflicts side by side with why they matched, approve
(protection days setting), reject with a reason, approve the earliest and reject the others in one action;
the settings; the daily job (reminders 14 and 7 days before, expiry, KPI) is safe to run twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from jobs import deals as deal_jobs
from portal.core.permissions import Role
from portal.core.time import utcnow
from portal.deals import review
from portal.deals.models import Deal, DealKpi
from portal.notifications.models import OutboxMessage
from tests import factories

EN = {"Accept-Language": "en"}


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def world(db):
    manager = factories.vendor(Role.CHANNEL_MANAGER, name="Mia Manager")
    other_manager = factories.vendor(Role.CHANNEL_MANAGER, name="Otto Manager")
    first = factories.PartnerFactory(name="First Channel Ltd", channel_manager=manager)
    second = factories.PartnerFactory(name="Second Channel Ltd", channel_manager=manager)
    third = factories.PartnerFactory(name="Third Channel Ltd", channel_manager=other_manager)
    world = {"manager": manager, "other_manager": other_manager, "admin": factories.vendor(name="Ada Admin"),
             "first": factories.partner_user(first, name="Fay First"),
             "second": factories.partner_user(second, name="Sam Second"),
             "third": factories.partner_user(third, name="Tia Third")}
    db.session.commit()
    return world


def test_the_manager_sees_the_conflict_side_by_side_with_why_it_matched(client, db, login, world):
    earlier = factories.deal(world["first"], "Acme Robotics GmbH", "https://www.acme-robotics.de", days_ago=3)
    later = factories.deal(world["second"], "ACME Robotics AG", "sales@acme-robotics.de", days_ago=1, had_conflict=True)
    unrelated = factories.deal(world["second"], "Acme Foods", "acmefoods.com")
    db.session.commit()
    login(world["manager"])
    page = text(client.get(f"/deal-review/{later.id}", headers=EN))
    assert "1 possible conflict" in page
    assert earlier.number in page and "First Channel Ltd" in page and "Second Channel Ltd" in page
    assert "same domain" in page and unrelated.number not in page
    queue = text(client.get("/deal-review/", headers=EN))
    assert queue.index(earlier.number) < queue.index(later.number)  # oldest first
    assert "Possible conflict" in queue and 'data-label="Partner"' in queue


def test_the_queue_of_a_channel_manager_holds_only_their_partners(client, db, login, world):
    mine = factories.deal(world["first"], "Mine Co", "mine.com")
    theirs = factories.deal(world["third"], "Theirs Co", "theirs.com")
    db.session.commit()
    login(world["manager"])
    queue = text(client.get("/deal-review/", headers=EN))
    assert mine.number in queue and theirs.number not in queue
    assert client.get(f"/deal-review/{theirs.id}", headers=EN).status_code == 404
    assert client.post(f"/deal-review/{theirs.id}/approve", headers=EN).status_code == 404


def test_approval_starts_the_protection_of_the_configured_days_and_tells_the_partner(client, db, login, world,
                                                                                     notices):
    deal = factories.deal(world["first"])
    db.session.commit()
    login(world["admin"])
    response = client.post("/deal-review/settings", data={"protection_days": "60", "extension_days": "15",
                                                         "threshold": "90", "free_mail": "gmail.com qq.com"},
                           headers=EN)
    assert response.status_code == 303
    before = utcnow()
    assert client.post(f"/deal-review/{deal.id}/approve", headers=EN).status_code == 303
    db.session.expire_all()
    approved = db.session.get(Deal, deal.id)
    assert approved.status == "approved" and approved.decided_by == world["admin"].id
    assert before + timedelta(days=60) <= approved.protection_ends_at <= utcnow() + timedelta(days=60)
    assert any("is approved" in n and "60 days" in n for n in notices(world["first"]))


def test_reject_needs_a_reason_which_the_partner_reads(client, db, login, world, notices):
    deal = factories.deal(world["first"])
    db.session.commit()
    login(world["manager"])
    response = client.post(f"/deal-review/{deal.id}/reject", data={"reason": ""}, headers=EN)
    assert response.status_code == 422 and "Give the partner a reason." in text(response)
    assert client.post(f"/deal-review/{deal.id}/reject", data={"reason": "Customer is a direct account"},
                       headers=EN).status_code == 303
    db.session.expire_all()
    assert db.session.get(Deal, deal.id).status == "rejected"
    assert any("Customer is a direct account" in n for n in notices(world["first"]))
    assert client.post(f"/deal-review/{deal.id}/approve", headers=EN).status_code == 409  # decided already


def test_approve_the_earliest_and_reject_the_others_in_one_action(client, db, login, world, notices):
    earliest = factories.deal(world["first"], "华为技术有限公司", "huawei.com", days_ago=5)
    middle = factories.deal(world["second"], "華為技術", "", days_ago=3)
    latest = factories.deal(world["first"], "Huawei", "https://consumer.huawei.com", days_ago=1)
    db.session.commit()
    login(world["manager"])
    assert client.post(f"/deal-review/{latest.id}/resolve", headers=EN).status_code == 303
    db.session.expire_all()
    assert db.session.get(Deal, earliest.id).status == "approved"
    assert db.session.get(Deal, middle.id).status == "rejected"
    assert db.session.get(Deal, latest.id).status == "rejected"
    told = notices(world["second"])
    assert any("registered this customer earlier" in n for n in told)
    assert not any("First Channel" in n for n in told)


def test_a_second_protected_deal_for_the_same_customer_is_refused(client, db, login, world):
    factories.deal(world["first"], "Acme Robotics", "acme.com", protection_days=30)
    waiting = factories.deal(world["second"], "Acme Robotics Inc.", "")
    db.session.commit()
    login(world["manager"])
    assert client.post(f"/deal-review/{waiting.id}/approve", headers=EN).status_code == 409
    db.session.expire_all()
    assert db.session.get(Deal, waiting.id).status == "submitted"


def test_resolving_a_conflict_with_another_managers_partner_is_left_to_an_admin(client, db, login, world):
    factories.deal(world["third"], "Acme Robotics", "acme.com", days_ago=2)
    mine = factories.deal(world["first"], "Acme Robotics", "acme.com")
    db.session.commit()
    login(world["manager"])
    assert client.post(f"/deal-review/{mine.id}/resolve", headers=EN).status_code == 403
    db.session.expire_all()
    assert db.session.get(Deal, mine.id).status == "submitted"


def test_settings_are_for_admins_and_refuse_bad_values(client, db, login, world):
    login(world["manager"])
    assert client.get("/deal-review/settings", headers=EN).status_code == 403
    client.post("/logout")
    login(world["admin"])
    response = client.post("/deal-review/settings", data={"protection_days": "0", "extension_days": "x",
                                                          "threshold": "101", "free_mail": "gm<ail>.com"}, headers=EN)
    assert response.status_code == 422
    assert text(response).count("Enter a whole number") == 3 and "Enter domains such as" in text(response)


def test_the_daily_job_reminds_14_and_7_days_before_and_expires_once(app, db, world, outbox, run_jobs):
    soon = factories.deal(world["first"], "Soon Co", "soon.com", protection_days=13.5)
    sooner = factories.deal(world["first"], "Sooner Co", "sooner.com", protection_days=6.5)
    over = factories.deal(world["first"], "Over Co", "over.com", protection_days=-0.1)
    later = factories.deal(world["first"], "Later Co", "later.com", protection_days=40)
    db.session.commit()
    first_run = deal_jobs.daily()
    assert first_run == {"reminded": 2, "expired": 1}
    second_run = deal_jobs.daily()
    assert second_run == {"reminded": 0, "expired": 0}
    db.session.expire_all()
    assert db.session.get(Deal, over.id).status == "expired"
    assert db.session.get(Deal, later.id).reminded_14_at is None
    messages = db.session.scalars(select(OutboxMessage.event_key).where(
        OutboxMessage.recipient == world["first"].email)).all()
    assert sorted(key.split(":")[1:3] for key in messages) == sorted(
        [[str(soon.id), "reminder-14"], [str(sooner.id), "reminder-7"], [str(over.id), "expired"]])
    run_jobs()
    subjects = [m["Subject"] for m in outbox()]
    assert len(subjects) == 3 and all(s.startswith("Deal DR-") for s in subjects)


def test_the_conflict_rate_kpi_is_stored_for_dashboards(db, world):
    factories.deal(world["first"], "A Co", "a.com", had_conflict=True)
    factories.deal(world["first"], "B Co", "b.com")
    factories.deal(world["first"], "C Co", "c.com")
    factories.deal(world["first"], "D Co", "d.com", had_conflict=True)
    db.session.commit()
    deal_jobs.daily()
    deal_jobs.daily()
    today = utcnow().date()
    row = db.session.get(DealKpi, today)
    assert (row.registrations, row.with_conflict) == (4, 2)
    assert db.session.scalar(select(func.count()).select_from(DealKpi).where(DealKpi.day == today)) == 1
    total, conflicted, rate = review.conflict_rate(today, today + timedelta(days=1))
    assert (total, conflicted, str(rate)) == (4, 2, "50.0")


def test_the_reviewers_dashboard_shows_the_count_and_the_oldest_waiting(client, db, login, world):
    oldest = factories.deal(world["first"], "Oldest Co", "oldest.com", days_ago=4)
    factories.deal(world["second"], "Newer Co", "newer.com", days_ago=1)
    factories.deal(world["third"], "Not Mine Co", "notmine.com", days_ago=9)
    db.session.commit()
    login(world["manager"])
    page = text(client.get("/", headers=EN))
    assert "2 registrations wait for review" in page
    assert page.index(oldest.number) < page.index("Newer Co") and "Not Mine Co" not in page
