"""The partner lifecycle in the browser: a company applies on the public page (on a phone), two reviewers score
it, the admin approves, the invitation e-mail's link sets a password and the new partner signs in; a tier
review promotes a qualifying partner."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal.core.time import utcnow
from tests.e2e.browser import check_page, sign_in, sign_out, visit, wait_for_mail

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

CONTACT = "mei.lin@lotus-networks.example"
PASSWORD = "lotus-e2e-password-1"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _score(page, scores: list[int]) -> None:
    # locator.all() does not wait: the scorecard must be on the page before its fieldsets are listed
    expect(page.locator("fieldset.score-choice")).to_have_count(len(scores))
    for fieldset, value in zip(page.locator("fieldset.score-choice").all(), scores, strict=True):
        fieldset.get_by_label(str(value), exact=True).check()
    page.get_by_role("button", name="Save my scores").click()
    expect(page.locator("#toasts")).to_contain_text("Your scores for")
    check_page(page)


def test_an_applicant_applies_two_reviewers_score_the_admin_approves_and_the_partner_signs_in(page, live_server):
    smtp = live_server.smtp
    with smtp.lock:
        before = len(smtp.messages)

    # the applicant, on a phone, without an account
    page.set_viewport_size(PHONE)
    visit(page, "/login")
    page.get_by_role("link", name="Become a partner").click()
    expect(page.locator("h1")).to_have_text("Become a partner")
    check_page(page)
    page.get_by_label("Company name").fill("Lotus Networks Ltd")
    page.get_by_role("button", name="Send application").click()  # most fields missing: errors in place
    expect(page.locator("#motivation-error")).to_have_text("Tell us why you want to partner with us.")
    check_page(page)
    page.get_by_label("Country or region").fill("Singapore")
    page.get_by_label("Sales region").select_option("APAC")
    page.get_by_label("Partner type").select_option("reseller")
    page.get_by_label("Website").fill("lotus-networks.example")
    page.get_by_label("Contact name").fill("Mei Lin")
    page.get_by_label("Contact e-mail").fill(CONTACT)
    page.get_by_label("Employees").select_option("51-200")
    page.get_by_label("Annual revenue").select_option("10m-50m")
    page.get_by_label("Why do you want to partner with us?").fill("Our integrators in Singapore need 5G routers.")
    page.get_by_role("button", name="Send application").click()
    expect(page.locator("h1")).to_have_text("Thank you for applying")
    check_page(page)
    number = re.search(r"APP-\d{6}", page.locator("main").inner_text()).group(0)
    received = wait_for_mail(smtp, CONTACT, since=before)
    assert received is not None and number in received["Subject"], live_server.worker_output()[-2000:]

    # two reviewers score it
    page.set_viewport_size(DESKTOP)
    sign_in(page, "admin@demo.test")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Applications").click()
    expect(page.locator("h1")).to_have_text("Partner applications")
    check_page(page)
    page.get_by_role("link", name=number).click()
    expect(page.locator("h1")).to_have_text("Lotus Networks Ltd")
    _score(page, [4, 3, 5, 2])
    sign_out(page)
    sign_in(page, "manager@demo.test")
    visit(page, "/applications/?sort=newest")
    page.get_by_role("link", name=number).click()
    expect(page.locator("h1")).to_have_text("Lotus Networks Ltd")
    _score(page, [5, 4, 4, 3])
    expect(page.locator("table.scorecard")).to_contain_text("Average of 2 reviewers")
    expect(page.locator("td.average")).to_have_text("77.0")
    sign_out(page)

    # the admin approves: a partner, its partner admin, an invitation
    sign_in(page, "admin@demo.test")
    visit(page, "/applications/?sort=score")
    page.get_by_role("link", name=number).click()
    form = page.locator("#approve-form")
    form.get_by_label("Starting tier").select_option(label="Registered")
    form.get_by_label("Channel manager").select_option(label="Max Manager <manager@demo.test>")
    with smtp.lock:
        before = len(smtp.messages)
    form.get_by_role("button", name="Approve and invite").click()
    expect(page.locator("h1")).to_have_text("Lotus Networks Ltd")
    expect(page.locator("#toasts")).to_contain_text("its partner admin was e-mailed an invitation")
    expect(page.locator("#people")).to_contain_text(CONTACT)
    check_page(page)
    sign_out(page)

    invitation = wait_for_mail(smtp, CONTACT, since=before)
    assert invitation is not None, live_server.worker_output()[-3000:]
    link = re.search(re.escape(live_server.url) + r"/invitation/[A-Za-z0-9_\-]+",
                     invitation.get_body(("plain",)).get_content()).group(0)
    page.set_viewport_size(PHONE)
    visit(page, link)
    page.get_by_label("New password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the new password").fill(PASSWORD)
    page.get_by_role("button", name="Set password").click()
    expect(page.locator("h1")).to_have_text("Sign in")
    sign_in(page, CONTACT, PASSWORD)
    expect(page.locator(".partnership-panel")).to_contain_text("Registered")
    expect(page.locator(".partnership-panel")).to_contain_text("Next tier: Silver")
    check_page(page)


def _qualifying_partner(live_server) -> None:
    """A partner on Registered with 3,000.00 delivered last month (Silver needs 2,500.00) and its admin."""
    from portal.catalogue.models import Tier
    from portal.extensions import db
    from portal.orders.checkout import order_number
    from portal.orders.models import Order, OrderLine
    from portal.partners.models import Partner

    with live_server.app.app_context():
        registered = db.session.query(Tier).filter_by(name="Registered").one()
        partner = Partner(name="Rising Star Trading", type="reseller", region="EMEA", status="active",
                          tier_id=registered.id)
        db.session.add(partner)
        db.session.flush()
        at = utcnow() - timedelta(days=30)
        order = Order(partner_id=partner.id, idempotency_key="e2e-rising", po_number="PO-RISE", shipping_address="x",
                      requested_date=at.date(), status="delivered", currency="USD", total_cents=300_000,
                      created_at=at - timedelta(days=4), delivered_at=at)
        db.session.add(order)
        db.session.flush()
        order.number = order_number(order.id)  # every placed order has its number, as checkout gives it
        db.session.add(OrderLine(order_id=order.id, sku="IR-300", name="Industrial Router IR-300", quantity=1,
                                 list_price_cents=300_000, net_unit_cents=300_000, line_total_cents=300_000))
        db.session.commit()
    live_server.add_user("rita@rising.demo.test", "Rita Rising", role="partner_admin", partner="Rising Star Trading")


def test_a_tier_review_promotes_a_qualifying_partner(page, live_server):
    _qualifying_partner(live_server)
    sign_in(page, "admin@demo.test")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tiers").click()
    expect(page.locator("h1")).to_have_text("Tiers")
    check_page(page)
    page.get_by_role("link", name="Tier reviews").click()
    page.get_by_role("button", name="Run a tier review now").click()
    expect(page.locator("h1")).to_contain_text("Tier review #")
    # the page follows the worker's progress, then links to the results
    expect(page.locator("#review-progress .review-status")).to_have_text("Done", timeout=30_000)
    page.reload()
    row = page.locator("table.tier-changes tr").filter(has_text="Rising Star Trading")
    expect(row).to_contain_text("Promotion: Registered → Silver")
    expect(row).to_contain_text("$3,000.00")
    check_page(page)
    row.get_by_role("button", name="Confirm").click()
    expect(page.locator("#toasts")).to_contain_text("Tier change confirmed.")
    expect(page.locator("table.tier-changes tr").filter(has_text="Rising Star Trading")).to_contain_text("Confirmed")
    sign_out(page)

    sign_in(page, "rita@rising.demo.test")
    expect(page.locator(".partnership-panel .tier-name")).to_have_text("Silver")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Partnership").click()
    expect(page.locator("#tier")).to_contain_text("Registered → Silver")
    check_page(page)
