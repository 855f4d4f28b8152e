"""The channel manager approves and ships an order in the browser; the partner sees the tracking number
on the order page and gets the e-mail."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal.core.time import utcnow
from tests.e2e.browser import check_page, sign_in, sign_out, visit, wait_for_mail

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def _submitted_order(live_server, user_id: int, status: str = "submitted", key: str = "e2e-fulfilment-1",
                     quantity: int = 2) -> tuple[int, str]:
    """A waiting order of the demo manager's partner, placed long ago so it heads the queue."""
    from sqlalchemy import select

    from portal.accounts.models import User
    from portal.catalogue.models import Product
    from portal.extensions import db
    from portal.orders.models import Order, OrderEvent, OrderLine

    with live_server.app.app_context():
        user = db.session.get(User, user_id)
        item = db.session.scalars(select(Product).where(Product.active.is_(True), Product.stock_on_hand >= 5)
                                  .order_by(Product.id)).first()
        created = utcnow() - timedelta(days=2000)
        order = Order(partner_id=user.partner_id, placed_by=user.id, idempotency_key=key,
                      po_number="PO-E2E-SHIP", shipping_address="HQ\n1 Dock Road\nLondon", status=status,
                      requested_date=utcnow().date(), currency=item.currency, created_at=created,
                      total_cents=item.list_price_cents * quantity)
        db.session.add(order)
        db.session.flush()
        order.number = f"ORD-{order.id:06d}"
        db.session.add(OrderLine(order_id=order.id, product_id=item.id, sku=item.sku, name=item.name, quantity=quantity,
                                 list_price_cents=item.list_price_cents, net_unit_cents=item.list_price_cents,
                                 line_total_cents=item.list_price_cents * quantity))
        db.session.add(OrderEvent(order_id=order.id, at=created, actor_id=user.id, to_status="submitted"))
        if status != "submitted":
            order.approved_at = created
            db.session.add(OrderEvent(order_id=order.id, at=created, from_status="submitted", to_status=status))
        db.session.commit()
        return order.id, order.number


def test_the_manager_approves_and_ships_and_the_partner_sees_the_tracking_number(page, live_server):
    email = "sina.ship@northwind.demo.test"
    user_id = live_server.add_user(email, "Sina Ship", role="partner_user", partner="Northwind Trading")
    order_id, number = _submitted_order(live_server, user_id)

    sign_in(page, "manager@demo.test")
    visit(page, "/queue/")
    expect(page.locator("section.kpi")).to_contain_text("Average time to approve")
    row = page.locator(f"#queue-{order_id}")
    expect(row).to_contain_text(number)
    row.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status").filter(has_text=f"Order {number} is approved")).to_be_visible()
    check_page(page)

    page.get_by_role("link", name="To ship").click()
    expect(page).to_have_url(re.compile(r"tab=approved"))
    page.locator(f"#queue-{order_id}").get_by_role("link", name="Ship…").click()
    expect(page.locator("h1")).to_contain_text(number)
    check_page(page)
    page.get_by_role("button", name="Mark shipped").click()  # empty: the messages sit next to the fields
    expect(page.locator("#f-carrier-error")).to_have_text("Enter the carrier.")
    check_page(page)
    page.get_by_label("Carrier").fill("DHL Express")
    page.get_by_label("Tracking number").fill("JD014600006281")
    since = len(live_server.smtp.messages)
    page.get_by_role("button", name="Mark shipped").click()
    expect(page.locator(".tracking-number")).to_have_text("JD014600006281")
    expect(page.locator("h1")).to_contain_text("Shipped")
    check_page(page)
    sign_out(page)

    sign_in(page, email)
    visit(page, f"/orders/{order_id}")
    expect(page.locator(".order-status")).to_have_text("Shipped")
    expect(page.locator(".carrier")).to_have_text("DHL Express")
    expect(page.locator(".tracking-number")).to_have_text("JD014600006281")
    check_page(page)
    mail = wait_for_mail(live_server.smtp, email, since)
    assert mail is not None, live_server.worker_output()[-2000:]
    assert "JD014600006281" in mail.get_body(("plain",)).get_content()


def test_the_partner_cancels_before_shipping_and_asks_for_a_return_that_the_manager_credits(page, live_server):
    email = "rita.return@northwind.demo.test"
    user_id = live_server.add_user(email, "Rita Return", role="partner_user", partner="Northwind Trading")
    approved_id, _ = _submitted_order(live_server, user_id, "approved", "e2e-fulfilment-2")
    delivered_id, delivered = _submitted_order(live_server, user_id, "delivered", "e2e-fulfilment-3", quantity=3)

    sign_in(page, email)
    visit(page, f"/orders/{approved_id}")
    page.get_by_text("Cancel this order").click()
    page.get_by_label("Reason (optional)").fill("Ordered twice")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel order").click()
    expect(page.locator(".order-status")).to_have_text("Cancelled")
    expect(page.locator(".timeline")).to_contain_text("Ordered twice")
    check_page(page)

    visit(page, f"/orders/{delivered_id}")
    page.get_by_role("button", name="Request a return").click()
    expect(page.locator("h1")).to_contain_text(delivered)
    check_page(page)
    page.locator("input[name^=quantity-]").fill("5")
    page.get_by_label("Reason for the return").fill("Two arrived damaged")
    page.get_by_role("button", name="Request the return").click()
    expect(page.locator(".field-error")).to_contain_text("At most 3 can be returned.")
    check_page(page)
    page.locator("input[name^=quantity-]").fill("2")
    page.get_by_role("button", name="Request the return").click()
    expect(page.locator("#returns")).to_contain_text("Two arrived damaged")
    check_page(page)
    sign_out(page)

    sign_in(page, "manager@demo.test")
    visit(page, "/queue/?tab=returns")
    page.get_by_role("row").filter(has_text=delivered).get_by_role("link", name="Review…").click()
    page.get_by_role("button", name=re.compile("^Accept return")).click()
    expect(page.locator(".credit-total")).to_be_visible()
    check_page(page)
    sign_out(page)

    sign_in(page, email)
    visit(page, f"/orders/{delivered_id}")
    expect(page.locator(".order-status")).to_have_text("Returned")
    expect(page.locator(".credit-lines")).to_contain_text("Credit CR-")
