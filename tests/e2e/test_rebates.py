"""Rebates in the browser: the admin edits a ladder in the htmx editor and watches the live preview change in
both modes, saves it, runs the quarter's calculation on the real worker watching its progress bar, sees the
summary and approves a statement; the partner sees the statement, downloads its PDF, sees what an order in the
cart adds to the rebate, and the rebates page fits a phone. Every page axe-clean."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import check_page, sign_in, sign_out, visit
from tests.e2e.test_mobile import PHONE, fits

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

PROGRAM = "Quarterly growth rebate"  # the demo's: retroactive, 0 → 2 %, 2,500 → 5 %, 5,000 → 8 %, 10,000 → 10 %
PARTNER = "东风贸易有限公司 (Eastwind)"  # delivered orders this quarter (the demo's), a Chinese name for the PDF


def _occupy_the_worker(live_server, seconds: float) -> None:
    """A job ahead of the calculation in the worker's queue, so the page shows the run waiting first: the
    progress bar is seen before the worker gets to it (one worker takes one job at a time)."""
    from portal.core import queue

    with live_server.app.app_context():
        queue.get_queue().enqueue("time.sleep", seconds)


def _quarter_with_revenue(live_server) -> str:
    """The start of the quarter of the partner's latest delivered order (the demo's: a fortnight or so ago)."""
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.orders.models import Order
    from portal.partners.models import Partner

    with live_server.app.app_context():
        day = db.session.scalar(select(func.max(Order.delivered_at)).join(Partner, Partner.id == Order.partner_id)
                                .where(Partner.name == PARTNER, Order.status == "delivered")).date()
    return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1).isoformat()


def _preview_row(page):
    return page.locator("table.preview tr.typed")


def test_the_admin_edits_a_ladder_calculates_and_approves_and_the_partner_sees_the_statement(page, live_server):
    quarter_start = _quarter_with_revenue(live_server)
    live_server.add_user("ella.rebates@eastwind.demo.test", "Ella Rebates", partner=PARTNER)

    # the admin: the ladder editor and its live preview, both modes side by side
    sign_in(page, "admin@demo.test")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Rebates", exact=True).click()
    expect(page.locator("h1")).to_have_text("Rebate programs")
    check_page(page)
    page.get_by_role("link", name=PROGRAM).click()
    expect(page.locator("h1")).to_have_text(PROGRAM)
    check_page(page)
    page.get_by_label("Try a revenue", exact=True).fill("3000")
    # 3,000 reaches 5 %: retroactive 5 % × 3,000; incremental 2 % × 2,500 + 5 % × 500
    expect(_preview_row(page)).to_contain_text("$150.00")
    expect(_preview_row(page)).to_contain_text("$75.00")
    page.get_by_label("Rate of rung 2 in percent", exact=True).fill("6")
    expect(_preview_row(page)).to_contain_text("$180.00")  # 6 % × 3,000
    expect(_preview_row(page)).to_contain_text("$80.00")  # 50 + 6 % × 500
    page.get_by_label("Threshold of rung 2", exact=True).fill("4000")  # 3,000 is now below it: 2 % in both modes
    expect(_preview_row(page).locator("td").nth(2)).to_have_text("$60.00")
    expect(_preview_row(page).locator("td").nth(3)).to_have_text("$60.00")
    page.get_by_label("Threshold of rung 2", exact=True).fill("3000")  # exactly at the threshold: that rung is reached
    expect(_preview_row(page).locator("td").nth(2)).to_have_text("$180.00")
    expect(_preview_row(page).locator("td").nth(3)).to_have_text("$60.00")  # 2 % × 3,000, nothing above it yet
    page.get_by_label("Threshold of rung 3", exact=True).fill("2000")  # not increasing: the message next to the field
    expect(page.locator("#rung-threshold-2-error")).to_be_visible()
    expect(page.locator("table.preview")).to_have_count(0)
    check_page(page)
    page.get_by_label("Threshold of rung 3", exact=True).fill("5000")
    expect(_preview_row(page).locator("td").nth(2)).to_have_text("$180.00")
    page.get_by_role("button", name="Add a rung").click()
    expect(page.get_by_label("Threshold of rung 5", exact=True)).to_be_visible()
    expect(page.locator(".htmx-request, .htmx-settling")).to_have_count(0)  # the new rung is in place: type
    page.get_by_label("Threshold of rung 5", exact=True).fill("20000")
    expect(page.locator("#rung-rate-4-error")).to_be_visible()  # the rate is still missing
    page.get_by_label("Rate of rung 5 in percent", exact=True).fill("12")
    expect(page.locator("table.preview tr").filter(has_text="20,000 12 %")).to_have_count(1)
    expect(page.locator("#rung-rate-4-error")).to_have_count(0)
    check_page(page)
    page.get_by_role("button", name="Save the program").click()
    expect(page.locator("#toasts")).to_contain_text(f"Rebate program {PROGRAM} is saved.")
    expect(page.get_by_label("Rate of rung 2 in percent", exact=True)).to_have_value("6")
    expect(page.get_by_label("Threshold of rung 5", exact=True)).to_have_value("20000.00")

    # the calculation of the quarter, on the real worker: waiting, then done, on one page that follows it
    _occupy_the_worker(live_server, 3)
    page.locator("#calculation").get_by_label("Period", exact=True).select_option(quarter_start)
    page.get_by_role("button", name="Calculate").click()
    expect(page.locator("h1")).to_contain_text("Calculation #")
    progress = page.locator("#run-progress progress")
    expect(progress).to_be_visible()
    expect(page.locator("#run-progress .run-status")).to_have_text(re.compile("Queued|Running"))
    check_page(page)
    expect(page.locator("#run-progress .run-status")).to_have_text("Done", timeout=30_000)
    expect(progress).to_have_count(0)
    expect(page.locator(".run-summary")).to_contain_text(re.compile(r"\d+ draft statements?, \$[\d,]+\.\d\d in total"))
    check_page(page)
    assert "Traceback" not in live_server.worker_output()

    # the summary leads to the drafts: the admin approves the partner's
    page.get_by_role("link", name="Review and approve them").click()
    expect(page.locator("h1")).to_have_text("Rebate statements")
    row = page.locator("table.rebate-statements tbody tr").filter(has_text=PARTNER)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Draft")
    amount = row.locator("td").nth(6).inner_text()
    number = row.locator("td").nth(1).inner_text()
    check_page(page)
    row.get_by_role("checkbox").check()
    page.get_by_role("button", name="Approve the chosen statements").click()
    expect(page.locator("#toasts")).to_contain_text("1 statement approved.")
    sign_out(page)

    # the partner: the statement, its PDF, and the simulator on the cart
    sign_in(page, "ella.rebates@eastwind.demo.test")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Rebates", exact=True).click()
    expect(page.locator("h1")).to_have_text("Rebates")
    expect(page.locator(".accruals")).to_contain_text(PROGRAM)
    check_page(page)
    page.get_by_role("link", name=number).click()
    expect(page.locator("h1")).to_have_text(f"Statement {number}")
    expect(page.locator(".statement-status")).to_have_text("Approved")
    expect(page.locator(".statement-amount")).to_have_text(amount)
    expect(page.locator("table.statement-lines")).to_contain_text("Order")
    check_page(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    pdf = download.value
    assert pdf.suggested_filename == f"{number}.pdf"
    with open(pdf.path(), "rb") as f:
        assert f.read(5) == b"%PDF-"

    visit(page, "/catalogue/")
    product = page.locator("#results tbody tr").filter(has=page.locator("td.stock-in")).first
    form_id = product.locator("form.add-to-cart").get_attribute("id")
    page.locator(f"#{form_id} button").click()
    expect(page.locator(f"#{form_id} small.added")).to_be_visible()
    visit(page, "/cart/")
    simulator = page.locator(".rebate-simulator")
    expect(simulator).to_contain_text(re.compile(rf"This order adds \$[\d,]+\.\d\d to {PROGRAM}"))
    expect(simulator).to_contain_text("estimated rebate +$")

    # the rebates page on a phone: no sideways scrolling
    page.set_viewport_size(PHONE)
    visit(page, "/rebates/")
    expect(page.locator(".accruals progress").first).to_be_visible()
    fits(page)
    visit(page, page.locator("table.rebate-statements a").first.get_attribute("href"))
    fits(page)
