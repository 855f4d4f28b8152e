"""Checkout: the cart becomes ONE order per idempotency key, priced and snapshotted at that moment,
the cart emptied and the user told, all in one transaction; bad input is refused next to its field."""

from __future__ import annotations

import re
from datetime import timedelta
from itertools import count

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from portal.catalogue.models import Category, Product, Tier
from portal.core.audit import AuditEntry
from portal.core.permissions import Role
from portal.core.time import utcnow
from portal.notifications.models import Notification
from portal.orders import settings
from portal.orders.models import CartLine, Order, OrderEvent, OrderLine, ShippingAddress
from tests import factories

_serial = count()
EN = {"Accept-Language": "en"}
KEY = "7b0c5a4e-3f7e-4a55-9a7c-1d2e3f4a5b6c"


@pytest.fixture
def gold(db):
    tier = Tier(name=f"Checkout Gold {next(_serial)}", rank=2, discount_bp=1000)
    db.session.add(tier)
    db.session.flush()
    return tier


def product(db, sku: str, price: int, *, stock: int = 100, moq: int = 1) -> Product:
    cat = Category(name=f"Checkout category {next(_serial)}")
    db.session.add(cat)
    db.session.flush()
    row = Product(sku=sku, name=f"Product {sku}", description="", category_id=cat.id, list_price_cents=price,
                  currency="USD", unit="each", stock_on_hand=stock, min_order_qty=moq, active=True)
    db.session.add(row)
    db.session.flush()
    return row


def member(tier: Tier | None = None, partner=None, role: Role = Role.PARTNER_USER):
    return factories.partner_user(partner or factories.PartnerFactory(tier_id=tier.id if tier else None), role)


def put(db, user, item: Product, quantity: int) -> None:
    db.session.add(CartLine(user_id=user.id, product_id=item.id, quantity=quantity))
    db.session.flush()


def form(**overrides) -> dict:
    data = {"idempotency_key": KEY, "po_number": "PO-778",
            "requested_date": (utcnow().date() + timedelta(days=3)).isoformat(),
            "notes": "Dock 4", "address_id": "new", "label": "Warehouse", "lines": "1 Harbour Road",
            "city": "Rotterdam", "postcode": "3011", "country": "Netherlands"}
    data.update(overrides)
    return data


def orders_of(db, user) -> list[Order]:
    return list(db.session.scalars(select(Order).where(Order.placed_by == user.id)))


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def ready(db, gold, login):
    """A Gold partner user (10 % off) with 3 × 12.34 and 2 × 10.00 in the cart."""
    me = member(gold)
    put(db, me, product(db, f"CO-A{next(_serial)}", 1234), 3)
    put(db, me, product(db, f"CO-B{next(_serial)}", 1000), 2)
    db.session.commit()
    login(me)
    return me


@pytest.mark.pg
def test_checkout_places_one_order_with_snapshotted_net_prices_and_empties_the_cart(db, client, ready, gold):
    response = client.post("/checkout", data=form(), headers=EN)
    assert response.status_code == 303
    [order] = orders_of(db, ready)
    assert response.headers["Location"].endswith(f"/orders/{order.id}")
    # 12.34 × 0.9 = 11.106 → 11.11 (half-up per unit); 10.00 × 0.9 = 9.00
    lines = db.session.scalars(select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id)).all()
    assert [(ln.quantity, ln.list_price_cents, ln.net_unit_cents, ln.line_total_cents, ln.tier_name, ln.discount_bp)
            for ln in lines] == [(3, 1234, 1111, 3333, gold.name, 1000), (2, 1000, 900, 1800, gold.name, 1000)]
    assert order.total_cents == 5133 and order.currency == "USD" and order.number == f"ORD-{order.id:06d}"
    assert order.po_number == "PO-778" and "1 Harbour Road" in order.shipping_address
    assert db.session.scalar(select(func.count()).select_from(CartLine).where(CartLine.user_id == ready.id)) == 0
    saved = db.session.scalars(select(ShippingAddress).where(ShippingAddress.partner_id == ready.partner_id)).all()
    assert [a.city for a in saved] == ["Rotterdam"]
    page = text(client.get(f"/orders/{order.id}", headers=EN))
    assert order.number in page and "$51.33" in page and "$11.11" in page


@pytest.mark.pg
def test_the_same_checkout_posted_twice_creates_one_order(db, client, ready):
    first = client.post("/checkout", data=form(), headers=EN)
    second = client.post("/checkout", data=form(), headers=EN)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert len(orders_of(db, ready)) == 1


def test_a_new_checkout_page_gets_a_new_key_and_the_form_carries_it(db, client, ready):
    keys = [re.search(r'name="idempotency_key" value="([^"]+)"', text(client.get("/checkout", headers=EN))).group(1)
            for _ in range(2)]
    assert keys[0] != keys[1]
    assert client.post("/checkout", data=form(idempotency_key=keys[0]), headers=EN).status_code == 303
    assert len(orders_of(db, ready)) == 1


@pytest.mark.pg
def test_the_database_refuses_a_second_order_with_the_same_key(db, ready):
    from sqlalchemy.exc import IntegrityError

    def row():
        return Order(partner_id=ready.partner_id, placed_by=ready.id, idempotency_key="dup-key-123", po_number="x",
                     shipping_address="x", requested_date=utcnow().date(), status="submitted", currency="USD",
                     total_cents=1)

    db.session.add(row())
    db.session.flush()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(row())
        db.session.flush()


@pytest.mark.parametrize(("field", "value", "message"), [
    ("po_number", "", "Enter your PO number."),
    ("po_number", "P" * 41, "At most 40 characters."),
    ("requested_date", (utcnow().date() - timedelta(days=2)).isoformat(), "Choose today or a later date."),
    ("requested_date", "next week", "Enter a date"),
    ("notes", "n" * 1001, "At most 1000 characters."),
    ("city", "", "Required for a new address."),
])
def test_invalid_checkout_is_422_next_to_the_field_and_writes_nothing(db, client, ready, field, value, message):
    response = client.post("/checkout", data=form(**{field: value}), headers=EN)
    assert response.status_code == 422
    html = text(response)
    assert re.search(rf'id="f-{field}-error">{re.escape(message)}', html)
    assert orders_of(db, ready) == []
    assert db.session.scalar(select(func.count()).select_from(CartLine).where(CartLine.user_id == ready.id)) == 2
    assert db.session.scalar(select(func.count()).select_from(ShippingAddress)
                             .where(ShippingAddress.partner_id == ready.partner_id)) == 0


@pytest.mark.pg
def test_another_partners_address_is_404_and_nothing_is_written(db, client, ready):
    other = factories.PartnerFactory()
    theirs = ShippingAddress(partner_id=other.id, label="Theirs", lines="x", city="y", postcode="1", country="z")
    db.session.add(theirs)
    db.session.commit()
    response = client.post("/checkout", data=form(address_id=str(theirs.id)), headers=EN)
    assert response.status_code == 404
    assert orders_of(db, ready) == []
    assert db.session.scalar(select(func.count()).select_from(CartLine).where(CartLine.user_id == ready.id)) == 2


def test_a_saved_address_of_the_partner_is_offered_and_used(db, client, ready):
    mine = ShippingAddress(partner_id=ready.partner_id, label="HQ", lines="5 Main St", city="Lyon", postcode="69001",
                           country="France")
    db.session.add(mine)
    db.session.commit()
    assert "5 Main St" in text(client.get("/checkout", headers=EN))
    assert client.post("/checkout", data=form(address_id=str(mine.id)), headers=EN).status_code == 303
    [order] = orders_of(db, ready)
    assert "5 Main St" in order.shipping_address and "Lyon" in order.shipping_address
    assert db.session.scalar(select(func.count()).select_from(ShippingAddress)
                             .where(ShippingAddress.partner_id == ready.partner_id)) == 1


def test_a_cart_line_asking_for_more_than_the_stock_blocks_checkout_with_a_not_enough_stock_message(db, client,
                                                                                                     login):
    me = member()
    item = product(db, f"CO-S{next(_serial)}", 1000, stock=2)
    put(db, me, item, 5)
    db.session.commit()
    login(me)
    assert "Only 2 available." in text(client.get("/checkout", headers=EN))
    response = client.post("/checkout", data=form(), headers=EN)
    assert response.status_code == 409
    assert f"Not enough stock for SKU {item.sku} (2 available)." in text(response)
    assert orders_of(db, me) == []
    assert db.session.scalar(select(CartLine.quantity).where(CartLine.user_id == me.id)) == 5


def test_a_cart_line_below_the_minimum_order_blocks_checkout_next_to_the_cart(db, client, login):
    me = member()
    put(db, me, product(db, f"CO-Q{next(_serial)}", 1000, stock=50, moq=10), 3)
    db.session.commit()
    login(me)
    response = client.post("/checkout", data=form(), headers=EN)
    assert response.status_code == 422 and "Fix the lines marked in your cart" in text(response)
    assert "The minimum order for this product is 10." in text(response)
    assert orders_of(db, me) == []


@pytest.mark.pg
def test_an_auto_approvable_order_that_cannot_reserve_is_refused_and_writes_nothing(db, client, login):
    """The cart looked fine when it was read; the stock went while the order was being written."""
    from portal.orders import queue

    me = member()
    item = product(db, f"CO-R{next(_serial)}", 1000, stock=3)
    put(db, me, item, 2)
    db.session.commit()
    login(me)
    real_reserve = queue.reserve

    def stock_gone_meanwhile(order):
        db.session.execute(sa.update(Product).where(Product.id == item.id).values(stock_on_hand=1))
        return real_reserve(order)

    from portal.orders import checkout

    checkout.reserve = stock_gone_meanwhile
    try:
        response = client.post("/checkout", data=form(), headers=EN)
    finally:
        checkout.reserve = real_reserve
    assert response.status_code == 409
    assert f"Not enough stock for SKU {item.sku} (1 available)." in text(response)
    assert orders_of(db, me) == []
    assert db.session.scalar(select(CartLine.quantity).where(CartLine.user_id == me.id)) == 2
    assert db.session.scalar(select(func.count()).select_from(ShippingAddress)
                             .where(ShippingAddress.partner_id == me.partner_id)) == 0


def test_an_empty_cart_cannot_be_checked_out(db, client, login):
    me = member()
    db.session.commit()
    login(me)
    response = client.post("/checkout", data=form(), headers=EN)
    assert response.status_code == 422 and "Your cart is empty." in text(response)
    assert orders_of(db, me) == []


@pytest.mark.pg
def test_an_order_at_the_auto_approval_limit_is_approved_one_cent_more_waits(db, client, login):
    settings.set("auto_approval_limit_cents", 5000)
    at_limit, above = member(), member()
    put(db, at_limit, product(db, f"CO-L{next(_serial)}", 5000), 1)
    put(db, above, product(db, f"CO-M{next(_serial)}", 5001), 1)
    db.session.commit()
    results = {}
    for user in (at_limit, above):
        client.post("/logout")
        login(user)
        assert client.post("/checkout", data=form(), headers=EN).status_code == 303
        [results[user.id]] = orders_of(db, user)
    approved, waiting = results[at_limit.id], results[above.id]
    assert approved.status == "approved" and approved.approved_at is not None and approved.approval_seconds == 0
    assert waiting.status == "submitted" and waiting.approved_at is None and waiting.approval_seconds is None
    steps = db.session.execute(select(OrderEvent.from_status, OrderEvent.to_status, OrderEvent.actor_id)
                               .where(OrderEvent.order_id == approved.id).order_by(OrderEvent.id)).all()
    assert steps == [("", "submitted", at_limit.id), ("submitted", "approved", None)]


@pytest.mark.pg
def test_placing_an_order_is_audited_and_the_user_gets_a_notice_and_an_email(db, client, ready, run_jobs, outbox,
                                                                            notices):
    client.post("/checkout", data=form(), headers=EN)
    [order] = orders_of(db, ready)
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.entity_type == "Order",
                                                             AuditEntry.entity_id == order.id)) == "order.created"
    notice = db.session.scalar(select(Notification).where(Notification.user_id == ready.id,
                                                          Notification.event_key == f"order-submitted:{order.id}"))
    assert notice is not None and order.number in notices(ready)[0]
    run_jobs()
    [mail] = [m for m in outbox() if m["To"] == ready.email]
    assert order.number in mail["Subject"]


def test_vendor_staff_have_no_checkout(db, client, login):
    admin = factories.vendor(Role.ADMIN)
    db.session.commit()
    login(admin)
    assert client.get("/checkout", headers=EN).status_code == 403
    assert client.post("/checkout", data=form(), headers=EN).status_code == 403


def test_checkout_needs_the_csrf_token(app, db, client, ready):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post("/checkout", data=form(), headers=EN).status_code == 400
        assert orders_of(db, ready) == []
        html = text(client.get("/checkout", headers=EN))
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        assert client.post("/checkout", data={**form(), "csrf_token": token}, headers=EN).status_code == 303
        assert len(orders_of(db, ready)) == 1
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_the_cart_links_to_checkout_and_the_menu_to_orders(db, client, ready):
    html = text(client.get("/cart/", headers=EN))
    assert 'href="/checkout"' in html and 'href="/orders/"' in html


@pytest.mark.parametrize("zone", ["Etc/GMT-14", "Etc/GMT+12"])
def test_the_requested_date_is_checked_against_today_in_the_users_time_zone(db, client, login, zone):
    from portal.core.time import to_zone

    me = member()
    me.timezone = zone
    put(db, me, product(db, f"CO-T{next(_serial)}", 1000), 1)
    db.session.commit()
    login(me)
    local_today = to_zone(utcnow(), zone).date()
    refused = client.post("/checkout", data=form(requested_date=(local_today - timedelta(days=1)).isoformat()),
                          headers=EN)
    assert refused.status_code == 422 and "Choose today or a later date." in text(refused)
    assert client.post("/checkout", data=form(requested_date=local_today.isoformat()), headers=EN).status_code == 303
    assert len(orders_of(db, me)) == 1


def test_a_double_clicked_place_order_lands_on_the_same_confirmation(db, client, ready):
    """A double click sends the second POST with the session cookie from before the first answer; the
    browser shows the second answer. It must carry the confirmation as the first does."""
    before = client.get_cookie("session").value
    first = client.post("/checkout", data=form(), headers=EN)
    client.set_cookie("session", before)
    second = client.post("/checkout", data=form(), headers=EN)
    assert first.headers["Location"] == second.headers["Location"]
    page = text(client.get(second.headers["Location"], headers=EN))
    number = orders_of(db, ready)[0].number
    assert f"Order {number} is placed." in page
