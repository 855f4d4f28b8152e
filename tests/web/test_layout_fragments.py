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
