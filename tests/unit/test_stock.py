"""Stock reservation: all lines or none, never below zero, the short SKU named; checkout's auto-approval
reserves too and leaves the order waiting when stock is short."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.catalogue.models import Product
from portal.core.errors import Conflict
from portal.core.permissions import Role
from portal.core.time import utcnow
from portal.orders import checkout, queue
from portal.orders.models import CartLine, Order
from tests import factories
from tests.web.test_order_queue import make_order, product


@pytest.fixture(autouse=True)
def _request(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


@pytest.mark.pg
def test_reserving_takes_every_lines_quantity_from_stock(db):
    buyer = factories.partner_user()
    a, b = product(db, 5), product(db, 3)
    queue.reserve(make_order(db, buyer, [(a, 5), (b, 1)]))
    db.session.expire_all()
    assert (db.session.get(Product, a.id).stock_on_hand, db.session.get(Product, b.id).stock_on_hand) == (0, 2)


@pytest.mark.pg
def test_a_short_line_reserves_nothing_and_names_sku_and_available(db):
    buyer = factories.partner_user()
    a, b = product(db, 5), product(db, 1, sku=f"TINY-{uuid.uuid4().hex[:6]}")
    order = make_order(db, buyer, [(a, 2), (b, 2)])
    with pytest.raises(queue.OutOfStock) as raised:
        queue.reserve(order)
    assert isinstance(raised.value, Conflict)
    assert raised.value.message == f"Not enough stock for SKU {b.sku} (1 available)."
    db.session.expire_all()
    assert (db.session.get(Product, a.id).stock_on_hand, db.session.get(Product, b.id).stock_on_hand) == (5, 1)


@pytest.mark.pg
def test_approve_refuses_an_order_that_is_not_submitted(db):
    admin = factories.vendor(Role.ADMIN)
    item = product(db, 5)
    order = make_order(db, factories.partner_user(), [(item, 1)], status="approved")
    with pytest.raises(Conflict):
        queue.approve(admin, order.id)
    db.session.expire_all()
    assert db.session.get(Product, item.id).stock_on_hand == 5


@pytest.mark.parametrize(("created", "expected"), [(timedelta(days=2, hours=3, minutes=5), "2 d 3 h"),
                                                    (timedelta(hours=5, minutes=12), "5 h 12 min"),
                                                    (timedelta(minutes=7, seconds=30), "7 min")])
def test_the_age_of_a_waiting_order_reads_humanly(app, created, expected):
    now = utcnow()
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert queue.age(Order(created_at=now - created), now) == expected


def _checkout(db, stock: int):
    buyer = factories.partner_user()
    item = product(db, stock)
    db.session.add(CartLine(user_id=buyer.id, product_id=item.id, quantity=3))
    db.session.flush()
    form = {"idempotency_key": str(uuid.uuid4()), "po_number": "PO-S", "address_id": "new", "label": "W",
            "lines": "1 Road", "city": "Town", "postcode": "1000", "country": "Land",
            "requested_date": utcnow().date().isoformat()}
    order, _ = checkout.place(buyer, form, utcnow().date())
    db.session.expire_all()
    return order, db.session.get(Product, item.id).stock_on_hand


@pytest.mark.pg
def test_an_auto_approved_checkout_reserves_its_stock(app, db):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        order, left = _checkout(db, 10)
        assert (order.status, left) == ("approved", 7)


@pytest.mark.pg
def test_an_auto_approvable_checkout_whose_stock_went_short_is_refused_and_writes_nothing(app, db):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        buyer = factories.partner_user()
        item = product(db, 3)
        db.session.add(CartLine(user_id=buyer.id, product_id=item.id, quantity=3))
        db.session.flush()
        db.session.execute(Product.__table__.update().where(Product.__table__.c.id == item.id)
                           .values(stock_on_hand=2))  # someone else took a unit after it was put in the cart
        form = {"idempotency_key": str(uuid.uuid4()), "po_number": "PO-S", "address_id": "new", "label": "W",
                "lines": "1 Road", "city": "Town", "postcode": "1000", "country": "Land",
                "requested_date": utcnow().date().isoformat()}
        with pytest.raises(queue.OutOfStock, match=rf"Not enough stock for SKU {item.sku} \(2 available\)"):
            checkout.place(buyer, form, utcnow().date())
        db.session.expire_all()
        assert db.session.scalars(select(Order).where(Order.placed_by == buyer.id)).all() == []
        assert db.session.get(Product, item.id).stock_on_hand == 2
        assert db.session.scalar(select(CartLine.quantity).where(CartLine.user_id == buyer.id)) == 3
