"""Real concurrent requests on SQLite and PostgreSQL: 20 checkouts for the last 5 units place exactly 5
orders (the rest are told "not enough stock" and keep their carts), and simultaneous first adds of the
same product to one cart make one line holding every unit."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

from sqlalchemy import func, select

from portal.catalogue.models import Category, Product
from portal.core.time import utcnow
from portal.orders.models import CartLine, Order, OrderEvent
from tests import factories

EN = {"Accept-Language": "en"}




def product(db, stock: int, sku: str) -> Product:
    cat = Category(name=f"Race category {uuid.uuid4().hex[:8]}")
    db.session.add(cat)
    db.session.flush()
    row = Product(sku=sku, name="Race product", description="", category_id=cat.id, list_price_cents=1000,
                  currency="USD", unit="each", stock_on_hand=stock, min_order_qty=1, active=True)
    db.session.add(row)
    db.session.flush()
    return row


def signed_in(app, email: str):
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": factories.PASSWORD}).status_code == 303
    return client


def all_at_once(calls) -> list[tuple[int, str]]:
    """Run the callables in threads released together; their (status, body) answers."""
    start = threading.Barrier(len(calls))
    results: list[tuple[int, str]] = []
    lock = threading.Lock()
    failures: list[BaseException] = []

    def run(call):
        start.wait()
        try:
            response = call()
        except BaseException as exc:  # noqa: BLE001 - a server error must fail the test, not vanish in a thread
            with lock:
                failures.append(exc)
            return
        with lock:
            results.append((response.status_code, response.get_data(as_text=True)))

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not failures, failures
    return results


def checkout_form() -> dict[str, str]:
    return {"idempotency_key": str(uuid.uuid4()), "po_number": "PO-RACE",
            "requested_date": (utcnow().date() + timedelta(days=2)).isoformat(), "notes": "",
            "address_id": "new", "label": "Dock", "lines": "1 Quay", "city": "Hamburg", "postcode": "20457",
            "country": "Germany"}


def test_twenty_concurrent_checkouts_for_five_units_place_exactly_five_orders(live_app):
    from portal.extensions import db

    with live_app.app_context():
        partner = factories.PartnerFactory()
        buyers = [factories.partner_user(partner) for _ in range(20)]
        item = product(db, 5, sku="LAST-5-CO")
        for buyer in buyers:
            db.session.add(CartLine(user_id=buyer.id, product_id=item.id, quantity=1))
        db.session.commit()
        emails, item_id, buyer_ids = [b.email for b in buyers], item.id, [b.id for b in buyers]
        db.session.remove()

    clients = [signed_in(live_app, email) for email in emails]
    results = all_at_once([lambda c=c: c.post("/checkout", data=checkout_form(), headers=EN) for c in clients])

    codes = sorted(code for code, _ in results)
    assert codes == [303] * 5 + [409] * 15
    refused = [body for code, body in results if code == 409]
    assert all("Not enough stock for SKU LAST-5-CO (0 available)." in body for body in refused)
    assert all("Out of stock." in body for body in refused)  # next to the line, with the stock as it is now
    with live_app.app_context():
        assert db.session.get(Product, item_id).stock_on_hand == 0
        statuses = db.session.scalars(select(Order.status).where(Order.placed_by.in_(buyer_ids))).all()
        assert sorted(statuses) == ["approved"] * 5
        assert db.session.scalar(select(func.count()).select_from(OrderEvent)
                                 .where(OrderEvent.to_status == "approved")) == 5
        carts = dict(db.session.execute(select(CartLine.user_id, CartLine.quantity)
                                        .where(CartLine.user_id.in_(buyer_ids))).all())
        ordered = set(db.session.scalars(select(Order.placed_by).where(Order.placed_by.in_(buyer_ids))))
        assert set(carts) == set(buyer_ids) - ordered and set(carts.values()) == {1}
        db.session.remove()


def test_simultaneous_first_adds_of_one_product_make_one_line_with_every_unit(live_app):
    from portal.extensions import db

    with live_app.app_context():
        buyer = factories.partner_user(factories.PartnerFactory())
        item = product(db, 100, sku="RACE-ADD")
        db.session.commit()
        email, item_id, buyer_id = buyer.email, item.id, buyer.id
        db.session.remove()

    clients = [signed_in(live_app, email) for _ in range(8)]
    results = all_at_once([lambda c=c: c.post("/cart/add", data={"product_id": str(item_id), "quantity": "2"},
                                              headers=EN) for c in clients])

    assert sorted(code for code, _ in results) == [303] * 8
    with live_app.app_context():
        lines = db.session.execute(select(CartLine.product_id, CartLine.quantity)
                                   .where(CartLine.user_id == buyer_id)).all()
        assert lines == [(item_id, 16)]
        db.session.remove()


def test_simultaneous_adds_past_the_stock_keep_the_line_within_it(live_app):
    from portal.extensions import db

    with live_app.app_context():
        buyer = factories.partner_user(factories.PartnerFactory())
        item = product(db, 5, sku="RACE-CAP")
        db.session.commit()
        email, item_id, buyer_id = buyer.email, item.id, buyer.id
        db.session.remove()

    clients = [signed_in(live_app, email) for _ in range(6)]
    results = all_at_once([lambda c=c: c.post("/cart/add", data={"product_id": str(item_id), "quantity": "2"},
                                              headers=EN) for c in clients])

    assert sorted(code for code, _ in results) == [303] * 2 + [422] * 4
    assert all("Only 5 available." in body for code, body in results if code == 422)
    with live_app.app_context():
        assert db.session.scalar(select(CartLine.quantity).where(CartLine.user_id == buyer_id)) == 4
        db.session.remove()
