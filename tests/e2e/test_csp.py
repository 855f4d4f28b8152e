"""No page breaks the Content-Security-Policy after an htmx form submit (htmx's own indicator styles are
off; check_page fails on any CSP violation the browser reports)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import check_page, sign_in, visit

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_an_htmx_invitation_with_errors_and_a_product_edit_keep_the_csp(page):
    sign_in(page, "admin@demo.test")
    visit(page, "/users/invite")
    page.get_by_label("E-mail").fill("not-an-address")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator("main")).to_contain_text("Enter")
    check_page(page)
    visit(page, "/admin/catalogue/")
    page.locator("#results a").first.click()
    page.wait_for_load_state("load")
    name = page.get_by_label("Name", exact=True)
    name.fill("")
    page.get_by_role("button", name="Save product").click()
    expect(page.locator("main")).to_contain_text("Enter")
    check_page(page)
