"""Order history and detail: a partner's orders only (colleagues included), filtered by status, date,
PO number and SKU, paged without a count, in a constant number of queries."""

from __future__ import annotations

import re
from datetime import timedelta
from itertools import count

import pytest
from flask import g, request_started

from portal.core.permissions import Role
from portal.core.time import utcnow
from portal.extensions import db as database
from portal.orders.models import Order, OrderEvent, OrderLine
from tests import factories

_serial = count()
EN = {"Accept-Language": "en"}
HX = {"HX-Request": "true", "Accept-Language": "en"}


def make_order(user, *, po: str = "PO-1", status: str = "submitted", skus=("SKU-A",), days_ago: int = 0,
               total: int = 1000) -> Order:
    n = next(_serial)
    order = Order(partner_id=user.partner_id, placed_by=user.id, idempotency_key=f"key-{n}", po_number=po,
                  shipping_address="HQ\n1 Main St\n1000 Town\nLand", requested_date=utcnow().date(),
                  status=status, currency="USD", total_cents=total, created_at=utcnow() - timedelta(days=days_ago))
    database.session.add(order)
    database.session.flush()
    order.number = f"T-{order.id:06d}"
    for sku in skus:
        database.session.add(OrderLine(order_id=order.id, product_id=None, sku=sku, name=f"Name {sku}", quantity=2,
                                       list_price_cents=500, net_unit_cents=500, tier_name="", discount_bp=0,
                                       line_total_cents=1000))
    database.session.add(OrderEvent(order_id=order.id, actor_id=user.id, from_status="", to_status="submitted"))
    database.session.flush()
    return order


def text(response) -> str:
    return response.get_data(as_text=True)


def numbers(html: str, orders: list[Order]) -> set[str]:
    return {o.number for o in orders if o.number in html}


@pytest.fixture
def partner_pair(db):
    partner = factories.PartnerFactory()
    return (factories.partner_user(partner, Role.PARTNER_USER), factories.partner_user(partner, Role.PARTNER_ADMIN))


@pytest.mark.pg
def test_history_shows_the_partners_orders_including_a_colleagues_and_not_another_partners(db, client, login,
                                                                                          partner_pair):
    me, colleague = partner_pair
    stranger = factories.partner_user(factories.PartnerFactory(), Role.PARTNER_USER)
    mine, theirs, other = make_order(me), make_order(colleague), make_order(stranger)
    db.session.commit()
    login(me)
    html = text(client.get("/orders/", headers=EN))
    assert numbers(html, [mine, theirs, other]) == {mine.number, theirs.number}


@pytest.mark.pg
@pytest.mark.parametrize("query", ["", "?po=PO", "?status=submitted&sku=SKU-A"])
def test_partners_taking_turns_on_the_same_filters_each_get_their_own_orders(db, client, login, query):
    users = [factories.partner_user(factories.PartnerFactory(), Role.PARTNER_USER) for _ in range(3)]
    made = {user.id: make_order(user) for user in users}
    db.session.commit()
    for user in users + users[::-1]:
        login(user)
        html = text(client.get(f"/orders/{query}", headers=EN))
        assert numbers(html, list(made.values())) == {made[user.id].number}
        client.post("/logout")


@pytest.mark.pg
def test_another_partners_order_is_404(db, client, login, partner_pair):
    me, _ = partner_pair
    other = make_order(factories.partner_user(factories.PartnerFactory(), Role.PARTNER_USER), po="SECRET-PO")
    db.session.commit()
    login(me)
    response = client.get(f"/orders/{other.id}", headers=EN)
    assert response.status_code == 404 and "SECRET-PO" not in text(response)


def test_a_colleagues_order_detail_shows_lines_address_and_timeline(db, client, login, partner_pair):
    me, colleague = partner_pair
    order = make_order(colleague, po="PO-COLL", skus=("SKU-X", "SKU-Y"))
    db.session.commit()
    login(me)
    html = text(client.get(f"/orders/{order.id}", headers=EN))
    assert "PO-COLL" in html and "SKU-X" in html and "SKU-Y" in html and "1 Main St" in html
    assert 'class="timeline"' in html and "Submitted" in html and "$10.00" in html


@pytest.mark.parametrize(("query", "expected"), [
    ("status=approved", {"approved"}),
    ("po=acme", {"po-match"}),
    ("sku=SKU-RARE", {"sku-match"}),
    ("from={old}&to={old}", {"old"}),
])
def test_history_filters(db, client, login, partner_pair, query, expected):
    me, _ = partner_pair
    made = {
        "approved": make_order(me, status="approved", po="P-1"),
        "po-match": make_order(me, po="ACME-77"),
        "sku-match": make_order(me, po="P-3", skus=("SKU-A", "SKU-RARE")),
        "old": make_order(me, po="P-4", days_ago=40),
    }
    db.session.commit()
    login(me)
    old = (utcnow().date() - timedelta(days=40)).isoformat()
    html = text(client.get(f"/orders/?{query.format(old=old)}", headers=HX))
    assert 'id="results"' in html and "<nav" not in html.split('id="results"')[0]  # the results block only
    assert {key for key, order in made.items() if f'id="order-{order.id}"' in html} == expected


def test_history_pages_without_counting(db, client, login, partner_pair, count_queries):
    me, _ = partner_pair
    for i in range(27):
        make_order(me, po=f"PG-{i}")
    db.session.commit()
    login(me)
    first = text(client.get("/orders/", headers=EN))
    assert first.count('<tr id="order-') == 25 and 'rel="next"' in first
    second = text(client.get("/orders/?page=2", headers=EN))
    assert second.count('<tr id="order-') == 2 and 'rel="next"' not in second
    with count_queries() as counter:
        client.get("/orders/", headers=EN)
    listing = [s.lower() for s in counter.statements if "from orders" in s.lower()]
    assert len(listing) == 1 and "count(" not in listing[0]


def test_an_order_row_follows_its_status_and_the_reader_s_language(db, client, login, partner_pair):
    me, colleague = partner_pair
    order = make_order(me)
    colleague.locale = "zh_Hans"
    db.session.flush()
    login(me)
    assert "Submitted" in order_row(text(client.get("/orders/", headers=EN)), order)
    order.status = "shipped"
    db.session.flush()
    assert "Shipped" in order_row(text(client.get("/orders/", headers=EN)), order)
    client.post("/logout")
    login(colleague)  # same partner, same rows, Chinese
    chinese = order_row(text(client.get("/orders/", headers=EN)), order)
    assert "已发货" in chinese and "Shipped" not in chinese


def order_row(html: str, order: Order) -> str:
    found = re.search(rf'<tr id="order-{order.id}".*?</tr>', html, re.S)
    assert found, html[:2000]
    return found.group(0)


def test_vendor_staff_have_no_partner_order_history(db, client, login):
    login(factories.vendor(Role.ADMIN))
    assert client.get("/orders/", headers=EN).status_code == 403


@pytest.fixture
def fresh_request_globals(app):
    def clear(sender, **extra):
        for name in list(g):
            g.pop(name)

    request_started.connect(clear, app)
    yield
    request_started.disconnect(clear, app)


@pytest.mark.pg
def test_history_and_detail_run_a_constant_number_of_queries(db, client, login, count_queries, partner_pair,
                                                            fresh_request_globals):
    me, _ = partner_pair
    login(me)

    def measure(url: str) -> int:
        db.session.flush()
        db.session.expunge_all()
        with count_queries() as counter:
            assert client.get(url, headers=EN).status_code == 200
        return counter.count

    for _ in range(3):
        make_order(me)
    few = measure("/orders/")
    for _ in range(27):
        make_order(me)
    assert measure("/orders/") == few == 4  # user, header badges (unread + cart), data versions, a page of orders
    small = make_order(me, skus=[f"S-{i}" for i in range(3)]).id
    large = make_order(me, skus=[f"L-{i}" for i in range(20)]).id
    assert measure(f"/orders/{small}") == measure(f"/orders/{large}") == 5  # + order, lines, timeline
