"""SQL statements per page: a fixed, small number whatever the number of rows (no N+1).

Each page is requested with 3 rows of data, then with 60; both must run exactly the expected
number of statements. The numbers are pinned so that a new query per request shows up here.
SAVEPOINT/RELEASE/BEGIN (the harness's transaction) are not counted.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import g, request_started

from portal.core import audit
from portal.core.permissions import Role
from portal.core.time import utcnow
from portal.notifications.models import Notification
from tests import factories

# signed-in user (1) + both header badges, unread and cart, in one statement (1) + the page's own queries;
# list pages also read the data versions their ETag covers (1: portal.pages.conditional)
# the dashboard of a partner admin: + the orders panel (open orders, last order, cart lines, tier) + the tier
# panel (the tiers, the partner's 12-month revenue, evaluations waiting) + latest notifications
# + enablement: the tier panel's certified people, the learning panel (courses in progress, own certificates)
# and the announcements panel; + the deals panel (open registrations, their count, how many expire soon);
# + the earnings panel's active rebate programs; + the MDF panel
DASHBOARD = 17
NOTIFICATIONS = 4  # + versions + one page of notifications
AUDIT_LOG = 5  # + versions + one page of entries + their actors in one IN query
USERS = 4  # + versions + one page of users with their partner joined
PARTNERS = 4  # + versions + one page of partners with their channel manager joined
# the partner page (an admin): the partner, its people, agreements, tier progress, tier history, evaluations and
# the latest activity (orders, deal registrations, certificates, audit entries), each bounded
PARTNER_PAGE = 14


@pytest.fixture(autouse=True)
def fresh_request_globals(app):
    """Each request gets a fresh ``g`` as in production (the test's app context outlives requests),
    so the signed-in user and the unread count are loaded (and counted) on every request."""

    def clear(sender, **extra):
        for name in list(g):
            g.pop(name)

    request_started.connect(clear, app)
    yield
    request_started.disconnect(clear, app)


@pytest.fixture
def statements(client, db, count_queries):
    """``statements(path)`` → (SQL statements the GET ran, page text), loading every row fresh from
    the database like a new request in production (the test's session would otherwise answer
    from its identity map)."""

    def run(path: str) -> tuple[int, str]:
        db.session.flush()
        db.session.expunge_all()
        with count_queries() as counter:
            response = client.get(path)
        text = response.get_data(as_text=True)
        assert response.status_code == 200, text[:500]
        assert 'id="login-form"' not in text
        return counter.count, text

    return run


def test_the_dashboard_runs_the_same_six_queries_for_3_or_60_notifications(db, login, statements):
    me = factories.partner_user(role=Role.PARTNER_ADMIN)
    login(me)

    def notify(first: int, last: int) -> None:
        for i in range(first, last):
            db.session.add(Notification(user_id=me.id, event_key=f"qc:{i}", message=f"Notice number {i:02d}",
                                        link="", created_at=utcnow() - timedelta(minutes=100 - i)))

    notify(0, 3)
    few, page = statements("/")
    assert "Notice number 02" in page
    notify(3, 60)
    many, page = statements("/")
    assert "Notice number 59" in page
    assert few == many == DASHBOARD


def test_the_notification_list_runs_the_same_four_queries_for_3_or_60_notifications(db, login, statements):
    me = factories.vendor(Role.TRAINER)
    login(me)

    def notify(first: int, last: int) -> None:
        for i in range(first, last):
            db.session.add(Notification(user_id=me.id, event_key=f"qc:{i}", message=f"Notice number {i:02d}",
                                        link=f"/partners/{i}", created_at=utcnow() - timedelta(minutes=100 - i)))

    notify(0, 3)
    few, page = statements("/notifications/")
    assert page.count("Notice number") == 3
    notify(3, 60)
    many, page = statements("/notifications/")
    assert page.count("Notice number") == 25  # one page
    assert few == many == NOTIFICATIONS


def test_the_audit_log_runs_the_same_five_queries_for_3_or_60_entries_by_different_people(db, login,
                                                                                         statements):
    admin = factories.vendor(email="qc-admin@vendor.test")
    login(admin)

    def entries(first: int, last: int) -> None:
        for i in range(first, last):
            partner = factories.PartnerFactory()
            actor = factories.partner_user(partner, Role.PARTNER_ADMIN, email=f"actor{i:02d}@qc.test")
            row = audit.record(actor, f"qc.action{i:02d}", partner, partner_id=partner.id,
                               before={"status": "active"}, after={"status": "suspended"})
            row.at = utcnow() - timedelta(minutes=100 - i)

    entries(0, 3)
    few, page = statements("/audit/")
    assert "actor02@qc.test" in page and "qc.action02" in page
    entries(3, 60)
    many, page = statements("/audit/")
    assert "actor59@qc.test" in page and "actor10@qc.test" in page  # the newest 50, each with its actor
    assert few == many == AUDIT_LOG


def test_the_users_list_runs_the_same_four_queries_for_3_or_60_users_of_different_partners(login, statements):
    admin = factories.vendor(email="qc-admin@vendor.test", name="Aaron Admin")
    login(admin)

    def people(first: int, last: int) -> None:
        for i in range(first, last):
            factories.partner_user(factories.PartnerFactory(name=f"QC Company {i:02d}"), name=f"Person {i:02d}")

    people(0, 3)
    few, page = statements("/users/")
    assert "QC Company 02" in page
    people(3, 60)
    many, page = statements("/users/")
    assert "QC Company 23" in page  # 25 a page, by name: Aaron Admin, Person 00 … Person 23
    assert few == many == USERS


def test_the_partners_list_runs_the_same_four_queries_for_3_or_60_partners_with_different_managers(
        login, statements):
    admin = factories.vendor(email="qc-admin@vendor.test")
    login(admin)

    def partners(first: int, last: int) -> None:
        for i in range(first, last):
            manager = factories.vendor(Role.CHANNEL_MANAGER, name=f"Manager {i:02d}")
            factories.PartnerFactory(name=f"QC Partner {i:02d}", channel_manager_id=manager.id)

    partners(0, 3)
    few, page = statements("/partners/")
    assert "QC Partner 02" in page and "Manager 02" in page
    partners(3, 60)
    many, page = statements("/partners/")
    assert "QC Partner 24" in page and "Manager 24" in page
    assert few == many == PARTNERS


def test_the_partner_page_runs_the_same_queries_for_3_or_20_of_each_kind_of_activity(db, login, statements):
    admin = factories.vendor(email="qc-admin@vendor.test")
    login(admin)
    partner = factories.PartnerFactory(name="QC Activity Ltd")
    certification = factories.certification([factories.course()], name="QC Certified")

    def activity(first: int, last: int) -> None:
        for i in range(first, last):
            person = factories.partner_user(partner, name=f"Person {i:02d}", email=f"person{i:02d}@qc.test")
            factories.order_with_line(person, po_number=f"QC-PO-{i:02d}")
            factories.deal(person, customer=f"Customer {i:02d} Robotics", domain=f"customer{i:02d}.example")
            factories.certificate(person, certification)
            audit.record(admin, f"qc.action{i:02d}", partner, partner_id=partner.id)

    activity(0, 3)
    few, page = statements(f"/partners/{partner.id}")
    assert "person02@qc.test" in page and "Customer 02 Robotics" in page
    activity(3, 20)
    many, page = statements(f"/partners/{partner.id}")
    assert "person19@qc.test" in page and "Customer 19 Robotics" in page
    assert few == many == PARTNER_PAGE
