"""On a phone (390×844): no page is wider than the screen, tables stack, the navigation folds into a menu, and
prices, quantities and "Add to cart" are on screen — in English and in Chinese. Every page is checked with
axe-core at this width too (``visit``/``check_page``)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal.core.time import utcnow
from tests.e2e.browser import check_page, sign_in, visit
from tests.e2e.test_language import switch_language

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

PHONE = {"width": 390, "height": 844}

# what sticks out, for the failure message
_WIDER = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > innerWidth + 0.5)
  .slice(0, 8).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : '')
  + ' right=' + Math.round(e.getBoundingClientRect().right))"""


def fits(page) -> None:
    """The page is no wider than the phone's screen."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], (page.url, width, page.evaluate(_WIDER))


def on_screen(locator) -> None:
    """The element is visible and lies within the screen's width (no horizontal scrolling to reach it)."""
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box


def each_on_one_line(links) -> None:
    """Navigation items never wrap (Chinese would break one character per line): each one's text lies on one line."""
    for i in range(links.count()):
        lines = links.nth(i).evaluate("""e => { const r = document.createRange(); r.selectNodeContents(e);
            return new Set([...r.getClientRects()].filter(b => b.width > 0).map(b => Math.round(b.top))).size; }""")
        assert lines == 1, (links.nth(i).inner_text(), lines)


def catalogue_add_and_check_out(page, po: str) -> None:
    visit(page, "/catalogue/")
    fits(page)
    row = page.locator("#results tbody tr").filter(has=page.locator("td.stock-in")).first
    assert row.evaluate("e => getComputedStyle(e).display") == "block"  # stacked: a row is a block of lines
    for part in (".net-price", "input[name=quantity]", "form.add-to-cart button"):
        on_screen(row.locator(part))
    form_id = row.locator("form.add-to-cart").get_attribute("id")
    page.locator(f"#{form_id} button").click()
    expect(page.locator(f"#{form_id} small.added")).to_be_visible()
    fits(page)

    visit(page, "/cart/")
    fits(page)
    line = page.locator("table.cart tbody tr").first
    for part in (line.locator("input[name=quantity]"), line.locator(".line-total"), line.locator(".unit-price")):
        on_screen(part)
    on_screen(page.locator(".cart-total-amount").first)

    visit(page, "/checkout")
    fits(page)
    page.fill("#f-po_number", po)
    page.locator("input[name=address_id]").first.check()
    page.fill("#f-requested_date", (utcnow().date() + timedelta(days=7)).isoformat())
    on_screen(page.locator("button.place-order"))
    page.locator("button.place-order").click()
    expect(page).to_have_url(re.compile(r"/orders/\d+$"))
    check_page(page)
    fits(page)
    on_screen(page.locator(".order-total"))
    visit(page, "/orders/")
    fits(page)


def test_a_partner_orders_on_a_phone_in_english_and_in_chinese(page, live_server):
    live_server.add_user("phil.phone@northwind.demo.test", "Phil Phone", role="partner_user",
                         partner="Northwind Trading")
    page.set_viewport_size(PHONE)
    sign_in(page, "phil.phone@northwind.demo.test")
    fits(page)  # the dashboard
    catalogue_add_and_check_out(page, "PO-PHONE-EN")

    visit(page, "/")
    switch_language(page, "zh_Hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    visit(page, "/")
    fits(page)
    catalogue_add_and_check_out(page, "PO-PHONE-ZH")
    page.locator(".nav-menu > summary").click()
    each_on_one_line(page.locator(".nav-menu a"))


def test_the_menu_opens_and_navigates_on_a_phone(page, live_server):
    live_server.add_user("mona.menu@northwind.demo.test", "Mona Menu", role="partner_admin",
                         partner="Northwind Trading")
    page.set_viewport_size(PHONE)
    sign_in(page, "mona.menu@northwind.demo.test")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Orders", exact=True)).to_have_count(0)  # folded away
    menu = nav.locator("details.nav-menu")
    menu.get_by_text("Menu").click()
    expect(menu.get_by_role("link", name="Orders", exact=True)).to_be_visible()
    check_page(page)
    fits(page)
    menu.get_by_role("link", name="Orders", exact=True).click()
    expect(page.locator("h1")).to_have_text("Orders")
    expect(page).to_have_url(re.compile(r"/orders/$"))
    check_page(page)
    fits(page)


def test_the_order_queue_and_an_order_fit_a_phone_in_english_and_in_chinese(page, live_server):
    live_server.add_user("quinn.queue@demo.test", "Quinn Queue", role="admin")
    page.set_viewport_size(PHONE)
    sign_in(page, "quinn.queue@demo.test")
    for _language in ("en", "zh_Hans"):
        fits(page)
        for tab in ("submitted", "approved", "all"):
            visit(page, f"/queue/?tab={tab}")
            fits(page)
        link = page.locator("#results tbody tr a").first
        on_screen(link)
        link.click()
        expect(page).to_have_url(re.compile(r"/queue/\d+$"))
        check_page(page)
        fits(page)
        for path in ("/partners/", "/users/", "/audit/", "/notifications/", "/admin/catalogue/"):
            visit(page, path)
            fits(page)
        if _language == "en":
            visit(page, "/")
            switch_language(page, "zh_Hans")
    page.locator(".nav-menu > summary").click()
    each_on_one_line(page.locator(".nav-menu a"))


def test_chinese_navigation_items_stay_on_one_line_on_a_wide_screen(page, live_server):
    live_server.add_user("wen.wide@demo.test", "Wen Wide", role="admin")
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, "wen.wide@demo.test")
    switch_language(page, "zh_Hans")
    expect(page.locator(".nav-menu")).to_be_hidden()
    each_on_one_line(page.locator(".nav-row a"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
