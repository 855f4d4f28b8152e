"""Each role sees its own navigation; a page outside the role answers 403 inside the layout."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import check_page, sign_in, sign_out, visit

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

NAV_LINKS = ("Partners", "Users", "Colleagues", "Audit log")
ROLES = {
    "admin@demo.test": ("Partners", "Users", "Audit log"),
    "manager@demo.test": ("Partners", "Audit log"),
    "trainer@demo.test": (),
    "anna@northwind.demo.test": ("Colleagues", "Audit log"),
    "ben@northwind.demo.test": (),
}


def test_each_demo_role_signs_in_sees_its_navigation_and_signs_out(page):
    for email, expected in ROLES.items():
        sign_in(page, email)
        nav = page.get_by_role("navigation", name="Main")
        expect(nav.get_by_role("link", name="Dashboard")).to_be_visible()
        for label in NAV_LINKS:
            links = nav.get_by_role("link", name=label, exact=True)
            if label in expected:
                expect(links, f"{email} sees {label}").to_have_count(1)
            else:
                expect(links, f"{email} does not see {label}").to_have_count(0)
        for label in expected:  # each link leads to a page the role may open
            nav.get_by_role("link", name=label, exact=True).click()
            expect(page.locator("h1")).to_have_text(label)
            check_page(page)
        sign_out(page)
        expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard")).to_have_count(0)


def test_partner_user_opening_partners_sees_the_403_page_in_the_layout(page):
    sign_in(page, "ben@northwind.demo.test")
    visit(page, "/partners", status=403)
    expect(page.locator("h1")).to_have_text("Not allowed")
    expect(page.get_by_role("alert")).to_have_text("You do not have permission to do that.")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Dashboard")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("link", name="Go to the dashboard")).to_be_visible()
