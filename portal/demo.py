"""Demo data: the accounts the README lists, and (``--scale large``) volume for `make bench`.

Idempotent: rows are looked up by natural key (e-mail, partner name) before being created, so
running the seed twice changes nothing.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, insert, select

from portal.accounts.models import User, new_session_token
from portal.accounts.passwords import hash_password
from portal.core.audit import AuditEntry
from portal.core.permissions import Role
from portal.core.time import utcnow
from portal.extensions import db
from portal.notifications.models import Notification
from portal.notifications.service import notify
from portal.partners.models import Partner

DEMO_PASSWORD = "portal-demo"

VENDOR = [
    ("admin@demo.test", "Ada Admin", Role.ADMIN),
    ("manager@demo.test", "Max Manager", Role.CHANNEL_MANAGER),
    ("trainer@demo.test", "Tess Trainer", Role.TRAINER),
]
PARTNERS = [
    ("Northwind Trading", "reseller", "EMEA", "en", "Europe/London", [
        ("anna@northwind.demo.test", "Anna Andersen", Role.PARTNER_ADMIN),
        ("ben@northwind.demo.test", "Ben Brooks", Role.PARTNER_USER),
    ]),
    ("东风贸易有限公司 (Eastwind)", "distributor", "APAC", "zh_Hans", "Asia/Shanghai", [
        ("chen@eastwind.demo.test", "陈静 (Chen Jing)", Role.PARTNER_ADMIN),
        ("dai@eastwind.demo.test", "戴伟 (Dai Wei)", Role.PARTNER_USER),
    ]),
]

LARGE_PARTNERS = 1_000
LARGE_USERS_PER_PARTNER = 5
LARGE_AUDIT_ENTRIES = 200_000
LARGE_NOTIFICATIONS = 100_000
AUDIT_ACTIONS = ["user.invited", "user.deactivated", "user.reactivated", "user.password_changed",
                 "partner.created", "partner.updated", "api_token.created"]
DEMO_ACCOUNT_NOTIFICATIONS = 30


def _user(email: str, name: str, role: Role, password_hash: str, partner_id: int | None = None,
          locale: str | None = None, timezone: str = "UTC") -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, name=name, role=role, partner_id=partner_id, password_hash=password_hash,
                    locale=locale, timezone=timezone, active=True)
        db.session.add(user)
        db.session.flush()
    return user


def seed(scale: str = "small") -> str:
    password_hash = hash_password(DEMO_PASSWORD)
    before = db.session.scalar(select(func.count()).select_from(User))
    vendor = {email: _user(email, name, role, password_hash) for email, name, role in VENDOR}
    manager = vendor["manager@demo.test"]
    for name, type_, region, locale, tz, people in PARTNERS:
        partner = db.session.scalar(select(Partner).where(Partner.name == name))
        if partner is None:
            partner = Partner(name=name, type=type_, region=region, status="active",
                              channel_manager_id=manager.id)
            db.session.add(partner)
            db.session.flush()
        for email, person, role in people:
            _user(email, person, role, password_hash, partner.id, locale, tz)
    demo_users = db.session.scalars(select(User).where(User.email.like("%demo.test"))).all()
    # One notification each (in their language), so the header badge and the list are not empty.
    notify("demo-welcome", demo_users, "welcome", link="/account/", email=False)
    db.session.commit()
    added = db.session.scalar(select(func.count()).select_from(User)) - before
    summary = f"{added} users added"
    if scale == "large":
        summary += "; " + _seed_large(password_hash, manager.id)
    return summary


def _seed_large(password_hash: str, manager_id: int) -> str:
    """Bulk volume: 1,000 partners with 5 users each, audit history and notifications.

    Inserted with executemany in chunks (no ORM objects), so it takes seconds, not minutes.
    Deterministic (seeded RNG) and idempotent (skipped when the partners exist). The first
    large user (``user0@p<first id>.large.test``, a partner admin) gets a tenth of the
    notifications — the bench reads that list — and every demo account gets a few, so their
    dashboards are not empty.
    """
    if db.session.scalar(select(func.count()).select_from(Partner).where(Partner.name.like("Large %"))):
        return "large data already present"
    rng = random.Random(20261125)
    now = utcnow()
    regions = ["EMEA", "APAC", "NA", "LATAM"]
    types = ["distributor", "reseller", "agent", "retailer", "referral"]
    db.session.execute(insert(Partner), [
        {"name": f"Large {i:04d} {rng.choice(['Systems', 'Trading', 'Solutions', 'Retail'])}",
         "type": rng.choice(types), "region": rng.choice(regions), "status": "active", "status_reason": "",
         "channel_manager_id": manager_id, "created_at": now - timedelta(days=rng.randint(30, 900))}
        for i in range(LARGE_PARTNERS)])
    partner_ids = list(db.session.scalars(
        select(Partner.id).where(Partner.name.like("Large %")).order_by(Partner.id)))
    users = []
    for pid in partner_ids:
        for j in range(LARGE_USERS_PER_PARTNER):
            users.append({"email": f"user{j}@p{pid}.large.test", "name": f"User {j} of {pid}",
                          "role": Role.PARTNER_ADMIN if j == 0 else Role.PARTNER_USER, "partner_id": pid,
                          "password_hash": password_hash, "active": True, "locale": None, "timezone": "UTC",
                          "session_token": new_session_token(), "created_at": now})
    db.session.execute(insert(User), users)
    user_ids = list(db.session.scalars(select(User.id).where(User.email.like("%.large.test")).order_by(User.id)))
    user_partner = dict(db.session.execute(select(User.id, User.partner_id).where(User.id.in_(user_ids))).all())
    chunk = 20_000
    for start in range(0, LARGE_AUDIT_ENTRIES, chunk):
        rows = []
        for _ in range(start, min(start + chunk, LARGE_AUDIT_ENTRIES)):
            actor = rng.choice(user_ids)
            action = rng.choice(AUDIT_ACTIONS)
            if action.startswith("partner."):
                entity_type, entity_id, summary = "Partner", user_partner[actor], "bulk demo history: partner"
            elif action.startswith("api_token."):
                entity_type, entity_id, summary = "ApiToken", None, "bulk demo history: API token"
            else:
                entity_type, entity_id, summary = "User", rng.choice(user_ids), "bulk demo history: user"
            rows.append({"at": now - timedelta(minutes=rng.randint(0, 60 * 24 * 720)), "actor_id": actor,
                         "action": action, "entity_type": entity_type, "entity_id": entity_id,
                         "partner_id": user_partner[actor], "summary": summary, "before": None, "after": None})
        db.session.execute(insert(AuditEntry), rows)
    heavy = user_ids[0]
    demo_ids = list(db.session.scalars(select(User.id).where(User.email.in_(
        [email for email, _n, _r in VENDOR] + [email for *_p, people in PARTNERS for email, _n, _r in people]))))
    demo_share = DEMO_ACCOUNT_NOTIFICATIONS * len(demo_ids)
    for start in range(0, LARGE_NOTIFICATIONS, chunk):
        rows = []
        for n in range(start, min(start + chunk, LARGE_NOTIFICATIONS)):
            if n < demo_share:
                user_id = demo_ids[n % len(demo_ids)]
            elif n % 10 == 0:
                user_id = heavy
            else:
                user_id = rng.choice(user_ids)
            rows.append({"user_id": user_id, "event_key": f"demo:{n}", "message": f"Demo notification {n}",
                         "link": "", "read": rng.random() < 0.7,
                         "created_at": now - timedelta(hours=rng.randint(0, 8000))})
        db.session.execute(insert(Notification), rows)
    db.session.commit()
    return (f"{len(partner_ids)} partners, {len(user_ids)} users, {LARGE_AUDIT_ENTRIES} audit entries, "
            f"{LARGE_NOTIFICATIONS} notifications")
