"""Pre-rendered layout and filter pieces (web.fragment) are shared between users only where nothing
differs: each user still sees their own language, role and current data."""

from __future__ import annotations

import re

from portal.catalogue.models import Category
from portal.core.permissions import Role
from tests import factories


def nav(html: str) -> str:
    found = re.search(r'<ul class="nav-links"[^>]*>(.*?)</ul>', html, re.S)
    assert found, html[:1000]
    return found.group(1)


def test_users_with_different_languages_and_roles_each_see_their_own_navigation(app, client, login, db):
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
    assert 'data-role="admin"' in english_admin
    assert "仪表板" in nav(chinese_partner) and "Dashboard" not in nav(chinese_partner)
    assert "/catalogue/admin" not in nav(chinese_partner) and 'data-role="partner_user"' in chinese_partner
    assert nav(english_admin_again) == nav(english_admin)
    assert nav(chinese_partner_again) == nav(chinese_partner)
    assert 'lang="zh-Hans" selected' in chinese_partner and 'lang="en" selected' in english_admin


def test_a_renamed_category_shows_its_new_name_in_the_catalogue_filter(client, login, db):
    category = Category(name="Fragment test cables")
    db.session.add(category)
    db.session.flush()
    login(factories.partner_user(role=Role.PARTNER_USER))

    before = client.get("/catalogue/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f'<option value="{category.id}" >Fragment test cables</option>' in before

    category.name = "Fragment test fibres"
    db.session.flush()
    after = client.get("/catalogue/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Fragment test cables" not in after
    assert f'<option value="{category.id}" >Fragment test fibres</option>' in after

    chosen = client.get(f"/catalogue/?category={category.id}", headers={"Accept-Language": "en"})
    assert f'<option value="{category.id}" selected>Fragment test fibres</option>' in chosen.get_data(as_text=True)


def test_the_header_shows_each_user_their_own_name_and_counts(app, client, login, db):
    from portal.notifications.models import Notification

    first = factories.partner_user(role=Role.PARTNER_USER, name="Header Ada")
    second = factories.partner_user(role=Role.PARTNER_USER, name="Header Bo")
    db.session.add(Notification(user_id=second.id, event_key="hdr-1", message="Hello", link="/"))
    db.session.flush()
    pages = {}
    for user in (first, second, first):
        login(user)
        html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
        pages.setdefault(user.name, []).append(html)
        client.post("/logout")
    ada, bo = pages["Header Ada"][0], pages["Header Bo"][0]
    assert 'class="user-name">Header Ada<' in ada and "Header Bo" not in ada
    assert 'class="user-name">Header Bo<' in bo and "Header Ada" not in bo
    assert 'aria-label="Notifications: 0 unread"' in ada and 'aria-label="Notifications: 1 unread"' in bo
    for html in (ada, bo):
        token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}', html).group(1)
        assert re.findall(r'name="csrf_token" value="([^"]+)"', html) == [token, token]  # sign-out, language
        assert "<!--csrf-->" not in html and "<!--next-->" not in html


def test_the_language_form_comes_back_to_this_page_with_its_address_escaped(client, login, db):
    login(factories.partner_user(role=Role.PARTNER_USER))
    html = client.get('/catalogue/?q=a"><b>&sort=name', headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<input type="hidden" name="next" value="/catalogue/?q=a&#34;&gt;&lt;b&gt;&amp;sort=name">' in html
    assert "<b>" not in html
    other = client.get("/orders/?status=shipped", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<input type="hidden" name="next" value="/orders/?status=shipped">' in other
