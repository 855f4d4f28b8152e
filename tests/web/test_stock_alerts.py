"""Out of stock: no "Add to cart" but "Notify me when in stock"; the server refuses the cart; those waiting are
told once, in their language, when the product can be ordered again — whatever put the stock back."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.catalogue.models import Product
from portal.core.time import utcnow
from portal.notifications.models import Notification, OutboxMessage
from portal.orders.models import CartLine
from portal.stock_alerts.models import StockAlert
from tests import factories
from tests.web.test_catalogue_admin import csv_bytes, upload
from tests.web.test_order_queue import make_order, product

EN = {"Accept-Language": "en"}


def text(response) -> str:
    return response.get_data(as_text=True)


def waiting(db, user, item) -> bool:
    return db.session.scalar(select(func.count()).select_from(StockAlert).where(
        StockAlert.user_id == user.id, StockAlert.product_id == item.id)) == 1


def stock_notices(db, user) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id,
                                                              Notification.template == "stock_available")))


def row_of(html: str, item) -> str:
    return re.search(rf'<tr id="product-{item.id}".*?</tr>', html, re.S).group(0)


@pytest.fixture
def buyer(db, login):
    user = factories.partner_user()
    db.session.commit()
    login(user)
    return user


def test_an_out_of_stock_row_offers_notify_me_instead_of_add_to_cart(db, client, buyer):
    gone, there = product(db, 0), product(db, 5)
    db.session.commit()
    html = text(client.get("/catalogue/", headers=EN))
    row = row_of(html, gone)
    assert "Out of stock" in row and "Notify me when in stock" in row
    assert "Add to cart" not in row and 'name="quantity"' not in row
    assert f'action="/catalogue/{gone.id}/stock-alert"' in row
    assert "Add to cart" in row_of(html, there) and "Notify me" not in row_of(html, there)


def test_the_product_page_of_an_out_of_stock_product_says_why_and_offers_notify_me(db, client, buyer):
    gone = product(db, 0)
    db.session.commit()
    html = text(client.get(f"/catalogue/{gone.id}", headers=EN))
    assert 'class="stock-out">Out of stock<' in html
    assert "Notify me when in stock" in html and "Add to cart" not in html


def test_below_one_minimum_order_counts_as_out_of_stock(db, client, buyer):
    few = product(db, 3)
    few.min_order_qty = 5
    db.session.commit()
    row = row_of(text(client.get("/catalogue/", headers=EN)), few)
    assert "Notify me when in stock" in row and "Add to cart" not in row


def test_notify_me_toggles_on_and_off_with_a_plain_form(db, client, buyer):
    gone = product(db, 0)
    db.session.commit()
    response = client.post(f"/catalogue/{gone.id}/stock-alert", headers=EN)
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/catalogue/{gone.id}")
    assert waiting(db, buyer, gone)
    page = text(client.get(f"/catalogue/{gone.id}", headers=EN))
    assert "We will tell you when Queue product is back in stock." in page  # the flash
    assert "Stop notifying me" in page and "Notify me when in stock" not in page
    assert "Stop notifying me" in row_of(text(client.get("/catalogue/", headers=EN)), gone)
    assert client.post(f"/catalogue/{gone.id}/stock-alert", headers=EN).status_code == 303
    assert not waiting(db, buyer, gone)
    assert "Notify me when in stock" in text(client.get(f"/catalogue/{gone.id}", headers=EN))


def test_notify_me_with_htmx_swaps_the_block_in_place(db, client, buyer):
    gone = product(db, 0)
    db.session.commit()
    response = client.post(f"/catalogue/{gone.id}/stock-alert", headers={**EN, "HX-Request": "true"})
    html = text(response)
    assert response.status_code == 200 and html.lstrip().startswith(f'<div class="out-of-stock" id="add-{gone.id}">')
    assert "Stop notifying me" in html and 'role="status"' in html and "<html" not in html
    assert waiting(db, buyer, gone)


def test_the_catalogue_etag_changes_when_the_reader_asks_to_be_notified(db, client, buyer):
    gone = product(db, 0)
    db.session.commit()
    first = client.get("/catalogue/", headers=EN)
    client.post(f"/catalogue/{gone.id}/stock-alert", headers={**EN, "HX-Request": "true"})
    again = client.get("/catalogue/", headers={**EN, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200 and "Stop notifying me" in row_of(text(again), gone)


def test_a_product_in_stock_cannot_be_waited_for(db, client, buyer):
    there = product(db, 5)
    db.session.commit()
    response = client.post(f"/catalogue/{there.id}/stock-alert", headers=EN)
    assert response.status_code == 409 and "is in stock: you can order it now" in text(response)
    assert not waiting(db, buyer, there)


def test_an_inactive_product_cannot_be_waited_for_and_vendor_staff_have_no_alerts(db, client, login):
    hidden = product(db, 0)
    hidden.active = False
    gone = product(db, 0)
    user, staff = factories.partner_user(), factories.vendor()
    db.session.commit()
    login(user)
    assert client.post(f"/catalogue/{hidden.id}/stock-alert", headers=EN).status_code == 404
    switch(client, login, staff)
    assert client.post(f"/catalogue/{gone.id}/stock-alert", headers=EN).status_code == 403
    assert "Notify me" not in text(client.get("/catalogue/", headers=EN))


def test_the_server_refuses_an_out_of_stock_product_in_the_cart_with_the_reason(db, client, buyer):
    gone = product(db, 0)
    db.session.commit()
    response = client.post("/cart/add", data={"product_id": gone.id, "quantity": "1"},
                           headers={**EN, "HX-Request": "true"})
    assert response.status_code == 422 and "Out of stock." in text(response)
    assert "Notify me when in stock" in text(response) and "Add to cart" not in text(response)
    assert db.session.scalar(select(func.count()).select_from(CartLine).where(CartLine.user_id == buyer.id)) == 0


def test_the_api_refuses_an_order_of_an_out_of_stock_product(db, client, buyer):
    from portal.accounts import service as accounts

    gone = product(db, 0)
    _token, secret = accounts.create_api_token(buyer, "ERP")
    db.session.commit()
    response = client.post("/api/v1/orders", json={
        "po_number": "PO-API-OUT", "lines": [{"product_id": gone.id, "quantity": 1}],
        "requested_date": (utcnow().date() + timedelta(days=7)).isoformat(),
        "address": {"label": "W", "lines": "1 Road", "city": "Town", "postcode": "1000", "country": "Land"}},
        headers={"Authorization": f"Bearer {secret}", "Idempotency-Key": uuid.uuid4().hex, **EN})
    assert response.status_code in (409, 422), text(response)
    assert "stock" in text(response).lower()


def switch(client, login, user) -> None:
    """Sign out whoever is signed in, then sign ``user`` in."""
    client.post("/logout")
    login(user)


def _subscribe(db, client, login, user, item) -> None:
    switch(client, login, user)
    assert client.post(f"/catalogue/{item.id}/stock-alert", headers=EN).status_code == 303


def test_an_admin_restocking_tells_each_waiting_user_once_in_their_language_and_consumes_the_request(
        db, client, login, admin, notices):
    from tests.web.test_catalogue_admin import form_data

    gone = product(db, 0, sku=f"BACK-{uuid.uuid4().hex[:6].upper()}")
    anna, li = factories.partner_user(), factories.partner_user(locale="zh_Hans")
    bystander = factories.partner_user()
    db.session.commit()
    for user in (anna, li):
        _subscribe(db, client, login, user, gone)
    switch(client, login, admin)
    cat_id = gone.category_id

    def edit(stock: str):
        data = form_data(type("C", (), {"id": cat_id})(), sku=gone.sku, name="Queue product", stock_on_hand=stock,
                         min_order_qty="1")
        return client.post(f"/admin/catalogue/products/{gone.id}", data=data, headers=EN)

    assert edit("12").status_code == 303
    db.session.expire_all()
    assert notices(anna) == [f"Queue product ({gone.sku}) is back in stock: you can order it now."]
    [told] = stock_notices(db, li)
    assert told.link == f"/catalogue/{gone.id}"
    assert "已到货" in notices(li)[0] or "有货" in notices(li)[0]
    assert stock_notices(db, bystander) == []
    assert not waiting(db, anna, gone) and not waiting(db, li, gone)
    subjects = set(db.session.scalars(select(OutboxMessage.subject).where(OutboxMessage.recipient == anna.email)))
    assert "Queue product is back in stock" in subjects
    assert edit("20").status_code == 303  # more stock later: nobody is told again
    assert len(stock_notices(db, anna)) == 1


def test_a_restock_that_stays_below_one_minimum_order_keeps_the_request(db, client, login, admin):
    from tests.web.test_catalogue_admin import form_data

    gone = product(db, 0, sku=f"MOQ-{uuid.uuid4().hex[:6].upper()}")
    gone.min_order_qty = 10
    anna = factories.partner_user()
    db.session.commit()
    _subscribe(db, client, login, anna, gone)
    switch(client, login, admin)
    data = form_data(type("C", (), {"id": gone.category_id})(), sku=gone.sku, stock_on_hand="4", min_order_qty="10")
    assert client.post(f"/admin/catalogue/products/{gone.id}", data=data, headers=EN).status_code == 303
    assert waiting(db, anna, gone) and stock_notices(db, anna) == []


def test_a_csv_import_that_restocks_tells_those_waiting(db, client, login, admin):
    gone = product(db, 0, sku=f"CSV-{uuid.uuid4().hex[:6].upper()}")
    anna = factories.partner_user()
    db.session.commit()
    _subscribe(db, client, login, anna, gone)
    switch(client, login, admin)
    response = upload(client, csv_bytes([[gone.sku, "Queue product", "", "Restocked", "10.00", "USD", "each", "8",
                                          "1", "true"]]))
    assert response.status_code in (200, 303), text(response)[:500]
    assert len(stock_notices(db, anna)) == 1 and not waiting(db, anna, gone)


def test_cancelling_an_approved_order_gives_stock_back_and_tells_those_waiting(db, client, login):
    item = product(db, 0)
    placer, waiter = factories.partner_user(), factories.partner_user()
    order = make_order(db, placer, [(item, 3)], status="approved")  # its 3 units were reserved on approval
    db.session.commit()
    _subscribe(db, client, login, waiter, item)
    switch(client, login, placer)
    assert client.post(f"/orders/{order.id}/cancel", data={"reason": "Not needed"}, headers=EN).status_code == 303
    db.session.expire_all()
    assert db.session.get(Product, item.id).stock_on_hand == 3
    assert len(stock_notices(db, waiter)) == 1 and not waiting(db, waiter, item)
