"""Two partners register the same customer under different spellings in the browser; the second is hinted
that a similar customer may exist (nothing more); the manager sees the conflict side by side and approves the
first, which rejects the other."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal.core.time import utcnow
from tests.e2e.browser import check_page, sign_in, sign_out, visit

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def _sku(live_server) -> str:
    from sqlalchemy import select

    from portal.catalogue.models import Product
    from portal.extensions import db

    with live_server.app.app_context():
        return db.session.scalar(select(Product.sku).where(Product.active.is_(True)).order_by(Product.id).limit(1))


def _statuses(live_server) -> list[tuple[str, str]]:
    from sqlalchemy import select

    from portal.deals.models import Deal
    from portal.extensions import db

    with live_server.app.app_context():
        return [tuple(row) for row in db.session.execute(select(Deal.customer_name, Deal.status).where(
            Deal.domain_key == "wingtipgadgets.com").order_by(Deal.id))]


def _register(page, customer: str, domain: str, sku: str) -> None:
    visit(page, "/deals/new")
    page.fill("#customer_name", customer)
    page.fill("#customer_domain", domain)
    page.fill("#region", "EMEA")
    page.fill("#sku_1", sku)
    page.fill("#quantity_1", "3")
    page.fill("#estimated_value", "40,000.00")
    page.fill("#expected_close", (utcnow().date() + timedelta(days=30)).isoformat())


def test_two_partners_register_one_customer_and_the_manager_approves_the_first(page, live_server):
    sku = _sku(live_server)
    live_server.add_user("nora.deals@northwind.demo.test", "Nora Deals", partner="Northwind Trading")
    live_server.add_user("erin.deals@eastwind.demo.test", "Erin Deals", partner="东风贸易有限公司 (Eastwind)")
    sign_in(page, "nora.deals@northwind.demo.test")
    _register(page, "Wingtip Gadgets, Inc.", "https://www.wingtipgadgets.com", sku)
    check_page(page)
    page.get_by_role("button", name="Register deal").click()
    expect(page).to_have_url(re.compile(r"/deals/\d+$"))
    expect(page.locator(".deal-status")).to_have_text("Under review")
    sign_out(page)

    sign_in(page, "erin.deals@eastwind.demo.test")
    _register(page, "WINGTIP GADGETS LLC", "sales@wingtipgadgets.com", sku)
    expect(page.locator("#deal-hint .deal-hint")).to_be_visible()  # the live hint while typing
    hint = page.locator("#deal-hint").inner_text()
    assert "Northwind" not in hint and "Wingtip Gadgets, Inc." not in hint
    check_page(page)
    page.locator("#deal-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/deals/\d+$"))
    second = int(page.url.rsplit("/", 1)[1])
    assert "Northwind" not in page.locator("main").inner_text()
    sign_out(page)

    sign_in(page, "manager@demo.test")
    visit(page, f"/deal-review/{second}")
    conflicts = page.locator("table.deal-conflicts")
    expect(conflicts).to_contain_text("Northwind Trading")
    expect(conflicts).to_contain_text("Wingtip Gadgets, Inc.")
    expect(conflicts).to_contain_text("same domain")
    check_page(page)
    page.set_viewport_size({"width": 390, "height": 844})
    check_page(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Approve the earliest, reject the others").click()
    expect(page.get_by_role("status").filter(has_text=re.compile(r"the earliest registration, is approved"))
           ).to_be_visible()
    assert _statuses(live_server) == [("Wingtip Gadgets, Inc.", "approved"), ("WINGTIP GADGETS LLC", "rejected")]


def test_the_deal_pages_fit_a_phone_in_english_and_in_chinese(page, live_server):
    from tests.e2e.test_language import switch_language
    from tests.e2e.test_mobile import PHONE, fits, on_screen

    live_server.add_user("pia.phone@northwind.demo.test", "Pia Phone", partner="Northwind Trading")
    live_server.add_user("rex.review@demo.test", "Rex Review", role="admin")
    page.set_viewport_size(PHONE)
    for email, pages, rows in (("pia.phone@northwind.demo.test", ("/deals/", "/deals/new"), "table.deals"),
                               ("rex.review@demo.test", ("/deal-review/", "/deal-review/settings"),
                                "table.deal-queue")):
        sign_in(page, email)
        for language in ("en", "zh_Hans"):
            for path in pages:
                visit(page, path)
                fits(page)
            visit(page, pages[0])
            links = page.locator(f"{rows} tbody tr a")
            assert links.count() >= 2  # the demo's registrations
            for href in [links.nth(i).get_attribute("href") for i in range(min(links.count(), 3))]:
                visit(page, href)  # a registration: its history, conflicts side by side, actions
                fits(page)
                on_screen(page.locator("main h1"))
            if language == "en":
                switch_language(page, "zh_Hans")
        switch_language(page, "en")
        sign_out(page)
