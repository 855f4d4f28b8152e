"""Out of stock in the browser: "Notify me when in stock" instead of "Add to cart", toggled in place; when an
admin puts stock back the partner finds the notice, which leads to the product."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import check_page, sign_in, sign_out, visit

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def _sold_out_product(live_server) -> tuple[int, str]:
    from portal.catalogue.models import Category, Product
    from portal.extensions import db

    with live_server.app.app_context():
        category = db.session.query(Category).first()
        item = Product(sku="E2E-SOLDOUT", name="Sold-out Switch", description="", category_id=category.id,
                       list_price_cents=5000, currency="USD", unit="each", stock_on_hand=0, min_order_qty=1)
        db.session.add(item)
        db.session.commit()
        return item.id, item.sku


def test_a_partner_asks_to_be_notified_and_is_told_when_an_admin_restocks(page, live_server):
    product_id, sku = _sold_out_product(live_server)
    live_server.add_user("stella.stock@northwind.demo.test", "Stella Stock", role="partner_user",
                         partner="Northwind Trading")
    sign_in(page, "stella.stock@northwind.demo.test")
    visit(page, f"/catalogue/?q={sku}")
    row = page.locator(f"#product-{product_id}")
    expect(row.get_by_role("button", name="Add to cart")).to_have_count(0)
    expect(row.locator("td.stock-out")).to_have_text("Out of stock")
    row.get_by_role("button", name="Notify me when in stock").click()
    expect(row.get_by_role("status")).to_contain_text("We will tell you when Sold-out Switch is back in stock.")
    expect(row.get_by_role("button", name="Stop notifying me")).to_be_visible()
    check_page(page)
    sign_out(page)

    sign_in(page, "admin@demo.test")
    visit(page, f"/admin/catalogue/products/{product_id}")
    page.get_by_label("Stock on hand").fill("25")
    page.get_by_role("button", name="Save product").click()
    expect(page.get_by_role("status").filter(has_text="Product E2E-SOLDOUT saved.")).to_be_visible()
    check_page(page)
    sign_out(page)

    sign_in(page, "stella.stock@northwind.demo.test")
    visit(page, "/notifications/")
    notice = page.get_by_role("link", name="Sold-out Switch (E2E-SOLDOUT) is back in stock: you can order it now.")
    notice.click()
    expect(page.locator("h1")).to_have_text("Sold-out Switch")
    expect(page.get_by_role("button", name="Add to cart")).to_be_visible()
    check_page(page)
