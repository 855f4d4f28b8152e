"""Market development funds in the browser: the partner admin requests funds, the channel manager approves a
lower amount, the partner claims with a proof file, the admin approves the claim and records the payment; both
sides see the quarter's allocated / committed / paid / remaining; every page axe-clean (1280 px and 390 px)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal.core.time import utcnow
from tests.e2e.browser import check_page, sign_in, sign_out, visit

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def current_row(page):
    year, month = utcnow().year, utcnow().month
    return page.locator(f'table.mdf-figures tr[data-period="{year}-{(month - 1) // 3 + 1}"]')


def test_request_approve_lower_claim_with_proof_approve_and_pay(page, live_server, tmp_path):
    today = utcnow().date().isoformat()
    # the partner admin (demo: a $50,000 budget, $8,000 approved, $12,000 waiting)
    page.set_viewport_size(DESKTOP)
    sign_in(page, "anna@northwind.demo.test")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="MDF").click()
    expect(page.locator("h1")).to_have_text("Market development funds")
    expect(current_row(page).locator(".remaining")).to_have_text("$42,000.00")
    check_page(page)
    page.get_by_role("button", name="Request funds").click()
    expect(page.locator("h1")).to_have_text("Request funds")
    page.get_by_label("Activity type").select_option("event")
    page.get_by_label("Activity name").fill("E2E partner summit")
    page.get_by_label("Description (goals, audience, channels)").fill("Half-day summit for 40 integrators.")
    page.get_by_label("Starts on").fill(today)
    page.get_by_label("Ends on").fill(today)
    page.get_by_label("Amount requested").fill("50,000.00")  # more than remains: refused in place
    page.get_by_role("button", name="Send the request").click()
    expect(page.locator("#amount-error")).to_contain_text("At most 42000.00 remains")
    check_page(page)
    page.get_by_label("Amount requested").fill("10,000.00")
    page.get_by_role("button", name="Send the request").click()
    expect(page.locator("h1")).to_have_text("E2E partner summit")
    request_path = re.search(r"/mdf/requests/\d+", page.url).group(0)
    check_page(page)
    sign_out(page)

    # the channel manager approves less, on a phone
    page.set_viewport_size(PHONE)
    sign_in(page, "manager@demo.test")
    visit(page, request_path)
    page.get_by_label("Amount to approve").fill("7,500.00")
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.locator("#toasts")).to_contain_text("The request is approved")
    expect(page.locator(".mdf-status")).to_have_text("Approved: claim it")
    check_page(page)
    sign_out(page)

    # the partner claims with a proof file
    page.set_viewport_size(DESKTOP)
    sign_in(page, "anna@northwind.demo.test")
    visit(page, request_path)
    proof = tmp_path / "summit photos.pdf"
    proof.write_bytes(PDF)
    page.get_by_label("Amount spent (to reimburse)").fill("7,200.00")
    page.get_by_label("Leads generated (optional)").fill("18")
    page.get_by_label("Revenue attributed (optional)").fill("30,000.00")
    page.get_by_label(re.compile("Proof of performance")).set_input_files(str(proof))
    page.get_by_role("button", name="Send the claim").click()
    expect(page.locator("#toasts")).to_contain_text("Your claim is sent")
    expect(page.locator(".mdf-files")).to_contain_text("summit photos.pdf")
    check_page(page)
    sign_out(page)

    # the admin approves the claim and records the payment
    sign_in(page, "admin@demo.test")
    visit(page, request_path)
    page.get_by_label("Amount to reimburse").fill("7,000.00")
    page.get_by_role("button", name="Approve the claim").click()
    expect(page.locator("#toasts")).to_contain_text("approved for payment")
    page.get_by_label("Payment reference").fill("E2E-PAY-1")
    page.get_by_role("button", name="Record the payment").click()
    expect(page.locator(".mdf-status")).to_have_text("Paid")
    expect(page.locator(".mdf-budget .paid")).to_have_text("$7,000.00")
    check_page(page)
    visit(page, "/mdf/budgets")
    row = page.locator("tr", has_text="Northwind Trading")
    expect(row.locator(".remaining")).to_have_text("$35,000.00")
    sign_out(page)

    # the partner sees the same figures
    sign_in(page, "anna@northwind.demo.test")
    visit(page, "/mdf/")
    expect(current_row(page).locator(".paid")).to_have_text("$7,000.00")
    expect(current_row(page).locator(".committed")).to_have_text("$8,000.00")
    expect(current_row(page).locator(".remaining")).to_have_text("$35,000.00")
