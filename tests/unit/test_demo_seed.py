"""`flask seed-demo`: the README's demo accounts, created once however often it runs.

demo.seed() commits; in these tests that releases the test's savepoint only, and the outer
transaction is still rolled back afterwards.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal import demo
from portal.accounts.models import User
from portal.core.audit import AuditEntry
from portal.notifications.models import Notification, OutboxMessage
from portal.partners.models import Partner

ACCOUNTS = {
    "admin@demo.test": ("admin", None),
    "manager@demo.test": ("channel_manager", None),
    "trainer@demo.test": ("trainer", None),
    "anna@northwind.demo.test": ("partner_admin", "Northwind Trading"),
    "ben@northwind.demo.test": ("partner_user", "Northwind Trading"),
    "chen@eastwind.demo.test": ("partner_admin", "东风贸易有限公司 (Eastwind)"),
    "dai@eastwind.demo.test": ("partner_user", "东风贸易有限公司 (Eastwind)"),
}
DEMO_PARTNERS = ["Northwind Trading", "东风贸易有限公司 (Eastwind)"]

pytestmark = pytest.mark.pg  # `make run` uses SQLite, production PostgreSQL: the seed must work on both


def demo_users(db) -> list[User]:
    return list(db.session.scalars(select(User).where(User.email.in_(ACCOUNTS)).order_by(User.email)))


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_seeding_twice_creates_the_seven_demo_accounts_once(db):
    assert demo.seed("small") == "7 users added"
    assert demo.seed("small") == "0 users added"
    users = demo_users(db)
    assert sorted(u.email for u in users) == sorted(ACCOUNTS)
    assert count(db, Partner, Partner.name.in_(DEMO_PARTNERS)) == 2
    # each account's welcome notification exists once, in the portal only (no e-mail)
    assert count(db, Notification, Notification.event_key == "demo-welcome") == 7
    assert count(db, OutboxMessage) == 0


def test_each_demo_account_has_its_role_and_company(db):
    demo.seed("small")
    seen = {u.email: (u.role, u.partner.name if u.partner else None) for u in demo_users(db)}
    assert seen == ACCOUNTS
    assert all(u.active and u.status == "active" for u in demo_users(db))


def test_the_demo_manager_is_channel_manager_of_both_demo_partners(db):
    demo.seed("small")
    manager = db.session.scalar(select(User).where(User.email == "manager@demo.test"))
    partners = db.session.scalars(select(Partner).where(Partner.name.in_(DEMO_PARTNERS))).all()
    assert {p.name: p.channel_manager_id for p in partners} == {name: manager.id for name in DEMO_PARTNERS}


def test_demo_accounts_sign_in_with_the_readme_password(db, client):
    demo.seed("small")
    response = client.post("/login", data={"email": "chen@eastwind.demo.test", "password": "portal-demo"})
    assert response.status_code == 303
    assert "陈静 (Chen Jing)" in client.get("/").get_data(as_text=True)


@pytest.fixture
def small_volume(monkeypatch):
    """The large seed's shape at a size a unit test can afford."""
    monkeypatch.setattr(demo, "LARGE_PARTNERS", 10)
    monkeypatch.setattr(demo, "LARGE_USERS_PER_PARTNER", 5)
    monkeypatch.setattr(demo, "LARGE_AUDIT_ENTRIES", 60)
    monkeypatch.setattr(demo, "LARGE_NOTIFICATIONS", 1000)


def test_the_large_seed_adds_its_volume_once(db, small_volume):
    first = demo.seed("large")
    second = demo.seed("large")
    assert first == "7 users added; 10 partners, 50 users, 60 audit entries, 1000 notifications"
    assert second == "0 users added; large data already present"
    assert count(db, Partner, Partner.name.like("Large %")) == 10
    assert count(db, User, User.email.like("%.large.test")) == 50
    assert count(db, AuditEntry) == 60
    assert count(db, Notification, Notification.event_key != "demo-welcome") == 1000


def test_the_large_seed_gives_one_partner_admin_the_most_notifications_and_each_demo_account_some(
        db, small_volume):
    demo.seed("large")
    per_user = dict(db.session.execute(
        select(User.email, func.count()).join(Notification, Notification.user_id == User.id)
        .where(Notification.event_key != "demo-welcome").group_by(User.email)
    ).all())
    heaviest = max(per_user, key=per_user.get)
    assert heaviest.startswith("user0@") and heaviest.endswith(".large.test")
    assert db.session.scalar(select(User.role).where(User.email == heaviest)) == "partner_admin"
    assert all(per_user[email] == demo.DEMO_ACCOUNT_NOTIFICATIONS for email in ACCOUNTS)
