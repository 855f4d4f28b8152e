"""A suspended partner's user signs in, sees why on every page, browses, and is told so when adding to the cart."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import check_page, sign_in, visit

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

REASON = "Agreement under review"


def _suspended_partner(live_server) -> None:
    from portal.extensions import db
    from tests.factories import PartnerFactory

    with live_server.app.app_context():
        PartnerFactory(name="Suspended Test Trading", status="suspended", status_reason=REASON)
        db.session.commit()


def test_a_suspended_partners_user_reads_but_is_told_why_they_cannot_order(page, live_server):
    _suspended_partner(live_server)
    live_server.add_user("sam.suspended@example.test", "Sam Suspended", role="partner_user",
                         partner="Suspended Test Trading")
    sign_in(page, "sam.suspended@example.test")
    banner = page.locator("main .suspension-banner")
    expect(banner).to_contain_text("Suspended Test Trading is suspended")
    expect(banner).to_contain_text(REASON)

    visit(page, "/catalogue/")
    expect(banner).to_be_visible()
    row = page.locator("#results tbody tr").filter(has=page.locator("td.stock-in")).first
    form_id = row.locator("form.add-to-cart").get_attribute("id")
    page.locator(f"#{form_id}").get_by_role("button", name="Add to cart").click()
    expect(page.locator("#toasts")).to_contain_text(REASON)
    # htmx logs the refusal (403) it shows as a toast: expected here, and only that
    refused = "console: Response Status Error Code 403 from /cart/add"
    assert [problem for problem in page.e2e_problems if not problem.startswith(refused)] == []
    page.e2e_problems.clear()
    check_page(page)

    visit(page, "/cart/")
    expect(page.locator("main")).to_contain_text("is suspended")
    visit(page, "/orders/")
    expect(banner).to_be_visible()
