"""The admin's catalogue pages and the partner's order pages render accessibly in Chromium (axe, CSP)."""

from __future__ import annotations

import struct
import zlib

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import check_page, sign_in, sign_out, visit

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_catalogue_admin_pages_are_accessible(page):
    sign_in(page, "admin@demo.test")
    visit(page, "/admin/catalogue/")
    first_product = page.locator("main table tbody tr a").first
    href = first_product.get_attribute("href")
    for path in (href, f"{href}/delete", "/admin/catalogue/products/new", "/admin/catalogue/categories",
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


def _tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\x20\x80\x40")) + chunk(b"IEND", b""))


def test_an_admin_uploads_a_product_image_and_the_settings_page_checks_the_limit(page):
    sign_in(page, "admin@demo.test")
    visit(page, "/admin/catalogue/")
    visit(page, page.locator("main table tbody tr a").first.get_attribute("href"))
    page.set_input_files("#image", files=[{"name": "photo.png", "mimeType": "image/png", "buffer": _tiny_png()}])
    page.locator("#product-image button[type=submit]").first.click()
    expect(page.get_by_role("status").filter(has_text="Image saved.")).to_be_visible()
    image = page.locator("#product-image img.product-image")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth") == 1  # served, and allowed by the CSP
    check_page(page)
    visit(page, "/admin/settings")
    page.get_by_label("Auto-approval limit").fill("-1")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#auto_approval_limit-error")).to_have_text("The amount cannot be negative.")
    check_page(page)


def test_an_admin_adds_a_related_resource_and_a_partner_follows_it_from_the_product_page(page):
    sign_in(page, "admin@demo.test")
    visit(page, "/admin/catalogue/?q=SW-48G")
    visit(page, page.locator("main table tbody tr a").first.get_attribute("href"))
    page.fill("#link-title", "Stacking guide")
    page.fill("#link-url", "javascript:alert(1)")
    page.locator("#link-form button[type=submit]").click()
    expect(page.locator("#link-url-error")).to_contain_text("starting with https:// or http://")
    page.fill("#link-url", "/catalogue/?q=SW-48G")
    page.locator("#link-form button[type=submit]").click()
    expect(page.get_by_role("status").filter(has_text="Related resource added.")).to_be_visible()
    expect(page.locator("#related-resources li a")).to_have_text(["Stacking guide"])
    check_page(page)

    sign_out(page)
    sign_in(page, "anna@northwind.demo.test")
    visit(page, "/catalogue/?q=SW-48G")
    visit(page, page.locator("#results tbody tr a").first.get_attribute("href"))
    link = page.locator("#related-resources a", has_text="Stacking guide")
    expect(link).to_be_visible()
    check_page(page)
    link.click()
    expect(page.locator("#results tbody tr[data-sku='SW-48G']")).to_be_visible()
