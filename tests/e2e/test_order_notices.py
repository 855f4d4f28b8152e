"""A partner admin follows all of the company's orders from her profile, then reads a colleague's shipping
notice in her notification list — in the language she switches to — and opens the order from it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import check_page, sign_in, sign_out, visit
from tests.e2e.test_fulfilment import _submitted_order
from tests.e2e.test_language import switch_language

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def _ship(live_server, order_id: int) -> None:
    from sqlalchemy import select

    from portal.accounts.models import User
    from portal.extensions import db
    from portal.orders import lifecycle

    with live_server.app.test_request_context():  # the service translates its messages: a request's locale
        manager = db.session.scalar(select(User).where(User.email == "manager@demo.test"))
        lifecycle.ship(manager, order_id, "DHL Express", "JD0146")
        db.session.commit()


def test_a_partner_admin_follows_the_companys_orders_and_reads_a_colleagues_notice_in_chinese(page, live_server):
    live_server.add_user("fiona.follow@northwind.demo.test", "Fiona Follow", role="partner_admin",
                         partner="Northwind Trading")
    placer = live_server.add_user("pete.placer@northwind.demo.test", "Pete Placer", partner="Northwind Trading")
    order_id, number = _submitted_order(live_server, placer, "approved", "e2e-order-notices-1")

    sign_in(page, "fiona.follow@northwind.demo.test")
    visit(page, "/account/")
    switch = page.get_by_label("Tell me about every order of my company")
    expect(switch).not_to_be_checked()
    switch.check()
    page.get_by_role("button", name="Save order notices").click()
    expect(page.get_by_role("status").filter(has_text="Your order notices are saved.")).to_be_visible()
    expect(page.get_by_label("Tell me about every order of my company")).to_be_checked()
    check_page(page)

    _ship(live_server, order_id)
    visit(page, "/notifications/")
    notice = page.get_by_role("link", name=f"Order {number} (PO PO-E2E-SHIP) is shipped with DHL Express, "
                                            "tracking number JD0146.")
    expect(notice).to_be_visible()
    check_page(page)
    switch_language(page, "zh_Hant")
    notice = page.get_by_role("link", name=f"訂單 {number}（PO PO-E2E-SHIP）已由 DHL Express 出貨，追蹤編號 JD0146。")
    expect(notice).to_be_visible()
    notice.click()
    expect(page).to_have_url(f"{live_server.url}/orders/{order_id}")
    expect(page.locator(".tracking-number")).to_have_text("JD0146")
    check_page(page)
    switch_language(page, "en")
    sign_out(page)
