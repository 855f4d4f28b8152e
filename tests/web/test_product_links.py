"""A product's related resources: admins add and remove links on the product's edit page; partners see
them on the product's page and in the API. Only web addresses and portal paths, validated on the
server; every change audited; nothing written on bad input."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal import demo
from portal.catalogue import admin as catalogue_admin
from portal.catalogue.models import Product, ProductLink
from portal.core.permissions import Role
from tests import factories
from tests.web import test_catalogue_admin as admin_tests
from tests.web.test_api_products import api, token_for
from tests.web.test_catalogue_admin import EN, audit_entries, category, field_error, product

admin = admin_tests.admin  # a fixture


def links_of(db, item: Product) -> list[tuple[str, str]]:
    return [(row.title, row.url) for row in
            db.session.scalars(select(ProductLink).where(ProductLink.product_id == item.id).order_by(ProductLink.id))]


def add(client, item: Product, title: str, url: str, **extra):
    return client.post(f"/admin/catalogue/products/{item.id}/links",
                       data={"link-title": title, "link-url": url, **extra}, headers=EN)


def related_section(html: str) -> str:
    found = re.search(r'<section id="related-resources">(.*?)</section>', html, re.S)
    assert found, html[-3000:]
    return found.group(1)


def test_an_admin_adds_links_partners_see_them_on_the_product_page_and_each_is_audited(db, client, login, admin):
    item = product(db, category(db), "LNK-1")
    db.session.commit()
    answer = add(client, item, "  Installation guide  ", " https://docs.example.com/lnk-1/install.pdf ")
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"/admin/catalogue/products/{item.id}#related-resources")
    assert add(client, item, "More routers", "/catalogue/?q=router").status_code == 303
    assert links_of(db, item) == [("Installation guide", "https://docs.example.com/lnk-1/install.pdf"),
                                  ("More routers", "/catalogue/?q=router")]
    entries = audit_entries(db, "product.link_added")
    assert [e.after for e in entries] == [
        {"title": "Installation guide", "url": "https://docs.example.com/lnk-1/install.pdf"},
        {"title": "More routers", "url": "/catalogue/?q=router"}]
    assert all(e.actor_id == admin.id and e.entity_id == item.id for e in entries)

    edit_page = client.get(f"/admin/catalogue/products/{item.id}", headers=EN).get_data(as_text=True)
    assert "Installation guide" in related_section(edit_page)

    login(factories.partner_user())
    section = related_section(client.get(f"/catalogue/{item.id}", headers=EN).get_data(as_text=True))
    assert ('<a href="https://docs.example.com/lnk-1/install.pdf" rel="noopener noreferrer">Installation guide</a>'
            ' <small class="muted">docs.example.com</small>') in section
    assert '<a href="/catalogue/?q=router" rel="noopener noreferrer">More routers</a></li>' in section


def test_a_product_without_links_shows_no_related_resources_section(db, client, login):
    item = product(db, category(db), "LNK-0")
    login(factories.partner_user())
    assert 'id="related-resources"' not in client.get(f"/catalogue/{item.id}", headers=EN).get_data(as_text=True)


@pytest.mark.parametrize(("title", "url", "field", "message"), [
    ("", "https://docs.example.com/a", "link-title", "Enter the title partners see."),
    ("x" * 121, "https://docs.example.com/a", "link-title", "Use at most 120 characters."),
    ("Guide", "", "link-url", "Enter a web address (https://…) or a path of the portal (/…)."),
    ("Guide", "https://docs.example.com/" + "a" * 480, "link-url", "Use at most 500 characters."),
    ("Guide", "javascript:alert(1)", "link-url", "starting with https:// or http://"),
    ("Guide", "JavaScript:alert(1)", "link-url", "starting with https:// or http://"),
    ("Guide", "data:text/html,<b>hi</b>", "link-url", "starting with https:// or http://"),
    ("Guide", "//evil.example/x", "link-url", "starting with https:// or http://"),
    ("Guide", "/\\evil.example", "link-url", "starting with https:// or http://"),
    ("Guide", "https://docs.example.com@evil.example/", "link-url", "starting with https:// or http://"),
    ("Guide", "ftp://files.example.com/a", "link-url", "starting with https:// or http://"),
    ("Guide", "https:///no-host", "link-url", "starting with https:// or http://"),
    ("Guide", "https://docs.example.com:99999/", "link-url", "starting with https:// or http://"),
    ("Guide", "https://docs.example.com/a b", "link-url", "starting with https:// or http://"),
    ("Guide", "docs.example.com", "link-url", "starting with https:// or http://"),
])
def test_a_bad_link_is_422_with_the_message_next_to_its_field_and_nothing_is_written(db, client, admin, title, url,
                                                                                      field, message):
    item = product(db, category(db), "LNK-2")
    db.session.commit()
    answer = add(client, item, title, url)
    assert answer.status_code == 422
    assert message in field_error(answer.get_data(as_text=True), field)
    assert links_of(db, item) == []
    assert audit_entries(db, "product.link_added") == []


def test_a_product_has_at_most_ten_links_the_eleventh_is_refused_with_a_message(db, client, admin):
    item = product(db, category(db), "LNK-3")
    db.session.add_all(ProductLink(product_id=item.id, title=f"Guide {n}", url=f"https://docs.example.com/{n}")
                       for n in range(catalogue_admin.MAX_LINKS))
    db.session.commit()
    answer = add(client, item, "One more", "https://docs.example.com/more")
    assert answer.status_code == 422
    assert "at most 10 related resources" in field_error(answer.get_data(as_text=True), "link-url")
    assert len(links_of(db, item)) == catalogue_admin.MAX_LINKS


def test_removing_a_link_is_audited_and_another_products_link_is_not_found(db, client, admin):
    cat = category(db)
    item, other = product(db, cat, "LNK-4"), product(db, cat, "LNK-5")
    mine = ProductLink(product_id=item.id, title="Case study", url="https://www.example.com/case")
    theirs = ProductLink(product_id=other.id, title="Video", url="https://video.example.com/v")
    db.session.add_all([mine, theirs])
    db.session.commit()
    assert client.post(f"/admin/catalogue/products/{item.id}/links/{theirs.id}/remove").status_code == 404
    assert client.post(f"/admin/catalogue/products/{item.id}/links/999999/remove").status_code == 404
    assert client.post(f"/admin/catalogue/products/999999/links/{mine.id}/remove").status_code == 404
    assert add(client, Product(id=999999), "Guide", "https://docs.example.com/a").status_code == 404
    assert links_of(db, other) == [("Video", "https://video.example.com/v")]

    assert client.post(f"/admin/catalogue/products/{item.id}/links/{mine.id}/remove").status_code == 303
    assert links_of(db, item) == []
    [entry] = audit_entries(db, "product.link_removed")
    assert entry.before == {"title": "Case study", "url": "https://www.example.com/case"}
    assert entry.entity_id == item.id


@pytest.mark.parametrize("role", [Role.CHANNEL_MANAGER, Role.TRAINER, Role.PARTNER_ADMIN, Role.PARTNER_USER])
def test_only_an_admin_adds_or_removes_links(db, client, login, role):
    item = product(db, category(db), "LNK-6")
    link = ProductLink(product_id=item.id, title="Guide", url="https://docs.example.com/a")
    db.session.add(link)
    user = factories.vendor(role) if role.is_vendor else factories.partner_user(role=role)
    db.session.commit()
    login(user)
    assert add(client, item, "Mine now", "https://evil.example/").status_code == 403
    assert client.post(f"/admin/catalogue/products/{item.id}/links/{link.id}/remove").status_code == 403
    assert links_of(db, item) == [("Guide", "https://docs.example.com/a")]


def test_a_link_without_the_csrf_token_changes_nothing(app, db, client, admin):
    item = product(db, category(db), "LNK-7")
    db.session.commit()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert add(client, item, "Guide", "https://docs.example.com/a").status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert links_of(db, item) == []


def test_a_links_title_is_text_on_every_page(db, client, login, admin):
    item = product(db, category(db), "LNK-8")
    db.session.commit()
    assert add(client, item, '<script>alert("x")</script>', "https://docs.example.com/a?b=1&c=2").status_code == 303
    for page in (f"/admin/catalogue/products/{item.id}", f"/catalogue/{item.id}"):
        html = related_section(client.get(page, headers=EN).get_data(as_text=True))
        assert "<script>" not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
        assert 'href="https://docs.example.com/a?b=1&amp;c=2"' in html


def test_the_api_gives_a_products_related_resources(db, client):
    item = product(db, category(db), "LNK-9")
    db.session.add(ProductLink(product_id=item.id, title="Installation guide", url="https://docs.example.com/i"))
    headers = token_for(factories.partner_user())
    body = api(client, f"/api/v1/products/{item.id}", headers)
    assert body["resources"] == [{"title": "Installation guide", "url": "https://docs.example.com/i"}]


def test_the_demo_catalogue_has_related_resources_once_however_often_it_is_seeded(db):
    demo.seed("small")
    demo.seed("small")
    er_1000 = db.session.scalar(select(Product).where(Product.sku == "ER-1000"))
    assert [url for _title, url in links_of(db, er_1000)] == [
        url for sku, _title, url in demo.PRODUCT_LINKS if sku == "ER-1000"]
    assert db.session.scalar(select(func.count()).select_from(ProductLink)) == len(demo.PRODUCT_LINKS)
