"""The layout every page shares: each signed-in user sees their own navigation, name, badge counts and
language, and every form on the page carries their own sign-in's CSRF token."""

from __future__ import annotations

import re

from portal.core.permissions import Role
from portal.notifications.models import Notification
from tests import factories
from tests.web.test_catalogue import category, get, product

EN = {"Accept-Language": "en"}


def nav(html: str) -> str:
    found = re.search(r'<ul class="nav-links"[^>]*>(.*?)</ul>', html, re.S)
    assert found, html[:1000]
    return found.group(1)


def body_token(html: str) -> str:
    return re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}', html).group(1)


def test_users_with_different_languages_and_roles_each_see_their_own_navigation(client, login, db):
    admin = factories.vendor(Role.ADMIN)
    admin.locale = "en"
    partner = factories.partner_user(role=Role.PARTNER_USER)
    partner.locale = "zh_Hans"
    db.session.flush()

    pages = []
    for user in (admin, partner, admin, partner):
        login(user)
        pages.append(client.get("/").get_data(as_text=True))
        client.post("/logout")

    english_admin, chinese_partner, english_admin_again, chinese_partner_again = pages
    assert "Dashboard" in nav(english_admin) and "Catalogue admin" in nav(english_admin)
    assert 'data-role="admin"' in english_admin and '<html lang="en"' in english_admin
    assert "仪表板" in nav(chinese_partner) and "Dashboard" not in nav(chinese_partner)
    assert "/catalogue/admin" not in nav(chinese_partner) and 'data-role="partner_user"' in chinese_partner
    assert '<html lang="zh-Hans"' in chinese_partner
    assert nav(english_admin_again) == nav(english_admin)
    assert nav(chinese_partner_again) == nav(chinese_partner)
    assert 'lang="zh-Hans" selected' in chinese_partner and 'lang="en" selected' in english_admin


def test_the_header_shows_each_user_their_own_name_and_counts(client, login, db):
    first = factories.partner_user(role=Role.PARTNER_USER, name="Header Ada")
    second = factories.partner_user(role=Role.PARTNER_USER, name="Header Bo")
    db.session.add(Notification(user_id=second.id, event_key="hdr-1", message="Hello", link="/"))
    db.session.flush()
    pages = {}
    for user in (first, second, first):
        login(user)
        pages.setdefault(user.name, []).append(client.get("/", headers=EN).get_data(as_text=True))
        client.post("/logout")
    ada, bo = pages["Header Ada"][0], pages["Header Bo"][0]
    assert 'class="user-name">Header Ada<' in ada and "Header Bo" not in ada
    assert 'class="user-name">Header Bo<' in bo and "Header Ada" not in bo
    assert 'aria-label="Notifications: 0 unread"' in ada and 'aria-label="Notifications: 1 unread"' in bo
    assert pages["Header Ada"][1].count("Header Bo") == 0


def test_each_sign_in_s_forms_carry_its_own_csrf_token(app, db):
    """The sign-out and language forms and every "Add to cart" row of a page post this sign-in's token."""
    item = product(db, category(db), "ROW-CSRF-1", "Row token router", 1000)
    tokens = []
    for user in (factories.partner_user(), factories.partner_user()):
        browser = app.test_client()  # a session of its own
        assert browser.post("/login", data={"email": user.email, "password": factories.PASSWORD}).status_code == 303
        html = get(browser, "/catalogue/?q=ROW-CSRF-1")
        row = re.search(rf'<tr id="product-{item.id}".*?</tr>', html, re.S).group(0)
        token = body_token(html)
        assert re.findall(r'name="csrf_token" value="([^"]+)"', row) == [token]
        assert set(re.findall(r'name="csrf_token" value="([^"]+)"', html)) == {token}  # + sign-out, language
        tokens.append(token)
    assert tokens[0] != tokens[1]


def test_the_language_form_comes_back_to_this_page_with_its_address_escaped(client, login, db):
    login(factories.partner_user(role=Role.PARTNER_USER))
    html = client.get('/catalogue/?q=a"><b>&sort=name', headers=EN).get_data(as_text=True)
    assert '<input type="hidden" name="next" value="/catalogue/?q=a&#34;&gt;&lt;b&gt;&amp;sort=name">' in html
    assert "<b>" not in html
    other = client.get("/orders/?status=shipped", headers=EN).get_data(as_text=True)
    assert '<input type="hidden" name="next" value="/orders/?status=shipped">' in other
