"""The admin's catalogue pages and the partner's order pages render accessibly in Chromium (axe, CSP)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import sign_in, visit

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_catalogue_admin_pages_are_accessible(page):
    sign_in(page, "admin@demo.test")
    visit(page, "/admin/catalogue/")
    first_product = page.locator("main table tbody tr a").first
    href = first_product.get_attribute("href")
    for path in (href, "/admin/catalogue/products/new", "/admin/catalogue/categories",
                 "/admin/catalogue/tiers", "/admin/catalogue/import"):
        visit(page, path)
        expect(page.locator("h1")).to_be_visible()


def test_a_partners_order_pages_are_accessible(page):
    sign_in(page, "anna@northwind.demo.test")  # the demo seed placed orders for Northwind
    visit(page, "/orders/")
    link = page.locator("#results tbody tr a").first
    expect(link).to_be_visible()
    visit(page, link.get_attribute("href"))
    expect(page.locator("h1")).to_be_visible()


def test_the_order_queue_is_accessible_to_a_channel_manager(page):
    sign_in(page, "manager@demo.test")
    visit(page, "/queue/")
    expect(page.locator("h1")).to_have_text("Order queue")
