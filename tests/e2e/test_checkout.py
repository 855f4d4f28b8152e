"""A partner checks out in the browser; a double click on "Place order" still makes one order."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal.core.time import utcnow
from tests.e2e.browser import check_page, sign_in, visit

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def _orders_with_po(live_server, po: str) -> int:
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.orders.models import Order

    with live_server.app.app_context():
        return db.session.scalar(select(func.count()).select_from(Order).where(Order.po_number == po))


def test_double_clicking_place_order_creates_one_order(page, live_server):
    live_server.add_user("otto.order@northwind.demo.test", "Otto Order", role="partner_user",
                         partner="Northwind Trading")
    sign_in(page, "otto.order@northwind.demo.test")
    visit(page, "/catalogue/")
    row = page.locator("#results tbody tr").filter(has=page.locator("td.stock-in")).first
    form_id = row.locator("form.add-to-cart").get_attribute("id")
    page.locator(f"#{form_id}").get_by_role("button", name="Add to cart").click()
    expect(page.locator(f"#{form_id} small.added")).to_be_visible()

    visit(page, "/checkout")
    page.fill("#f-po_number", "PO-E2E-DOUBLE")
    page.locator("input[name=address_id]").first.check()
    page.fill("#f-requested_date", (utcnow().date() + timedelta(days=7)).isoformat())
    check_page(page)
    page.locator("button.place-order").dblclick()

    expect(page).to_have_url(re.compile(r"/orders/\d+$"))
    expect(page.locator("main")).to_contain_text("PO-E2E-DOUBLE")
    expect(page.get_by_role("status").filter(has_text=re.compile(r"Order .* is placed\."))).to_be_visible()
    check_page(page)
    assert _orders_with_po(live_server, "PO-E2E-DOUBLE") == 1
    visit(page, "/orders/")
    expect(page.locator("#results")).to_contain_text("PO-E2E-DOUBLE")
    check_page(page)
