"""Partner order history extras: reorder an old order into the cart (what was added and what was skipped is
always said), and the filtered list as a streamed CSV (BOM, user's time zone, exact totals, formula guard)."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select

from portal.catalogue.models import Category, Product
from portal.core.permissions import Role
from portal.core.time import utcnow
from portal.orders.models import CartLine, Order, OrderEvent, OrderLine
from tests import factories

_serial = count()
EN = {"Accept-Language": "en"}


def product(db, sku: str, *, stock: int = 100, moq: int = 1, active: bool = True, price: int = 1000) -> Product:
    cat = Category(name=f"Reorder category {next(_serial)}-{uuid.uuid4().hex[:6]}")
    db.session.add(cat)
    db.session.flush()
    row = Product(sku=sku, name=f"Product {sku}", description="", category_id=cat.id, list_price_cents=price,
                  currency="USD", unit="each", stock_on_hand=stock, min_order_qty=moq, active=active)
    db.session.add(row)
    db.session.flush()
    return row


def make_order(db, user, lines: list[tuple[Product | None, str, int]], *, po: str = "PO-R", status: str = "delivered",
               created_at: datetime | None = None, total: int = 1000, carrier: str = "", tracking: str = "") -> Order:
    n = next(_serial)
    order = Order(partner_id=user.partner_id, placed_by=user.id, idempotency_key=f"re-{n}-{uuid.uuid4().hex[:6]}",
                  po_number=po, shipping_address="HQ", requested_date=utcnow().date(), status=status,
                  currency="USD", total_cents=total, created_at=created_at or utcnow(), carrier=carrier,
                  tracking_number=tracking)
    db.session.add(order)
    db.session.flush()
    order.number = f"R-{order.id:06d}"
    for item, sku, quantity in lines:
        db.session.add(OrderLine(order_id=order.id, product_id=item.id if item else None, sku=sku, name=sku,
                                 quantity=quantity, list_price_cents=1000, net_unit_cents=1000, tier_name="",
                                 discount_bp=0, line_total_cents=1000 * quantity))
    db.session.add(OrderEvent(order_id=order.id, actor_id=user.id, from_status="", to_status="submitted"))
    db.session.flush()
    return order


def text(response) -> str:
    return response.get_data(as_text=True)


def cart_of(db, user) -> dict[int, int]:
    return dict(db.session.execute(select(CartLine.product_id, CartLine.quantity)
                                   .where(CartLine.user_id == user.id)).all())


@pytest.fixture
def me(db):
    return factories.partner_user(factories.PartnerFactory())


# --- reorder ------------------------------------------------------------------------------------------

@pytest.mark.pg
def test_reorder_adds_the_lines_to_the_cart_on_top_of_what_is_there_and_says_so(db, client, login, me):
    a, b = product(db, f"RA-{next(_serial)}"), product(db, f"RB-{next(_serial)}")
    order = make_order(db, me, [(a, a.sku, 3), (b, b.sku, 2)])
    db.session.add(CartLine(user_id=me.id, product_id=a.id, quantity=4))
    db.session.commit()
    login(me)
    response = client.post(f"/orders/{order.id}/reorder", headers=EN)
    assert response.status_code == 303 and response.headers["Location"].endswith("/cart/")
    assert cart_of(db, me) == {a.id: 7, b.id: 2}
    html = text(client.get("/cart/", headers=EN))
    assert f"Added to your cart: {a.sku} × 3, {b.sku} × 2." in html
    assert "Not added" not in html


def test_reorder_skips_inactive_removed_and_out_of_stock_products_and_names_each(db, client, login, me):
    ok = product(db, f"ROK-{next(_serial)}")
    gone = product(db, f"RGONE-{next(_serial)}", active=False)
    empty = product(db, f"REMPTY-{next(_serial)}", stock=0)
    order = make_order(db, me, [(ok, ok.sku, 1), (gone, gone.sku, 1), (None, "DELETED-SKU", 2), (empty, empty.sku, 5)])
    db.session.commit()
    login(me)
    client.post(f"/orders/{order.id}/reorder", headers=EN)
    assert cart_of(db, me) == {ok.id: 1}
    html = text(client.get("/cart/", headers=EN))
    assert f"Added to your cart: {ok.sku} × 1." in html
    assert (f"Not added: {gone.sku} (no longer available), DELETED-SKU (no longer available), "
            f"{empty.sku} (not enough stock: 0 available).") in html


def test_reorder_caps_a_line_at_the_stock_and_says_how_many_were_added(db, client, login, me):
    few = product(db, f"RFEW-{next(_serial)}", stock=3)
    full = product(db, f"RFULL-{next(_serial)}", stock=2)
    order = make_order(db, me, [(few, few.sku, 5), (full, full.sku, 1)])
    db.session.add(CartLine(user_id=me.id, product_id=full.id, quantity=2))
    db.session.commit()
    login(me)
    client.post(f"/orders/{order.id}/reorder", headers=EN)
    assert cart_of(db, me) == {few.id: 3, full.id: 2}
    html = text(client.get("/cart/", headers=EN))
    assert f"Added to your cart: {few.sku} × 3 instead of 5." in html
    assert f"Not added: {full.sku} (not enough stock: 2 available)." in html


def test_reorder_raises_a_line_below_todays_minimum_order_to_it(db, client, login, me):
    item = product(db, f"RMOQ-{next(_serial)}", moq=10)
    order = make_order(db, me, [(item, item.sku, 4)])
    db.session.commit()
    login(me)
    client.post(f"/orders/{order.id}/reorder", headers=EN)
    assert cart_of(db, me) == {item.id: 10}
    assert f"{item.sku} × 10 instead of 4" in text(client.get("/cart/", headers=EN))


@pytest.mark.pg
def test_reordering_another_partners_order_is_404_and_the_cart_is_unchanged(db, client, login, me):
    item = product(db, f"RX-{next(_serial)}")
    stranger = factories.partner_user(factories.PartnerFactory())
    theirs = make_order(db, stranger, [(item, item.sku, 1)])
    db.session.commit()
    login(me)
    assert client.post(f"/orders/{theirs.id}/reorder", headers=EN).status_code == 404
    assert cart_of(db, me) == {}


def test_a_colleagues_order_can_be_reordered_from_its_detail_page(db, client, login, me):
    item = product(db, f"RC-{next(_serial)}")
    colleague = factories.partner_user(me.partner, Role.PARTNER_ADMIN)
    order = make_order(db, colleague, [(item, item.sku, 2)])
    db.session.commit()
    login(me)
    html = text(client.get(f"/orders/{order.id}", headers=EN))
    assert f'action="/orders/{order.id}/reorder"' in html and "Reorder" in html
    assert client.post(f"/orders/{order.id}/reorder", headers=EN).status_code == 303
    assert cart_of(db, me) == {item.id: 2}
    assert cart_of(db, colleague) == {}


def test_reorder_needs_the_csrf_token_the_detail_page_carries(app, db, client, login, me):
    item = product(db, f"RT-{next(_serial)}")
    order = make_order(db, me, [(item, item.sku, 1)])
    db.session.commit()
    login(me)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(f"/orders/{order.id}/reorder", headers=EN).status_code == 400
        assert cart_of(db, me) == {}
        html = text(client.get(f"/orders/{order.id}", headers=EN))
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        assert client.post(f"/orders/{order.id}/reorder", data={"csrf_token": token}, headers=EN).status_code == 303
        assert cart_of(db, me) == {item.id: 1}
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_vendor_staff_cannot_reorder(db, client, login, me):
    item = product(db, f"RV-{next(_serial)}")
    order = make_order(db, me, [(item, item.sku, 1)])
    db.session.commit()
    login(factories.vendor(Role.ADMIN))
    assert client.post(f"/orders/{order.id}/reorder", headers=EN).status_code == 403


# --- CSV export ---------------------------------------------------------------------------------------

def parse(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8")[1:])))


@pytest.mark.pg
def test_the_export_has_one_row_per_order_in_the_users_time_zone_with_exact_totals(db, client, login, me):
    me.timezone = "Asia/Shanghai"
    a, b = product(db, f"EA-{next(_serial)}"), product(db, f"EB-{next(_serial)}")
    first = make_order(db, me, [(a, a.sku, 1), (b, b.sku, 2)], po="PO-一", status="shipped", total=123456,
                       created_at=datetime(2026, 1, 2, 20, 30, tzinfo=UTC), carrier="DHL", tracking="JD0001")
    second = make_order(db, me, [(a, a.sku, 1)], po="PO-2", status="submitted", total=5,
                        created_at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    other = make_order(db, factories.partner_user(factories.PartnerFactory()), [(a, a.sku, 1)], po="PO-OTHER")
    db.session.commit()
    login(me)
    response = client.get("/orders/export.csv", headers=EN)
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    local_today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date()
    assert response.headers["Content-Disposition"] == f'attachment; filename="orders-{local_today:%Y%m%d}.csv"'
    rows = parse(response)
    assert rows[0] == ["Order", "Placed", "PO number", "Status", "Total", "Currency", "Lines", "Carrier",
                       "Tracking number"]
    assert rows[1:] == [
        [second.number, "2026-01-05 17:00", "PO-2", "Submitted", "0.05", "USD", "1", "", ""],
        [first.number, "2026-01-03 04:30", "PO-一", "Shipped", "1234.56", "USD", "2", "DHL", "JD0001"],
    ]
    assert other.number not in response.get_data(as_text=True)


@pytest.mark.parametrize(("query", "expected"), [
    ("status=approved", {"approved"}),
    ("po=acme", {"po"}),
    ("sku=SKU-RARE", {"sku"}),
    ("from={old}&to={old}", {"old"}),
    ("", {"approved", "po", "sku", "old"}),
])
def test_the_export_applies_the_lists_filters(db, client, login, me, query, expected):
    item = product(db, f"EF-{next(_serial)}")
    made = {
        "approved": make_order(db, me, [(item, item.sku, 1)], status="approved", po="P-1"),
        "po": make_order(db, me, [(item, item.sku, 1)], po="ACME-77", status="submitted"),
        "sku": make_order(db, me, [(item, item.sku, 1), (None, "SKU-RARE", 1)], po="P-3", status="submitted"),
        "old": make_order(db, me, [(item, item.sku, 1)], po="P-4", status="submitted",
                          created_at=utcnow() - timedelta(days=40)),
    }
    db.session.commit()
    login(me)
    old = (utcnow().date() - timedelta(days=40)).isoformat()
    rows = parse(client.get(f"/orders/export.csv?{query.format(old=old)}", headers=EN))
    assert {key for key, order in made.items() if any(row[0] == order.number for row in rows)} == expected


def test_the_export_guards_cells_a_spreadsheet_would_run_as_formulas(db, client, login, me):
    item = product(db, f"EG-{next(_serial)}")
    make_order(db, me, [(item, item.sku, 1)], po="=HYPERLINK(\"http://evil\")", carrier="+CARRIER",
               tracking="@SUM(A1)")
    db.session.commit()
    login(me)
    [row] = parse(client.get("/orders/export.csv", headers=EN))[1:]
    assert row[2] == "'=HYPERLINK(\"http://evil\")" and row[7] == "'+CARRIER" and row[8] == "'@SUM(A1)"


def test_the_export_streams_thousands_of_orders_with_one_query_for_the_rows(db, client, login, me, count_queries):
    now = utcnow()
    db.session.execute(insert(Order), [
        {"partner_id": me.partner_id, "placed_by": me.id, "idempotency_key": f"bulk-{i}", "number": f"B-{i:06d}",
         "po_number": f"PO-{i}", "shipping_address": "HQ", "requested_date": now.date(), "status": "approved",
         "currency": "USD", "total_cents": i, "created_at": now - timedelta(minutes=i), "carrier": "",
         "tracking_number": "", "notes": ""}
        for i in range(1, 1202)])
    db.session.commit()
    login(me)
    with count_queries() as counter:
        response = client.get("/orders/export.csv", headers=EN)
        rows = parse(response)
    assert len(rows) == 1 + 1201
    assert rows[1][0] == "B-000001" and rows[-1][0] == "B-001201" and rows[-1][4] == "12.01"
    listing = [s for s in counter.statements if "from orders" in s.lower()]
    assert len(listing) == 1
    assert db.session.scalar(select(func.count()).select_from(Order).where(Order.placed_by == me.id)) == 1201


def test_the_order_list_links_to_the_export_with_its_current_filters(db, client, login, me):
    db.session.commit()
    login(me)
    html = text(client.get("/orders/?status=shipped&po=ACME", headers=EN))
    link = re.search(r'<a href="([^"]*export\.csv[^"]*)"', html).group(1).replace("&amp;", "&")
    assert "status=shipped" in link and "po=ACME" in link


def test_vendor_staff_have_no_partner_order_export(db, client, login):
    login(factories.vendor(Role.ADMIN))
    assert client.get("/orders/export.csv", headers=EN).status_code == 403
