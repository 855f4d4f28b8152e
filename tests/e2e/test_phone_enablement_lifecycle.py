"""On a phone (390×844) the pages of enablement (courses, lessons, the quiz, certificates, the public check, the
resource library, announcements, the trainer's pages) and of the partner lifecycle (the public application,
applications and their scorecard, tiers and reviews, the partner page, agreements, evaluations, the
partnership page) are no wider than the screen. Each page is checked with axe-core at this width too."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal.training.demo import COURSE
from tests.e2e.browser import check_page, sign_in, sign_out, visit
from tests.e2e.test_language import switch_language
from tests.e2e.test_mobile import PHONE, fits

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def visit_fits(page, path: str) -> None:
    visit(page, path)
    fits(page)


def follow_first(page, selector: str, url: str) -> None:
    """Open the first link matching ``selector`` and check that page fits too."""
    link = page.locator(selector).first
    expect(link).to_be_visible()
    link.click()
    expect(page).to_have_url(re.compile(url))
    check_page(page)
    fits(page)


def test_a_partners_enablement_pages_fit_a_phone(page, live_server):
    live_server.add_user("pat.phone@northwind.demo.test", "Pat Phone", partner="Northwind Trading")
    page.set_viewport_size(PHONE)
    sign_in(page, "pat.phone@northwind.demo.test")
    fits(page)  # the dashboard with its learning panel and announcements
    visit_fits(page, "/courses/")
    follow_first(page, "main table a[href^='/courses/']", r"/courses/\d+$")
    page.get_by_role("button", name="Enrol").click()
    expect(page.locator("#quiz")).to_be_visible()
    fits(page)
    follow_first(page, "#lessons a[href^='/lessons/']", r"/lessons/\d+$")
    page.go_back()
    page.get_by_role("button", name="Take the quiz").click()
    expect(page.locator("h1")).to_contain_text("Quiz")
    check_page(page)
    fits(page)
    for path in ("/certificates/", "/resources/", "/announcements/", "/partnership", "/verify/"):
        visit_fits(page, path)

    sign_out(page)
    sign_in(page, "anna@northwind.demo.test")  # holds a certificate
    visit_fits(page, "/certificates/")
    follow_first(page, "main a[href^='/certificates/']", r"/certificates/\d+$")
    number = re.search(r"CERT-[A-Z2-9]{5}-[A-Z2-9]{5}", page.locator("article.certificate").inner_text()).group(0)
    visit_fits(page, "/resources/")
    follow_first(page, "main table a[href^='/resources/']", r"/resources/\d+$")
    visit_fits(page, "/announcements/")
    follow_first(page, "ul.announcements a", r"/announcements/\d+$")
    visit_fits(page, "/partnership")
    visit_fits(page, f"/verify/{number}")


def test_a_trainers_pages_fit_a_phone(page, live_server):
    page.set_viewport_size(PHONE)
    sign_in(page, "trainer@demo.test")
    fits(page)  # the dashboard with the training panel
    visit_fits(page, "/training/")
    page.get_by_role("link", name=COURSE).first.click()
    expect(page.locator("h1")).to_have_text(COURSE)
    check_page(page)
    fits(page)
    follow_first(page, "#lessons a[href^='/training/lessons/']", r"/training/lessons/\d+$")
    for path in ("/training/courses/new", "/training/certifications/", "/training/certifications/new",
                 "/training/reports", "/training/reports?table=partners", "/training/reports?table=expiring&days=90",
                 "/training/reports?table=feedback", "/resources/", "/resources/new", "/announcements/",
                 "/announcements/new"):
        visit_fits(page, path)


def test_the_partner_lifecycle_pages_fit_a_phone(page, live_server):
    page.set_viewport_size(PHONE)
    visit_fits(page, "/apply")
    sign_in(page, "admin@demo.test")
    visit_fits(page, "/applications/")
    follow_first(page, "#results a[href^='/applications/']", r"/applications/\d+$")
    for path in ("/applications/scorecard", "/admin/tiers", "/admin/tier-reviews", "/partners/"):
        visit_fits(page, path)
    page.get_by_role("link", name="Northwind Trading").first.click()
    expect(page.locator("h1")).to_have_text("Northwind Trading")
    check_page(page)
    fits(page)
    partner_url = page.url
    follow_first(page, "#evaluations a", r"/evaluations/\d+$")
    page.goto(partner_url)
    follow_first(page, "a[href$='/agreements/new'], a[href*='/renew']", r"/agreements/")

    sign_out(page)
    sign_in(page, "manager@demo.test")
    visit_fits(page, "/applications/")
    visit_fits(page, "/partners/")


def test_the_pages_of_both_areas_fit_a_phone_in_chinese(page, live_server):
    live_server.add_user("zhou.admin@demo.test", "Zhou Admin", role="admin")
    live_server.add_user("zhao.partner@northwind.demo.test", "Zhao Partner", role="partner_admin",
                         partner="Northwind Trading")
    page.set_viewport_size(PHONE)
    for email, paths in (
            ("zhao.partner@northwind.demo.test", ("/", "/courses/", "/certificates/", "/resources/",
                                                  "/announcements/", "/partnership")),
            ("zhou.admin@demo.test", ("/", "/training/", "/training/certifications/", "/training/reports",
                                      "/resources/", "/announcements/new", "/applications/",
                                      "/applications/scorecard", "/admin/tiers", "/admin/tier-reviews",
                                      "/partners/"))):
        sign_in(page, email)
        switch_language(page, "zh_Hans")
        expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
        for path in paths:
            visit_fits(page, path)
        if email.startswith("zhou"):
            page.locator("#results a[href^='/partners/']").first.click()
            expect(page).to_have_url(re.compile(r"/partners/\d+$"))
            check_page(page)
            fits(page)
        page.locator("form[action='/logout'] button").click()
        expect(page).to_have_url(re.compile(r"/login"))
    visit_fits(page, "/apply")
