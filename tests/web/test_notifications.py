"""The in-app notification list, its unread badge in the header, marking read (page and htmx)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.core.time import utcnow
from portal.notifications.models import Notification
from portal.notifications.service import notify
from tests import factories

HX = {"HX-Request": "true"}


def add(user, message: str, minutes_ago: int = 0, read: bool = False, link: str = "") -> Notification:
    from portal.extensions import db

    row = Notification(user_id=user.id, event_key=f"test:{message}", message=message, link=link, read=read,
                       created_at=utcnow() - timedelta(minutes=minutes_ago))
    db.session.add(row)
    db.session.flush()
    return row


def badge(html: str) -> str:
    """The unread count shown in the header badge ('' when there is none)."""
    anchor = re.search(r'<a [^>]*id="notification-badge".*?</a>', html, re.S).group(0)
    count = re.search(r'<span class="badge">(\d+)</span>', anchor)
    return count.group(1) if count else ""


def is_read(row: Notification) -> bool:
    from portal.extensions import db

    db.session.expire_all()
    return db.session.scalar(select(Notification.read).where(Notification.id == row.id))


@pytest.fixture
def me(login):
    user = factories.partner_user()
    login(user)
    return user


def test_the_list_shows_my_notifications_newest_first_and_nobody_elses(client, me):
    add(me, "Order 7 shipped", minutes_ago=30)
    add(me, "Deal 3 approved", minutes_ago=5)
    add(factories.partner_user(), "Someone else's secret")
    page = client.get("/notifications/").get_data(as_text=True)
    assert page.index("Deal 3 approved") < page.index("Order 7 shipped")
    assert "Someone else&#39;s secret" not in page and "Someone else's secret" not in page


def test_the_header_badge_counts_my_unread_notifications_on_every_page(client, me):
    add(me, "one")
    add(me, "two")
    add(me, "old news", read=True)
    add(factories.partner_user(), "not mine")
    assert badge(client.get("/").get_data(as_text=True)) == "2"
    assert badge(client.get("/notifications/").get_data(as_text=True)) == "2"


def test_marking_one_read_lowers_the_unread_count(client, me):
    first = add(me, "one")
    second = add(me, "two")
    response = client.post(f"/notifications/{first.id}/read")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/notifications/")
    assert is_read(first) and not is_read(second)
    assert badge(client.get("/").get_data(as_text=True)) == "1"


def test_marking_read_returns_to_the_page_it_came_from(client, me):
    row = add(me, "one")
    response = client.post(f"/notifications/{row.id}/read", data={"next": "/?tab=news"})
    assert response.headers["Location"] == "/?tab=news"
    response = client.post("/notifications/read-all", data={"next": "https://evil.test/"})
    assert response.headers["Location"].endswith("/notifications/")


def test_marking_another_users_notification_read_is_404_and_changes_nothing(client, me):
    theirs = add(factories.partner_user(partner=me.partner), "a colleague's")
    response = client.post(f"/notifications/{theirs.id}/read")
    assert response.status_code == 404
    assert not is_read(theirs)


def test_mark_all_read_clears_the_badge_and_leaves_others_unread(client, me):
    mine = [add(me, "one"), add(me, "two")]
    theirs = add(factories.partner_user(), "theirs")
    assert client.post("/notifications/read-all").status_code == 303
    assert all(is_read(row) for row in mine) and not is_read(theirs)
    page = client.get("/notifications/").get_data(as_text=True)
    assert badge(page) == ""
    assert "Mark read</button>" not in page and "Mark all as read" not in page


def test_an_htmx_request_gets_only_the_list_fragment(client, me):
    add(me, "Deal 3 approved")
    full = client.get("/notifications/")
    fragment = client.get("/notifications/", headers=HX)
    assert "<html" in full.get_data(as_text=True)
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200
    assert html.lstrip().startswith('<div id="notification-list">')
    assert "<html" not in html and "<h1>" not in html
    assert "Deal 3 approved" in html
    assert "HX-Request" in fragment.headers["Vary"] and "HX-Request" in full.headers["Vary"]


def test_marking_read_over_htmx_answers_the_list_and_tells_the_badge_to_refresh(client, me):
    row = add(me, "Deal 3 approved")
    response = client.post(f"/notifications/{row.id}/read", headers=HX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="notification-list">') and "<html" not in html
    assert response.headers["HX-Trigger"] == "notifications-changed"
    assert f"/notifications/{row.id}/read" not in html  # no "mark read" button left for it
    assert is_read(row)
    response = client.post("/notifications/read-all", headers=HX)
    assert response.headers["HX-Trigger"] == "notifications-changed"


def test_the_badge_endpoint_answers_the_current_count(client, me):
    first = add(me, "one")
    add(me, "two")
    response = client.get("/notifications/badge", headers=HX)
    assert response.status_code == 200 and badge(response.get_data(as_text=True)) == "2"
    assert "Notifications: 2 unread" in response.get_data(as_text=True)
    client.post(f"/notifications/{first.id}/read")
    assert badge(client.get("/notifications/badge", headers=HX).get_data(as_text=True)) == "1"


def test_an_event_shows_up_in_the_list_with_its_link(app, client, me):
    notify("test:reset", [me], "password_reset", link="/reset/abc", hours=2, email=False)
    page = client.get("/notifications/").get_data(as_text=True)
    assert '<a href="/reset/abc">A password reset link was sent to you.</a>' in page
    assert badge(page) == "1"


def test_more_than_a_page_of_notifications_shows_a_next_link(client, me):
    for n in range(26):
        add(me, f"note {n:02d}", minutes_ago=n)
    first = client.get("/notifications/").get_data(as_text=True)
    assert "note 00" in first and "note 24" in first and "note 25" not in first
    assert 'rel="next"' in first
    second = client.get("/notifications/?page=2").get_data(as_text=True)
    assert "note 25" in second and "note 24" not in second and 'rel="prev"' in second


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/notifications/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = client.get("/notifications/badge", headers=HX)
    assert response.status_code == 401 and "/login" in response.headers["HX-Redirect"]


def test_marking_read_without_a_csrf_token_is_refused(app, client, me):
    row = add(me, "one")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(f"/notifications/{row.id}/read")
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert not is_read(row)
