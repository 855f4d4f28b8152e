"""After approval: the vendor ships (carrier, tracking) and marks delivered, either side cancels before
shipping (reserved stock comes back), the partner asks for a return after delivery and the vendor accepts
it (a credit at the snapshotted net prices) or declines it. Every step is audited and tells the partner
once; the queue shows the processing time."""

from __future__ import annotations

import uuid
from datetime import timedelta
from itertools import count
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from portal.catalogue.models import Category, Product
from portal.core.audit import AuditEntry
from portal.core.permissions import Role
from portal.core.time import utcnow
from portal.notifications.models import Notification
from portal.orders import lifecycle
from portal.orders.models import Credit, CreditLine, Order, OrderEvent, OrderLine, ReturnLine, ReturnRequest
from tests import factories

_serial = count()
EN = {"Accept-Language": "en"}


def product(db, stock: int, price: int = 1000) -> Product:
    cat = Category(name=f"Lifecycle category {next(_serial)}-{uuid.uuid4().hex[:6]}")
    db.session.add(cat)
    db.session.flush()
    row = Product(sku=f"L-{next(_serial)}-{uuid.uuid4().hex[:6]}", name="Lifecycle product", description="",
                  category_id=cat.id, list_price_cents=price, currency="USD", unit="each", stock_on_hand=stock,
                  min_order_qty=1, active=True)
    db.session.add(row)
    db.session.flush()
    return row


def make_order(db, user, lines: list[tuple[Product, int]], *, status: str = "submitted", hours_ago: float = 1,
               net: int | None = None, po: str = "PO-L") -> Order:
    n = next(_serial)
    created = utcnow() - timedelta(hours=hours_ago)
    total = sum((net or p.list_price_cents) * q for p, q in lines)
    order = Order(partner_id=user.partner_id, placed_by=user.id, idempotency_key=f"l-{n}-{uuid.uuid4().hex[:8]}",
                  po_number=po, shipping_address="HQ", requested_date=utcnow().date(), status=status,
                  currency="USD", total_cents=total, created_at=created,
                  approved_at=created if status != "submitted" else None)
    db.session.add(order)
    db.session.flush()
    order.number = f"L-{order.id:06d}"
    for p, q in lines:
        unit = net or p.list_price_cents
        db.session.add(OrderLine(order_id=order.id, product_id=p.id, sku=p.sku, name=p.name, quantity=q,
                                 list_price_cents=p.list_price_cents, net_unit_cents=unit, tier_name="",
                                 discount_bp=0, line_total_cents=unit * q))
    db.session.add(OrderEvent(order_id=order.id, actor_id=user.id, from_status="", to_status="submitted"))
    db.session.flush()
    return order


def text(response) -> str:
    return response.get_data(as_text=True)


def fresh(db, model, row_id):
    db.session.expire_all()
    return db.session.get(model, row_id)


def notices(db, user) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(Notification.user_id == user.id))


def audits(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def mails_to(outbox, user) -> list:
    return [m for m in outbox() if m["To"] and user.email in m["To"]]


def body(message) -> str:
    return message.get_body(("plain",)).get_content()


def order_lines(db, order) -> list[OrderLine]:
    return list(db.session.scalars(select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id)))


@pytest.fixture
def world(db):
    manager = factories.vendor(Role.CHANNEL_MANAGER)
    mine = factories.PartnerFactory(channel_manager_id=manager.id)
    return SimpleNamespace(manager=manager, buyer=factories.partner_user(mine),
                           colleague=factories.partner_user(mine, Role.PARTNER_ADMIN),
                           stranger=factories.partner_user(factories.PartnerFactory()),
                           other_manager=factories.vendor(Role.CHANNEL_MANAGER), admin=factories.vendor(Role.ADMIN))


def switch(client, login, user):
    client.post("/logout")
    login(user)


# --- ship and deliver -------------------------------------------------------------------------------------

@pytest.mark.pg
def test_shipping_records_carrier_tracking_and_kpi_audits_and_tells_the_partner_once(db, client, login, world,
                                                                                     run_jobs, outbox):
    order = make_order(db, world.buyer, [(product(db, 5), 2)], status="approved", hours_ago=30)
    db.session.commit()
    login(world.manager)
    response = client.post(f"/queue/{order.id}/ship", data={"carrier": "DHL Express", "tracking": "JD-0142.77"},
                           headers=EN)
    assert response.status_code == 303
    row = fresh(db, Order, order.id)
    assert (row.status, row.carrier, row.tracking_number) == ("shipped", "DHL Express", "JD-0142.77")
    assert row.shipped_at is not None and 30 * 3600 - 5 <= row.shipping_seconds <= 30 * 3600 + 60
    [entry] = audits(db, "order.shipped")
    assert entry.before == {"status": "approved", "carrier": "", "tracking_number": ""}
    assert entry.after == {"status": "shipped", "carrier": "DHL Express", "tracking_number": "JD-0142.77"}
    assert notices(db, world.buyer) == 1
    again = client.post(f"/queue/{order.id}/ship", data={"carrier": "UPS", "tracking": "1Z"}, headers=EN)
    assert again.status_code == 409 and order.number in text(again) and "shipped" in text(again)
    assert fresh(db, Order, order.id).carrier == "DHL Express" and notices(db, world.buyer) == 1
    run_jobs()
    [mail] = mails_to(outbox, world.buyer)
    assert "is Shipped" in mail["Subject"]
    assert "DHL Express" in body(mail) and "JD-0142.77" in body(mail)


@pytest.mark.parametrize("form, field, message", [
    ({"carrier": "", "tracking": "123"}, "carrier", "Enter the carrier."),
    ({"carrier": "DHL", "tracking": ""}, "tracking", "Enter the tracking number."),
    ({"carrier": "DHL", "tracking": "12<script>"}, "tracking", "letters, digits, spaces, hyphens and dots"),
    ({"carrier": "D" * 61, "tracking": "1"}, "carrier", "At most 60 characters."),
    ({"carrier": "DHL", "tracking": "9" * 101}, "tracking", "At most 100 characters."),
])
def test_shipping_with_a_bad_carrier_or_tracking_number_is_422_next_to_the_field(db, client, login, world, form,
                                                                                   field, message):
    order = make_order(db, world.buyer, [(product(db, 5), 1)], status="approved")
    db.session.commit()
    login(world.manager)
    response = client.post(f"/queue/{order.id}/ship", data=form, headers=EN)
    assert response.status_code == 422
    assert message in text(response) and f'id="f-{field}-error"' in text(response)
    row = fresh(db, Order, order.id)
    assert row.status == "approved" and row.carrier == "" and row.shipping_seconds is None
    assert audits(db, "order.shipped") == []


@pytest.mark.pg
def test_marking_delivered_audits_and_tells_the_partner_once(db, client, login, world, run_jobs, outbox):
    order = make_order(db, world.buyer, [(product(db, 5), 1)], status="shipped")
    db.session.commit()
    login(world.manager)
    assert client.post(f"/queue/{order.id}/deliver", headers=EN).status_code == 303
    row = fresh(db, Order, order.id)
    assert row.status == "delivered" and row.delivered_at is not None
    assert [e.after for e in audits(db, "order.delivered")] == [{"status": "delivered"}]
    again = client.post(f"/queue/{order.id}/deliver", headers=EN)
    assert again.status_code == 409 and "only shipped orders can be marked delivered" in text(again)
    assert notices(db, world.buyer) == 1
    run_jobs()
    assert [m["Subject"] for m in mails_to(outbox, world.buyer)] == [f"Order {order.number} is Delivered"]


@pytest.mark.parametrize("status", ["submitted", "rejected", "shipped", "delivered", "cancelled", "returned"])
def test_shipping_is_409_unless_approved_and_changes_nothing(db, client, login, world, status):
    order = make_order(db, world.buyer, [(product(db, 5), 1)], status=status)
    db.session.commit()
    login(world.manager)
    response = client.post(f"/queue/{order.id}/ship", data={"carrier": "DHL", "tracking": "1"}, headers=EN)
    assert response.status_code == 409 and order.number in text(response)
    assert "only approved orders can be shipped" in text(response)
    assert fresh(db, Order, order.id).status == status and audits(db, "order.shipped") == []


@pytest.mark.parametrize("status", ["submitted", "approved", "rejected", "delivered", "cancelled", "returned"])
def test_marking_delivered_is_409_unless_shipped(db, client, login, world, status):
    order = make_order(db, world.buyer, [(product(db, 5), 1)], status=status)
    db.session.commit()
    login(world.manager)
    assert client.post(f"/queue/{order.id}/deliver", headers=EN).status_code == 409
    assert fresh(db, Order, order.id).status == status and notices(db, world.buyer) == 0


# --- cancel -----------------------------------------------------------------------------------------------

@pytest.mark.pg
def test_the_partner_cancels_an_approved_order_and_exactly_its_reserved_stock_comes_back(db, client, login, world,
                                                                                         run_jobs, outbox):
    a, b, untouched = product(db, 7), product(db, 0), product(db, 3)
    order = make_order(db, world.buyer, [(a, 3), (b, 4)], status="approved")  # stock already taken on approval
    db.session.commit()
    login(world.colleague)  # a colleague of the buyer may cancel too; the buyer is told
    response = client.post(f"/orders/{order.id}/cancel", data={"reason": "Project postponed"}, headers=EN)
    assert response.status_code == 303
    row = fresh(db, Order, order.id)
    assert row.status == "cancelled" and row.cancelled_at is not None
    assert (db.session.get(Product, a.id).stock_on_hand, db.session.get(Product, b.id).stock_on_hand,
            db.session.get(Product, untouched.id).stock_on_hand) == (10, 4, 3)
    [entry] = audits(db, "order.cancelled")
    assert entry.actor_id == world.colleague.id
    assert entry.after == {"status": "cancelled", "reason": "Project postponed"}
    again = client.post(f"/orders/{order.id}/cancel", headers=EN)
    assert again.status_code == 409 and "only orders that are not shipped yet can be cancelled" in text(again)
    assert db.session.get(Product, a.id).stock_on_hand == 10 and fresh(db, Product, a.id).stock_on_hand == 10
    assert notices(db, world.buyer) == 1
    run_jobs()
    [mail] = mails_to(outbox, world.buyer)
    assert "Project postponed" in body(mail) and "cancelled" in body(mail)


@pytest.mark.pg
def test_cancelling_a_submitted_order_gives_no_stock_back(db, client, login, world):
    item = product(db, 5)
    order = make_order(db, world.buyer, [(item, 2)])  # nothing reserved yet
    db.session.commit()
    login(world.manager)
    assert client.post(f"/queue/{order.id}/cancel", data={"cancel_reason": ""}, headers=EN).status_code == 303
    assert fresh(db, Order, order.id).status == "cancelled"
    assert db.session.get(Product, item.id).stock_on_hand == 5
    assert audits(db, "order.cancelled")[0].before == {"status": "submitted"}


@pytest.mark.pg
@pytest.mark.parametrize("status", ["shipped", "delivered", "returned", "rejected", "cancelled"])
def test_cancelling_after_shipping_or_a_decision_is_409_and_changes_nothing(db, client, login, world, status):
    item = product(db, 5)
    order = make_order(db, world.buyer, [(item, 2)], status=status)
    db.session.commit()
    login(world.buyer)
    response = client.post(f"/orders/{order.id}/cancel", headers=EN)
    assert response.status_code == 409
    assert order.number in text(response) and "only orders that are not shipped yet can be cancelled" in text(response)
    assert fresh(db, Order, order.id).status == status
    assert db.session.get(Product, item.id).stock_on_hand == 5 and audits(db, "order.cancelled") == []


def test_a_cancel_reason_longer_than_500_characters_is_422(db, client, login, world):
    order = make_order(db, world.buyer, [(product(db, 5), 1)])
    db.session.commit()
    login(world.buyer)
    response = client.post(f"/orders/{order.id}/cancel", data={"reason": "x" * 501}, headers=EN)
    assert response.status_code == 422 and "At most 500 characters." in text(response)
    assert fresh(db, Order, order.id).status == "submitted"


# --- permissions and tenancy ------------------------------------------------------------------------------

def test_a_partner_user_cannot_ship_deliver_or_decide_returns(db, client, login, world):
    order = make_order(db, world.buyer, [(product(db, 5), 1)], status="approved")
    ret = ReturnRequest(order_id=order.id, partner_id=order.partner_id, requested_by=world.buyer.id, reason="x")
    db.session.add(ret)
    db.session.commit()
    login(world.buyer)
    assert client.post(f"/queue/{order.id}/ship", data={"carrier": "A", "tracking": "1"},
                       headers=EN).status_code == 403
    assert client.post(f"/queue/{order.id}/deliver", headers=EN).status_code == 403
    assert client.post(f"/queue/returns/{ret.id}/accept", headers=EN).status_code == 403
    assert client.post(f"/queue/returns/{ret.id}/decline", data={"decline_reason": "no"}, headers=EN).status_code \
        == 403
    assert fresh(db, Order, order.id).status == "approved" and fresh(db, ReturnRequest, ret.id).status == "requested"


def test_a_vendor_cannot_ask_for_a_return_on_a_partners_behalf(db, client, login, world):
    order = make_order(db, world.buyer, [(product(db, 5), 1)], status="delivered")
    db.session.commit()
    login(world.admin)
    line = order_lines(db, order)[0]
    response = client.post(f"/orders/{order.id}/return", data={f"quantity-{line.id}": "1", "reason": "x"},
                           headers=EN)
    assert response.status_code == 403


@pytest.mark.pg
def test_another_partners_order_and_return_are_404_for_a_partner_user(db, client, login, world):
    item = product(db, 5)
    theirs = make_order(db, world.stranger, [(item, 1)], status="approved", po="SECRET-PO")
    delivered = make_order(db, world.stranger, [(item, 1)], status="delivered")
    line = order_lines(db, delivered)[0]
    db.session.commit()
    login(world.buyer)
    response = client.post(f"/orders/{theirs.id}/cancel", headers=EN)
    assert response.status_code == 404 and "SECRET-PO" not in text(response)
    assert client.get(f"/orders/{delivered.id}/return", headers=EN).status_code == 404
    assert client.post(f"/orders/{delivered.id}/return", data={f"quantity-{line.id}": "1", "reason": "x"},
                       headers=EN).status_code == 404
    assert fresh(db, Order, theirs.id).status == "approved" and db.session.get(Product, item.id).stock_on_hand == 5
    assert db.session.scalar(select(func.count()).select_from(ReturnRequest)) == 0


@pytest.mark.pg
def test_a_channel_manager_of_another_partner_gets_404_for_every_step(db, client, login, world):
    approved = make_order(db, world.buyer, [(product(db, 5), 1)], status="approved")
    shipped = make_order(db, world.buyer, [(product(db, 5), 1)], status="shipped")
    delivered = make_order(db, world.buyer, [(product(db, 5), 1)], status="delivered")
    ret = ReturnRequest(order_id=delivered.id, partner_id=delivered.partner_id, requested_by=world.buyer.id,
                        reason="broken")
    db.session.add(ret)
    db.session.commit()
    login(world.other_manager)
    assert client.post(f"/queue/{approved.id}/ship", data={"carrier": "A", "tracking": "1"},
                       headers=EN).status_code == 404
    assert client.post(f"/queue/{approved.id}/cancel", headers=EN).status_code == 404
    assert client.post(f"/queue/{shipped.id}/deliver", headers=EN).status_code == 404
    assert client.post(f"/queue/returns/{ret.id}/accept", headers=EN).status_code == 404
    assert client.post(f"/queue/returns/{ret.id}/decline", data={"decline_reason": "no"},
                       headers=EN).status_code == 404
    html = text(client.get("/queue/?tab=returns", headers=EN))
    assert delivered.number not in html
    assert [fresh(db, Order, o.id).status for o in (approved, shipped, delivered)] == ["approved", "shipped",
                                                                                      "delivered"]
    assert fresh(db, ReturnRequest, ret.id).status == "requested"
    assert db.session.scalar(select(func.count()).select_from(Credit)) == 0


# --- returns and credits ----------------------------------------------------------------------------------

def ask_return(client, order, quantities: dict, reason="Damaged in transit"):
    data = {f"quantity-{line_id}": str(q) for line_id, q in quantities.items()} | {"reason": reason}
    return client.post(f"/orders/{order.id}/return", data=data, headers=EN)


@pytest.mark.pg
def test_an_accepted_return_credits_the_snapshotted_net_price_exactly(db, client, login, world, run_jobs, outbox):
    a, b = product(db, 0, price=500), product(db, 0, price=500)
    order = make_order(db, world.buyer, [(a, 5), (b, 2)], status="delivered", net=333)
    line_a, line_b = order_lines(db, order)
    a.list_price_cents = 9999  # a later price change does not touch the credit
    db.session.commit()
    login(world.buyer)
    page = text(client.get(f"/orders/{order.id}/return", headers=EN))
    assert f'name="quantity-{line_a.id}"' in page and f'name="quantity-{line_b.id}"' in page
    assert ask_return(client, order, {line_a.id: 3, line_b.id: 0}).status_code == 303
    ret = db.session.scalar(select(ReturnRequest).where(ReturnRequest.order_id == order.id))
    assert ret.status == "requested" and ret.number == f"RET-{ret.id:06d}" and ret.reason == "Damaged in transit"
    assert [(r.order_line_id, r.quantity) for r in db.session.scalars(
        select(ReturnLine).where(ReturnLine.return_id == ret.id))] == [(line_a.id, 3)]
    assert audits(db, "order.return_requested")[0].partner_id == order.partner_id
    assert notices(db, world.manager) == 1  # the channel manager hears of it in the portal

    switch(client, login, world.manager)
    assert ret.number in text(client.get("/queue/?tab=returns", headers=EN))
    assert client.post(f"/queue/returns/{ret.id}/accept", headers=EN).status_code == 303
    credit = db.session.scalar(select(Credit).where(Credit.return_id == ret.id))
    assert credit.total_cents == 999 and credit.currency == "USD" and credit.number == f"CR-{credit.id:06d}"
    assert [(c.sku, c.quantity, c.net_unit_cents, c.line_total_cents) for c in db.session.scalars(
        select(CreditLine).where(CreditLine.credit_id == credit.id))] == [(line_a.sku, 3, 333, 999)]
    assert fresh(db, Order, order.id).status == "returned"
    assert fresh(db, ReturnRequest, ret.id).status == "accepted"
    assert fresh(db, Product, a.id).stock_on_hand == 0  # not restocked unless asked
    [entry] = audits(db, "order.returned")
    assert entry.before == {"status": "delivered", "credit": None, "credit_total_cents": None}
    assert entry.after == {"status": "returned", "credit": credit.number, "credit_total_cents": 999}
    assert audits(db, "credit.created")[0].after["total_cents"] == 999
    again = client.post(f"/queue/returns/{ret.id}/accept", headers=EN)
    assert again.status_code == 409 and "already accepted" in text(again)
    assert db.session.scalar(select(func.count()).select_from(Credit)) == 1
    assert notices(db, world.buyer) == 1
    run_jobs()
    [mail] = mails_to(outbox, world.buyer)
    assert credit.number in body(mail) and "$9.99" in body(mail)

    switch(client, login, world.buyer)
    html = text(client.get(f"/orders/{order.id}", headers=EN))
    assert credit.number in html and "$9.99" in html and ret.number in html and "Returned" in html


@pytest.mark.pg
def test_accepting_a_return_with_restock_puts_exactly_the_returned_units_back(db, client, login, world):
    a, b = product(db, 4), product(db, 7)
    order = make_order(db, world.buyer, [(a, 5), (b, 2)], status="delivered")
    line_a, line_b = order_lines(db, order)
    db.session.commit()
    login(world.buyer)
    assert ask_return(client, order, {line_a.id: 3, line_b.id: 1}).status_code == 303
    ret = db.session.scalar(select(ReturnRequest).where(ReturnRequest.order_id == order.id))
    switch(client, login, world.manager)
    assert 'name="restock"' in text(client.get(f"/queue/{order.id}", headers=EN))
    assert client.post(f"/queue/returns/{ret.id}/accept", data={"restock": "1"}, headers=EN).status_code == 303
    assert (fresh(db, Product, a.id).stock_on_hand, fresh(db, Product, b.id).stock_on_hand) == (7, 8)
    assert audits(db, "credit.created")[0].after["restocked"] is True


@pytest.mark.pg
def test_a_partial_return_then_a_second_for_the_remainder_then_nothing_is_left(db, client, login, world):
    item = product(db, 0)
    order = make_order(db, world.buyer, [(item, 4)], status="delivered", net=250)
    line = order_lines(db, order)[0]
    db.session.commit()
    login(world.buyer)
    assert ask_return(client, order, {line.id: 1}).status_code == 303
    blocked = ask_return(client, order, {line.id: 1})
    assert blocked.status_code == 409 and "still waiting for a decision" in text(blocked)
    first = db.session.scalar(select(ReturnRequest).where(ReturnRequest.order_id == order.id))
    switch(client, login, world.manager)
    assert client.post(f"/queue/returns/{first.id}/accept", headers=EN).status_code == 303
    switch(client, login, world.buyer)
    assert "Request a return" in text(client.get(f"/orders/{order.id}", headers=EN))  # 3 are left
    too_many = ask_return(client, order, {line.id: 4})
    assert too_many.status_code == 422 and "At most 3 can be returned." in text(too_many)
    assert ask_return(client, order, {line.id: 3}).status_code == 303
    second = db.session.scalar(select(ReturnRequest).where(ReturnRequest.order_id == order.id,
                                                           ReturnRequest.id != first.id))
    switch(client, login, world.admin)
    assert client.post(f"/queue/returns/{second.id}/accept", headers=EN).status_code == 303
    totals = sorted(db.session.scalars(select(Credit.total_cents).where(Credit.order_id == order.id)))
    assert totals == [250, 750]
    assert fresh(db, Order, order.id).status == "returned"
    switch(client, login, world.buyer)
    assert "At most 0 can be returned." in text(ask_return(client, order, {line.id: 1}))
    assert "Request a return" not in text(client.get(f"/orders/{order.id}", headers=EN))  # nothing left to offer


@pytest.mark.pg
@pytest.mark.parametrize("quantity, message", [
    ("0", "Enter a quantity to return on at least one line."),
    ("3", "At most 2 can be returned."),
    ("-1", "Enter 0 or more."),
    ("two", "Enter a whole number."),
    ("1.5", "Enter a whole number."),
    ("99999999999999999999", "Enter a whole number."),
    ("999999999", "At most 2 can be returned."),
])
def test_a_bad_return_quantity_is_422_and_writes_nothing(db, client, login, world, quantity, message):
    order = make_order(db, world.buyer, [(product(db, 0), 2)], status="delivered")
    line = order_lines(db, order)[0]
    db.session.commit()
    login(world.buyer)
    response = client.post(f"/orders/{order.id}/return", data={f"quantity-{line.id}": quantity, "reason": "x"},
                           headers=EN)
    assert response.status_code == 422 and message in text(response)
    assert db.session.scalar(select(func.count()).select_from(ReturnRequest)) == 0


@pytest.mark.pg
def test_a_return_naming_another_orders_line_or_no_reason_is_422_and_writes_nothing(db, client, login, world):
    order = make_order(db, world.buyer, [(product(db, 0), 2)], status="delivered")
    other = make_order(db, world.stranger, [(product(db, 0), 2)], status="delivered")
    mine, foreign = order_lines(db, order)[0], order_lines(db, other)[0]
    db.session.commit()
    login(world.buyer)
    response = ask_return(client, order, {mine.id: 1, foreign.id: 1})
    assert response.status_code == 422 and "has no such line" in text(response)
    no_reason = ask_return(client, order, {mine.id: 1}, reason="  ")
    assert no_reason.status_code == 422 and "Tell us why you return these products." in text(no_reason)
    assert db.session.scalar(select(func.count()).select_from(ReturnRequest)) == 0


@pytest.mark.parametrize("status", ["submitted", "approved", "shipped", "cancelled", "rejected"])
def test_a_return_before_delivery_is_409(db, client, login, world, status):
    order = make_order(db, world.buyer, [(product(db, 5), 2)], status=status)
    line = order_lines(db, order)[0]
    db.session.commit()
    login(world.buyer)
    response = ask_return(client, order, {line.id: 1})
    assert response.status_code == 409 and "only after delivery" in text(response)
    assert db.session.scalar(select(func.count()).select_from(ReturnRequest)) == 0


def test_declining_a_return_needs_a_reason_and_then_tells_the_partner(db, client, login, world, run_jobs, outbox):
    order = make_order(db, world.buyer, [(product(db, 0), 2)], status="delivered")
    line = order_lines(db, order)[0]
    db.session.commit()
    login(world.buyer)
    assert ask_return(client, order, {line.id: 2}).status_code == 303
    ret = db.session.scalar(select(ReturnRequest).where(ReturnRequest.order_id == order.id))
    switch(client, login, world.manager)
    empty = client.post(f"/queue/returns/{ret.id}/decline", data={"decline_reason": " "}, headers=EN)
    assert empty.status_code == 422 and "Give a reason for the partner." in text(empty)
    assert fresh(db, ReturnRequest, ret.id).status == "requested"
    assert client.post(f"/queue/returns/{ret.id}/decline", data={"decline_reason": "Opened and used"},
                       headers=EN).status_code == 303
    row = fresh(db, ReturnRequest, ret.id)
    assert row.status == "declined" and row.decision_note == "Opened and used"
    assert fresh(db, Order, order.id).status == "delivered"
    assert client.post(f"/queue/returns/{ret.id}/accept", headers=EN).status_code == 409
    assert db.session.scalar(select(func.count()).select_from(Credit)) == 0
    run_jobs()
    [mail] = mails_to(outbox, world.buyer)
    assert "Opened and used" in body(mail) and ret.number in mail["Subject"]
    switch(client, login, world.buyer)
    assert ask_return(client, order, {line.id: 2}).status_code == 303  # declined quantities may be asked again


# --- pages ------------------------------------------------------------------------------------------------

def test_the_partner_sees_carrier_and_tracking_and_the_actions_the_status_allows(db, client, login, world):
    shipped = make_order(db, world.buyer, [(product(db, 5), 1)], status="shipped")
    shipped.carrier, shipped.tracking_number = "FedEx", "7712-3344"
    approved = make_order(db, world.buyer, [(product(db, 5), 1)], status="approved")
    delivered = make_order(db, world.buyer, [(product(db, 5), 1)], status="delivered")
    db.session.commit()
    login(world.buyer)
    html = text(client.get(f"/orders/{shipped.id}", headers=EN))
    assert "FedEx" in html and "7712-3344" in html
    assert "Cancel order" not in html and "Request a return" not in html
    html = text(client.get(f"/orders/{approved.id}", headers=EN))
    assert f'action="/orders/{approved.id}/cancel"' in html and "Request a return" not in html
    html = text(client.get(f"/orders/{delivered.id}", headers=EN))
    assert f'href="/orders/{delivered.id}/return"' in html and "Cancel order" not in html


def test_the_queue_detail_offers_the_next_step_for_each_status(db, client, login, world):
    orders = {s: make_order(db, world.buyer, [(product(db, 5), 1)], status=s)
              for s in ("submitted", "approved", "shipped", "delivered")}
    db.session.commit()
    login(world.manager)
    pages = {s: text(client.get(f"/queue/{o.id}", headers=EN)) for s, o in orders.items()}
    assert "Approve" in pages["submitted"] and "Cancel order" in pages["submitted"]
    assert 'name="carrier"' in pages["approved"] and "Cancel order" in pages["approved"]
    assert "Mark delivered" in pages["shipped"] and "Cancel order" not in pages["shipped"]
    assert all(word not in pages["delivered"] for word in ("Mark delivered", 'name="carrier"', "Cancel order"))


def test_the_queue_tabs_list_orders_waiting_for_each_step(db, client, login, world):
    item = product(db, 5)
    by_status = {s: make_order(db, world.buyer, [(item, 1)], status=s)
                 for s in ("submitted", "approved", "shipped", "delivered")}
    ret = ReturnRequest(order_id=by_status["delivered"].id, partner_id=world.buyer.partner_id,
                        requested_by=world.buyer.id, reason="wrong size", number="RET-TEST-1")
    db.session.add(ret)
    db.session.commit()
    login(world.manager)
    tabs = {"submitted": "/queue/", "approved": "/queue/?tab=approved", "shipped": "/queue/?tab=shipped",
            "delivered": "/queue/?tab=returns"}
    for status, url in tabs.items():
        html = text(client.get(url, headers=EN))
        shown = {s for s, o in by_status.items() if f">{o.number}</a>" in html}
        assert shown == {status}, (url, shown)
    assert "RET-TEST-1" in text(client.get("/queue/?tab=returns", headers=EN))


@pytest.mark.pg
def test_approval_and_shipping_times_are_stored_and_the_queue_shows_their_average(db, client, login, world):
    item = product(db, 10)
    first = make_order(db, world.buyer, [(item, 1)], hours_ago=10)
    second = make_order(db, world.buyer, [(item, 1)], hours_ago=30)
    old = make_order(db, world.buyer, [(item, 1)], status="shipped", hours_ago=24 * 40)
    old.approval_seconds, old.shipping_seconds = 999_999, 999_999  # placed 40 days ago: outside the window
    db.session.commit()
    login(world.manager)
    for order in (first, second):
        assert client.post(f"/queue/{order.id}/approve", headers=EN).status_code == 303
    seconds = [fresh(db, Order, o.id).approval_seconds for o in (first, second)]
    assert abs(seconds[0] - 10 * 3600) < 60 and abs(seconds[1] - 30 * 3600) < 60
    assert client.post(f"/queue/{second.id}/ship", data={"carrier": "DHL", "tracking": "1"},
                       headers=EN).status_code == 303
    assert abs(fresh(db, Order, second.id).shipping_seconds - 30 * 3600) < 60
    html = text(client.get("/queue/", headers=EN))
    assert "20 h 0 min" in html  # average of 10 h and 30 h
    assert "1 d 6 h" in html  # to ship: the one shipped order
    switch(client, login, world.other_manager)  # scope: another manager's partners only
    assert "20 h 0 min" not in text(client.get("/queue/", headers=EN))


@pytest.mark.pg
def test_the_queue_shows_the_median_next_to_the_average(db, client, login, world):
    item = product(db, 10)
    hours = [1, 2, 10]
    orders = [make_order(db, world.buyer, [(item, 1)], status="approved", hours_ago=h + 1) for h in hours]
    for order, h in zip(orders, hours, strict=True):
        order.approval_seconds = h * 3600
    old = make_order(db, world.buyer, [(item, 1)], status="approved", hours_ago=24 * 40)
    old.approval_seconds = 1  # placed 40 days ago: outside the window
    db.session.commit()
    times = lifecycle.processing_times(world.manager)
    assert (times.approved, times.approval_avg, times.approval_median) == (3, 15600, 2 * 3600)  # avg 4 h 20 min
    assert times.shipped == 0 and times.shipping_avg is None and times.shipping_median is None
    fourth = make_order(db, world.buyer, [(item, 1)], status="shipped", hours_ago=30)
    fourth.approval_seconds, fourth.shipping_seconds = 20 * 3600 + 1, 3600
    db.session.commit()
    times = lifecycle.processing_times(world.manager)
    # an even count: the mean of the two middle values (2 h and 10 h), half-up to whole seconds
    assert (times.approved, times.approval_median) == (4, 6 * 3600)
    assert (times.shipped, times.shipping_avg, times.shipping_median) == (1, 3600, 3600)
    assert lifecycle.processing_times(world.other_manager).approval_median is None  # another scope
    login(world.manager)
    html = text(client.get("/queue/", headers=EN))
    assert "median 6 h 0 min" in html and "8 h 15 min" in html and "median 1 h 0 min" in html


def test_the_median_of_an_even_count_rounds_half_up(db, world):
    item = product(db, 10)
    for seconds in (1, 2):
        make_order(db, world.buyer, [(item, 1)], status="approved", hours_ago=2).approval_seconds = seconds
    db.session.commit()
    assert lifecycle.processing_times(world.manager).approval_median == 2  # 1.5 s -> 2 s


@pytest.mark.parametrize("tab", ["submitted", "approved", "shipped", "returns"])
def test_each_queue_tab_runs_a_constant_number_of_queries(db, client, login, world, count_queries, tab):
    item = product(db, 100)
    status = "delivered" if tab == "returns" else tab

    def add(n):
        for _ in range(n):
            order = make_order(db, factories.partner_user(world.buyer.partner), [(item, 1)], status=status)
            if tab == "returns":
                db.session.add(ReturnRequest(order_id=order.id, partner_id=order.partner_id, reason="r"))
        db.session.commit()

    add(3)
    login(world.manager)
    db.session.expire_all()
    with count_queries() as few:
        assert client.get(f"/queue/?tab={tab}", headers=EN).status_code == 200
    add(27)
    with count_queries() as many:
        html = text(client.get(f"/queue/?tab={tab}", headers=EN))
    assert many.count == few.count, "\n".join(s[:120] for s in few.statements + ["--"] + many.statements)
    assert html.count('id="queue-') == 25 and ("page=2&amp;tab=" in html or f"tab={tab}&amp;page=2" in html)
    assert not any("count(" in s.lower() and "orders" in s.lower() for s in many.statements)  # no page count


def test_shipping_and_cancelling_need_the_csrf_token_their_pages_carry(app, db, client, login, world):
    import re

    to_ship = make_order(db, world.buyer, [(product(db, 5), 1)], status="approved")
    to_cancel = make_order(db, world.buyer, [(product(db, 5), 1)])
    db.session.commit()
    login(world.manager)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        form = {"carrier": "DHL", "tracking": "1"}
        assert client.post(f"/queue/{to_ship.id}/ship", data=form, headers=EN).status_code == 400
        assert fresh(db, Order, to_ship.id).status == "approved"
        token = re.search(r'name="csrf_token" value="([^"]+)"', text(client.get(f"/queue/{to_ship.id}"))).group(1)
        assert client.post(f"/queue/{to_ship.id}/ship", data=form | {"csrf_token": token},
                           headers=EN).status_code == 303
        app.config["WTF_CSRF_ENABLED"] = False
        switch(client, login, world.buyer)
        app.config["WTF_CSRF_ENABLED"] = True
        assert client.post(f"/orders/{to_cancel.id}/cancel", headers=EN).status_code == 400
        assert fresh(db, Order, to_cancel.id).status == "submitted"
        token = re.search(r'name="csrf_token" value="([^"]+)"', text(client.get(f"/orders/{to_cancel.id}"))).group(1)
        assert client.post(f"/orders/{to_cancel.id}/cancel", data={"csrf_token": token}, headers=EN).status_code \
            == 303
        assert fresh(db, Order, to_cancel.id).status == "cancelled"
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_the_queue_keeps_the_processing_time_in_redis_for_a_while_per_scope(app, db, client, login, world):
    from portal.core import queue

    item = product(db, 10)
    order = make_order(db, world.buyer, [(item, 1)], status="approved", hours_ago=5)
    order.approval_seconds = 5 * 3600
    db.session.commit()
    conn = queue.connection(app)

    def forget():
        for key in conn.scan_iter("portal:kpi:*"):
            conn.delete(key)

    forget()
    app.config["KPI_CACHE_SECONDS"] = 60
    try:
        login(world.manager)
        assert "5 h 0 min" in text(client.get("/queue/", headers=EN))
        order.approval_seconds = 7 * 3600
        db.session.commit()
        assert "5 h 0 min" in text(client.get("/queue/", headers=EN))  # read from the cache, not recomputed
        forget()
        assert "7 h 0 min" in text(client.get("/queue/", headers=EN))  # no cache: computed again
        order.approval_seconds = 5 * 3600
        db.session.commit()
        assert "7 h 0 min" in text(client.get("/queue/", headers=EN))  # from Redis again
        order.approval_seconds = 7 * 3600
        db.session.commit()
        switch(client, login, world.other_manager)  # another scope never reads the first one's figures
        html = text(client.get("/queue/", headers=EN))
        assert "5 h 0 min" not in html and "7 h 0 min" not in html
        forget()
        switch(client, login, world.manager)
        assert "7 h 0 min" in text(client.get("/queue/", headers=EN))  # expired: computed again
    finally:
        app.config["KPI_CACHE_SECONDS"] = 0
        forget()


@pytest.mark.pg
def test_the_all_orders_tab_lists_every_order_in_scope_and_finds_one_by_number_or_po(db, client, login, world,
                                                                                   count_queries):
    item = product(db, 10)
    delivered = make_order(db, world.buyer, [(item, 1)], status="delivered", hours_ago=50, po="PO-FINDME-1")
    cancelled = make_order(db, world.buyer, [(item, 1)], status="cancelled", hours_ago=5, po="PO-OTHER-2")
    foreign = make_order(db, world.stranger, [(item, 1)], status="delivered", po="PO-FINDME-3")
    db.session.commit()
    login(world.manager)
    html = text(client.get("/queue/?tab=all", headers=EN))
    assert html.index(f">{cancelled.number}</a>") < html.index(f">{delivered.number}</a>")  # newest first
    assert "Delivered" in html and "Cancelled" in html
    assert f">{foreign.number}</a>" not in html  # another manager's partner
    found = text(client.get("/queue/?tab=all&q=po-findme-1", headers={**EN, "HX-Request": "true"}))
    assert f">{delivered.number}</a>" in found and f">{cancelled.number}</a>" not in found
    assert "<nav" not in found  # htmx: the results only
    assert f">{cancelled.number}</a>" in text(client.get(f"/queue/?tab=all&q={cancelled.number}", headers=EN))
    assert f">{foreign.number}</a>" not in text(client.get("/queue/?tab=all&q=PO-FINDME-3", headers=EN))
    assert "No orders match." in text(client.get("/queue/?tab=all&q=%25_nothing", headers=EN))
    with count_queries() as few:
        client.get("/queue/?tab=all", headers=EN)
    for n in range(30):
        make_order(db, world.buyer, [(item, 1)], status="delivered", po=f"PO-MANY-{n}")
    db.session.commit()
    with count_queries() as many:
        client.get("/queue/?tab=all", headers=EN)
    assert many.count == few.count
