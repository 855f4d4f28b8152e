"""A partner browses the catalogue: live search in Chinese, their own net price on the product page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import check_page, sign_in, visit

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_a_partner_searches_as_they_type_and_sees_their_tier_price(page):
    sign_in(page, "ben@northwind.demo.test")  # Northwind is a Gold partner: 10 % off list
    visit(page, "/catalogue/")
    rows = page.locator("#results tbody tr")
    expect(rows.first).to_be_visible()
    page.evaluate("window.__marker = 'still here'")

    with page.expect_response(lambda r: "/catalogue/" in r.url and r.request.headers.get("hx-request") == "true"):
        page.locator("#catalogue-q").fill("路由器")
    expect(rows).not_to_have_count(0)
    for text in rows.all_inner_texts():
        assert "路由器" in text
    assert page.evaluate("window.__marker") == "still here"  # swapped in place, no page load
    check_page(page)

    rows.first.get_by_role("link").first.click()
    expect(page.locator("h1")).to_contain_text("路由器")
    expect(page.get_by_text("Gold tier")).to_be_visible()
    check_page(page)
