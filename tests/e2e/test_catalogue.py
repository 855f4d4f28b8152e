"""A partner browses the catalogue: live search in Chinese, their own net price on the product page."""

from __future__ import annotations

import re

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
    # the response arrives before htmx swaps it in: wait for the swap, not just the response
    expect(rows.filter(has_not_text="路由器")).to_have_count(0)
    expect(rows).not_to_have_count(0)
    assert page.evaluate("window.__marker") == "still here"  # swapped in place, no page load
    check_page(page)

    rows.first.get_by_role("link").first.click()
    expect(page.locator("h1")).to_contain_text("路由器")
    expect(page.get_by_text("Gold tier")).to_be_visible()
    check_page(page)


def test_a_partner_adds_two_products_and_changes_a_quantity_in_place(page, live_server):
    live_server.add_user("carla.cart@northwind.demo.test", "Carla Cart", role="partner_user",
                         partner="Northwind Trading")
    sign_in(page, "carla.cart@northwind.demo.test")
    visit(page, "/catalogue/")
    forms = page.locator("#results tbody tr").filter(has=page.locator("td.stock-in")).locator("form.add-to-cart")
    for index in (0, 1):
        form_id = forms.nth(index).get_attribute("id")
        page.locator(f"#{form_id}").get_by_role("button", name="Add to cart").click()
        expect(page.locator(f"#{form_id} small.added")).to_be_visible()  # the form swapped in place
    expect(page.locator("#cart-badge .badge")).to_have_text("2")  # out-of-band badge update
    check_page(page)

    visit(page, "/cart/")
    rows = page.locator("#cart tbody tr")
    expect(rows).to_have_count(2)
    first = rows.first
    unit = first.locator(".unit-price").inner_text()
    page.evaluate("window.__marker = 'still here'")
    quantity = first.locator("input[name=quantity]")
    quantity.fill("7")
    quantity.press("Enter")
    expect(page.locator("#cart tbody tr").first.locator("input[name=quantity]")).to_have_value("7")
    expect(page.locator("#cart tbody tr").first.locator(".line-total")).not_to_have_text(unit)
    assert page.evaluate("window.__marker") == "still here"
    check_page(page)

    total = page.locator("#cart .cart-total-amount").inner_text()
    page.locator("#cart tbody tr").nth(1).get_by_role("button", name=re.compile("Remove")).click()
    expect(page.locator("#cart tbody tr")).to_have_count(1)
    expect(page.locator("#cart .cart-total-amount")).not_to_have_text(total)
    expect(page.locator("#cart-badge .badge")).to_have_text("1")
    assert page.evaluate("window.__marker") == "still here"
    check_page(page)


def test_a_quantity_below_the_minimum_is_refused_by_the_server_with_the_message_at_the_line(page, live_server):
    """The browser's own min check used to stop the request: the field showed the new number while the line,
    the total and checkout kept the old one, and nobody said why."""
    live_server.add_user("mo.minimum@northwind.demo.test", "Mo Minimum", role="partner_user",
                         partner="Northwind Trading")
    sign_in(page, "mo.minimum@northwind.demo.test")
    visit(page, "/catalogue/?q=SW-8U")
    form = page.locator("form.add-to-cart").first
    form.locator("input[name=quantity]").fill("3")
    form.get_by_role("button", name="Add to cart").click()
    expect(page.locator("form.add-to-cart .field-error").first).to_have_text(
        "The minimum order for this product is 10.")
    page.locator("form.add-to-cart input[name=quantity]").first.fill("10")
    page.locator("form.add-to-cart").first.get_by_role("button", name="Add to cart").click()
    expect(page.locator("form.add-to-cart small.added").first).to_be_visible()

    visit(page, "/cart/")
    total = page.locator("#cart .cart-total-amount").inner_text()
    quantity = page.locator("#cart tbody tr").first.locator("input[name=quantity]")
    quantity.fill("5")
    quantity.press("Enter")
    row = page.locator("#cart tbody tr").first
    expect(row.locator(".field-error")).to_have_text("The minimum order for this product is 10.")
    expect(row.locator("input[name=quantity]")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#cart .cart-total-amount")).to_have_text(total)
    check_page(page)
