"""A suspended partner is read-only (SPEC §2): its people sign in and see their history and documents, every
page says why, and every trading action — cart, checkout, reorder, cancel, return; web and API — is refused with
403 and that reason, writing nothing. A terminated partner's people cannot sign in at all."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.accounts import service as accounts
from portal.core.permissions import Role
from portal.core.time import utcnow
from portal.orders.models import CartLine, Order, OrderLine, ReturnRequest
from tests import factories
from tests.web.test_api import bearer

EN = {"Accept-Language": "en"}
REASON = "Unpaid invoices since March"


def banner(html: str) -> bool:
    return "is suspended: you can see your orders and documents" in html and f"Reason: {REASON}" in html


@pytest.fixture
def shop(db):
    """A suspended partner's user with a cart line, a submitted and a delivered order, and an API token."""
    partner = factories.PartnerFactory(name="Eastwind Test", status="suspended", status_reason=REASON)
    user = factories.partner_user(partner, Role.PARTNER_ADMIN)
    product = factories.ProductFactory(stock_on_hand=50)
    line = CartLine(user_id=user.id, product_id=product.id, quantity=2)
    db.session.add(line)
    submitted = factories.order_with_line(user, product)
    delivered = factories.order_with_line(user, product, status="delivered")
    _row, secret = accounts.create_api_token(user, "ERP")
    db.session.commit()
    return {"partner": partner, "user": user, "product": product, "line": line, "submitted": submitted,
            "delivered": delivered, "secret": secret}


def counts(db) -> tuple[int, ...]:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Order, CartLine, ReturnRequest))


@pytest.mark.pg
def test_a_suspended_partners_user_signs_in_and_sees_history_with_a_banner_on_every_page(db, client, login, shop):
    login(shop["user"])
    for path in ["/", "/orders/", f"/orders/{shop['submitted'].id}", "/catalogue/",
                 f"/catalogue/{shop['product'].id}", "/cart/", "/account/", "/orders/export.csv"]:
        response = client.get(path, headers=EN)
        assert response.status_code == 200, path
        if response.mimetype == "text/html":
            assert banner(response.get_data(as_text=True)), path


def actions(shop) -> list[tuple[str, dict]]:
    line = shop["line"]
    return [
        ("/cart/add", {"product_id": str(shop["product"].id), "quantity": "1"}),
        (f"/cart/lines/{line.id}", {"quantity": "3"}),
        (f"/cart/lines/{line.id}/remove", {}),
        ("/cart/clear", {}),
        ("/checkout", {"idempotency_key": "5e1c2a9e-7d3f-4b1a-9c2e-3f4a5b6c7d8e", "po_number": "PO-S",
                       "requested_date": (utcnow().date() + timedelta(days=2)).isoformat(), "address_id": "new",
                       "lines": "1 Road", "city": "Shanghai", "postcode": "200000", "country": "China"}),
        (f"/orders/{shop['delivered'].id}/reorder", {}),
        (f"/orders/{shop['submitted'].id}/cancel", {"reason": "No longer needed"}),
    ]


@pytest.mark.pg
@pytest.mark.parametrize("index", range(7))
def test_every_trading_action_of_a_suspended_partner_is_403_saying_why_and_writes_nothing(db, client, login,
                                                                                          shop, index):
    login(shop["user"])
    before = counts(db)
    path, data = actions(shop)[index]
    response = client.post(path, data=data, headers=EN)
    assert response.status_code == 403, path
    assert banner(response.get_data(as_text=True))
    assert counts(db) == before
    db.session.expire_all()
    assert db.session.get(CartLine, shop["line"].id).quantity == 2
    assert db.session.get(Order, shop["submitted"].id).status == "submitted"


@pytest.mark.pg
def test_a_suspended_partner_cannot_ask_for_a_return(db, client, login, shop):
    line_id = db.session.scalar(select(OrderLine.id).where(OrderLine.order_id == shop["delivered"].id))
    login(shop["user"])
    response = client.post(f"/orders/{shop['delivered'].id}/return",
                           data={f"quantity-{line_id}": "1", "reason": "Broken"}, headers=EN)
    assert response.status_code == 403
    assert counts(db)[2] == 0


@pytest.mark.pg
def test_an_htmx_add_to_cart_of_a_suspended_partner_says_why_in_a_toast(db, client, login, shop):
    login(shop["user"])
    response = client.post("/cart/add", data={"product_id": str(shop["product"].id), "quantity": "1"},
                           headers=EN | {"HX-Request": "true"})
    assert response.status_code == 403
    assert response.headers["HX-Retarget"] == "#toasts" and REASON in response.get_data(as_text=True)


@pytest.mark.pg
def test_the_api_reads_but_refuses_orders_and_cancellations_of_a_suspended_partner(db, client, shop):
    headers = bearer(shop["secret"]) | EN
    assert client.get("/api/v1/orders", headers=headers).status_code == 200
    assert client.get(f"/api/v1/orders/{shop['submitted'].id}", headers=headers).status_code == 200
    before = counts(db)
    placed = client.post("/api/v1/orders", headers=headers | {"Idempotency-Key": "erp-suspended-01"}, json={
        "lines": [{"sku": shop["product"].sku, "quantity": 1}], "po_number": "PO-S",
        "requested_date": (utcnow().date() + timedelta(days=2)).isoformat(),
        "address": {"lines": "1 Road", "city": "Shanghai", "postcode": "200000", "country": "China"}})
    cancelled = client.post(f"/api/v1/orders/{shop['submitted'].id}/cancel", headers=headers, json={})
    for response in (placed, cancelled):
        assert response.status_code == 403
        assert REASON in response.get_json()["error"]["message"]
    assert counts(db) == before


@pytest.mark.pg
def test_once_reinstated_the_partner_trades_again_and_the_banner_is_gone(db, client, login, shop):
    shop["partner"].status, shop["partner"].status_reason = "active", ""
    db.session.commit()
    login(shop["user"])
    assert not banner(client.get("/", headers=EN).get_data(as_text=True))
    assert client.post("/cart/add", data={"product_id": str(shop["product"].id), "quantity": "1"},
                       headers=EN).status_code == 303


@pytest.mark.pg
def test_vendor_staff_still_handle_a_suspended_partners_orders_and_see_no_banner(db, client, login, shop):
    login(factories.vendor())
    page = client.get(f"/queue/{shop['submitted'].id}", headers=EN)
    assert page.status_code == 200 and not banner(page.get_data(as_text=True))
    assert client.post(f"/queue/{shop['submitted'].id}/approve", headers=EN).status_code == 303


@pytest.mark.pg
def test_a_terminated_partners_people_cannot_sign_in_or_use_the_api(db, client, shop):
    shop["partner"].status = "terminated"
    db.session.commit()
    response = client.post("/login", data={"email": shop["user"].email, "password": factories.PASSWORD},
                           headers=EN)
    assert response.status_code == 422
    assert client.get("/api/v1/me", headers=bearer(shop["secret"])).status_code == 401
