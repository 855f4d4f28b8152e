"""Announcements: admins and trainers post to everyone or a segment; readers see theirs on the dashboard with
unread state; each recipient is e-mailed once, in their language."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.announcements.models import Announcement
from portal.core.permissions import Role
from portal.notifications.models import OutboxMessage
from tests import factories

pytestmark = pytest.mark.pg


def test_a_segment_gets_the_announcement_by_email_once_each_in_their_language(client, db, login, run_jobs):
    apac = factories.PartnerFactory(region="APAC")
    reader = factories.partner_user(apac, locale="zh_Hant", name="讀者")
    colleague = factories.partner_user(apac)
    outsider = factories.partner_user(factories.PartnerFactory(region="EMEA"))
    login(factories.vendor(Role.TRAINER))
    db.session.commit()
    response = client.post("/announcements/new", data={"title": "APAC roadshow", "body": "Join us **soon**.",
                                                        "audience_regions": ["APAC"], "pinned": "y"})
    assert response.status_code == 303
    item = db.session.scalar(select(Announcement))
    assert item.pinned and item.audience_regions == ",APAC,"
    run_jobs()
    from jobs.training import send_announcement

    send_announcement(item.id)  # again: nobody gets it twice
    sent = db.session.scalars(select(OutboxMessage).where(OutboxMessage.event_key == f"announcement-{item.id}")).all()
    assert sorted(m.recipient for m in sent) == sorted([reader.email, colleague.email])
    chinese = next(m for m in sent if m.recipient == reader.email)
    assert "你好" in chinese.text_body or "您好" in chinese.text_body
    assert outsider.email not in [m.recipient for m in sent]


def test_the_dashboard_shows_my_announcements_unread_until_i_read_them(client, db, login):
    user = factories.partner_user()
    db.session.add_all([Announcement(title="For everyone", body="Hello"),
                        Announcement(title="Only distributors", body="x", audience_types=",distributor,")])
    db.session.commit()
    login(user)
    html = client.get("/").get_data(as_text=True)
    assert "For everyone" in html and "1 unread" in html and "Only distributors" not in html
    item = db.session.scalar(select(Announcement).where(Announcement.title == "For everyone"))
    assert client.post(f"/announcements/{item.id}/read").status_code == 303
    assert "1 unread" not in client.get("/").get_data(as_text=True)
    other = db.session.scalar(select(Announcement).where(Announcement.title == "Only distributors"))
    assert client.get(f"/announcements/{other.id}").status_code == 404


def test_an_expired_announcement_is_no_longer_shown(client, db, login):
    from datetime import timedelta

    from portal.core.time import utcnow

    db.session.add(Announcement(title="Old news", body="x", expires_at=utcnow() - timedelta(minutes=1)))
    user = factories.partner_user()
    db.session.commit()
    login(user)
    assert "Old news" not in client.get("/announcements/").get_data(as_text=True)


def test_partner_people_cannot_post_announcements(client, db, login):
    login(factories.partner_user(role=Role.PARTNER_ADMIN))
    db.session.commit()
    assert client.post("/announcements/new", data={"title": "Spam"}).status_code == 403
