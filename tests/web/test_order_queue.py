"""Vendor order queue: submitted orders oldest first with their age, approve (reserving stock, never
below zero, even under 20 concurrent approvals on SQLite and PostgreSQL) and reject with a reason."""

from __future__ import annotations

import re
import threading
import uuid
from datetime import timedelta
from itertools import count

import pytest
from sqlalchemy import func, select

from portal.catalogue.models import Category, Product
from portal.core.audit import AuditEntry
from portal.core.permissions import Role
from portal.core.time import utcnow
from portal.notifications.models import Notification
from portal.orders.models import Order, OrderEvent, OrderLine
from tests import factories

_serial = count()
EN = {"Accept-Language": "en"}


def product(db, stock: int, sku: str | None = None) -> Product:
    cat = Category(name=f"Queue category {next(_serial)}-{uuid.uuid4().hex[:6]}")
    db.session.add(cat)
    db.session.flush()
    row = Product(sku=sku or f"Q-{next(_serial)}-{uuid.uuid4().hex[:6]}", name="Queue product", description="",
                  category_id=cat.id, list_price_cents=1000, currency="USD", unit="each", stock_on_hand=stock,
                  min_order_qty=1, active=True)
    db.session.add(row)
    db.session.flush()
    return row


def make_order(db, user, lines: list[tuple[Product, int]], *, hours_ago: float = 1, status: str = "submitted",
               po: str = "PO-Q") -> Order:
    n = next(_serial)
    total = sum(p.list_price_cents * q for p, q in lines)
    order = Order(partner_id=user.partner_id, placed_by=user.id, idempotency_key=f"q-{n}-{uuid.uuid4().hex[:8]}",
                  po_number=po, shipping_address="HQ", requested_date=utcnow().date(), status=status,
                  currency="USD", total_cents=total, created_at=utcnow() - timedelta(hours=hours_ago))
    db.session.add(order)
    db.session.flush()
    order.number = f"Q-{order.id:06d}"
    for p, q in lines:
        db.session.add(OrderLine(order_id=order.id, product_id=p.id, sku=p.sku, name=p.name, quantity=q,
                                 list_price_cents=p.list_price_cents, net_unit_cents=p.list_price_cents,
                                 tier_name="", discount_bp=0, line_total_cents=p.list_price_cents * q))
    db.session.add(OrderEvent(order_id=order.id, actor_id=user.id, from_status="", to_status="submitted"))
    db.session.flush()
    return order


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def setup(db):
    manager = factories.vendor(Role.CHANNEL_MANAGER)
    mine = factories.PartnerFactory(channel_manager_id=manager.id)
    other = factories.PartnerFactory()
    return manager, factories.partner_user(mine), factories.partner_user(other)


@pytest.mark.pg
def test_queue_lists_submitted_orders_oldest_first_with_age_partner_and_total(db, client, login, setup):
    _, buyer, _ = setup
    item = product(db, 10)
    newer = make_order(db, buyer, [(item, 1)], hours_ago=2)
    older = make_order(db, buyer, [(item, 3)], hours_ago=51)
    done = make_order(db, buyer, [(item, 1)], status="approved")
    admin = factories.vendor(Role.ADMIN)
    db.session.commit()
    login(admin)
    html = text(client.get("/queue/", headers=EN))
    assert older.number in html and newer.number in html and done.number not in html
    assert html.index(older.number) < html.index(newer.number)
    assert "2 d 3 h" in html and "2 h 0 min" in html
    assert buyer.partner.name in html and "$30.00" in html


@pytest.mark.pg
def test_a_channel_manager_sees_only_assigned_partners_and_another_partners_order_is_404(db, client, login,
                                                                                        setup):
    manager, buyer, stranger = setup
    item = product(db, 10)
    mine, theirs = make_order(db, buyer, [(item, 1)]), make_order(db, stranger, [(item, 1)], po="SECRET-PO")
    db.session.commit()
    login(manager)
    html = text(client.get("/queue/", headers=EN))
    assert mine.number in html and theirs.number not in html
    assert client.get(f"/queue/{theirs.id}", headers=EN).status_code == 404
    assert client.post(f"/queue/{theirs.id}/approve", headers=EN).status_code == 404
    assert client.post(f"/queue/{theirs.id}/reject", data={"reason": "x"}, headers=EN).status_code == 404
    db.session.expire_all()
    assert db.session.get(Order, theirs.id).status == "submitted"
    assert db.session.get(Product, item.id).stock_on_hand == 10


@pytest.mark.pg
@pytest.mark.parametrize("tab", ["submitted", "approved", "all", "all-lookup"])
def test_managers_taking_turns_on_a_tab_each_see_their_own_partners_orders(db, client, login, tab):
    managers = [factories.vendor(Role.CHANNEL_MANAGER) for _ in range(3)]
    buyers = [factories.partner_user(factories.PartnerFactory(channel_manager_id=m.id)) for m in managers]
    item = product(db, 10)
    status = "approved" if tab == "approved" else "submitted"
    made = {m.id: make_order(db, b, [(item, 1)], status=status, po="SAME-PO") for m, b in zip(managers, buyers,
                                                                                             strict=True)}
    db.session.commit()
    url = {"submitted": "/queue/", "approved": "/queue/?tab=approved", "all": "/queue/?tab=all",
           "all-lookup": "/queue/?tab=all&q=same-po"}[tab]
    for manager in managers + managers[::-1]:
        login(manager)
        html = text(client.get(url, headers=EN))
        assert {o.number for o in made.values() if o.number in html} == {made[manager.id].number}
        client.post("/logout")


def queue_row(html: str, row_id: int) -> str:
    found = re.search(rf'<tr id="queue-{row_id}".*?</tr>', html, re.S)
    assert found, html[:2000]
    return found.group(0)


def test_a_queue_row_shows_the_waiting_time_as_it_grows(db, client, login, setup):
    manager, buyer, _ = setup
    order = make_order(db, buyer, [(product(db, 10), 1)], hours_ago=2)
    login(manager)
    assert ">2 h 0 min<" in queue_row(text(client.get("/queue/", headers=EN)), order.id)
    order.created_at = utcnow() - timedelta(hours=5, minutes=1)
    db.session.flush()
    assert ">5 h 1 min<" in queue_row(text(client.get("/queue/", headers=EN)), order.id)


def test_markup_a_partner_wrote_in_a_po_number_shows_as_text(db, client, login, setup):
    manager, buyer, _ = setup
    order = make_order(db, buyer, [(product(db, 10), 1)], po='<b>"PO"</b><!--x-->')
    login(manager)
    row = queue_row(text(client.get("/queue/", headers=EN)), order.id)
    assert re.search(r"<td[^>]*>&lt;b&gt;&#34;PO&#34;&lt;/b&gt;&lt;!--x--&gt;</td>", row) and "<b>" not in row


def test_partner_users_and_trainers_have_no_queue(db, client, login, setup):
    _, buyer, _ = setup
    login(buyer)
    assert client.get("/queue/", headers=EN).status_code == 403
    client.post("/logout")
    trainer = factories.vendor(Role.TRAINER)
    db.session.commit()
    login(trainer)
    assert client.get("/queue/", headers=EN).status_code == 403


def test_the_menu_shows_the_queue_to_a_channel_manager(db, client, login, setup):
    manager, _, _ = setup
    db.session.commit()
    login(manager)
    assert "Order queue" in text(client.get("/queue/", headers=EN))


@pytest.mark.pg
def test_approving_reserves_stock_audits_and_tells_the_partner_once(db, client, login, setup, run_jobs, outbox):
    manager, buyer, _ = setup
    a, b = product(db, 10), product(db, 4)
    order = make_order(db, buyer, [(a, 3), (b, 4)])
    db.session.commit()
    login(manager)
    response = client.post(f"/queue/{order.id}/approve", headers=EN)
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Product, a.id).stock_on_hand == 7 and db.session.get(Product, b.id).stock_on_hand == 0
    fresh = db.session.get(Order, order.id)
    assert fresh.status == "approved" and fresh.approved_at is not None
    assert db.session.scalar(select(func.count()).select_from(OrderEvent).where(
        OrderEvent.order_id == order.id, OrderEvent.to_status == "approved", OrderEvent.actor_id == manager.id)) == 1
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "order.approved"))
    assert entry.before == {"status": "submitted"} and entry.after == {"status": "approved"}
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == buyer.id)) == 1
    again = client.post(f"/queue/{order.id}/approve", headers=EN)
    assert again.status_code == 409 and "only submitted orders" in text(again)
    run_jobs()
    mails = [m for m in outbox() if m["To"] and buyer.email in m["To"]]
    assert len(mails) == 1 and "is Approved" in mails[0]["Subject"]


@pytest.mark.pg
def test_approval_with_a_short_line_changes_nothing_and_names_the_sku(db, client, login, setup):
    manager, buyer, _ = setup
    plenty, short = product(db, 10), product(db, 2, sku=f"SHORT-{uuid.uuid4().hex[:6]}")
    order = make_order(db, buyer, [(plenty, 5), (short, 3)])
    db.session.commit()
    login(manager)
    response = client.post(f"/queue/{order.id}/approve", headers=EN)
    assert response.status_code == 409
    assert f"Not enough stock for SKU {short.sku} (2 available)" in text(response)
    db.session.expire_all()
    assert db.session.get(Product, plenty.id).stock_on_hand == 10
    assert db.session.get(Product, short.id).stock_on_hand == 2
    assert db.session.get(Order, order.id).status == "submitted"
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "order.approved")) == 0


def test_rejecting_needs_a_reason_next_to_the_field(db, client, login, setup):
    manager, buyer, _ = setup
    order = make_order(db, buyer, [(product(db, 5), 1)])
    db.session.commit()
    login(manager)
    response = client.post(f"/queue/{order.id}/reject", data={"reason": "  "}, headers=EN)
    assert response.status_code == 422 and "Give a reason for the partner." in text(response)
    assert 'aria-invalid="true"' in text(response)
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "submitted"


@pytest.mark.pg
def test_rejecting_with_a_reason_audits_and_tells_the_partner(db, client, login, setup, run_jobs, outbox):
    manager, buyer, _ = setup
    item = product(db, 5)
    order = make_order(db, buyer, [(item, 1)])
    db.session.commit()
    login(manager)
    assert client.post(f"/queue/{order.id}/reject", data={"reason": "Credit hold"}, headers=EN).status_code == 303
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "rejected"
    assert db.session.get(Product, item.id).stock_on_hand == 5
    event = db.session.scalar(select(OrderEvent).where(OrderEvent.order_id == order.id,
                                                       OrderEvent.to_status == "rejected"))
    assert event.note == "Credit hold"
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "order.rejected")).after["status"] \
        == "rejected"
    assert client.post(f"/queue/{order.id}/reject", data={"reason": "again"}, headers=EN).status_code == 409
    run_jobs()
    mails = [m for m in outbox() if m["To"] and buyer.email in m["To"]]
    assert len(mails) == 1 and "Credit hold" in mails[0].get_body(("plain",)).get_content()


def test_the_queue_page_runs_a_constant_number_of_queries(db, client, login, setup, count_queries):
    manager, buyer, _ = setup
    item = product(db, 100)
    for _ in range(3):
        make_order(db, buyer, [(item, 1)])
    db.session.commit()
    login(manager)
    db.session.expire_all()
    with count_queries() as few:
        assert client.get("/queue/", headers=EN).status_code == 200
    for _ in range(27):
        make_order(db, factories.partner_user(buyer.partner), [(item, 1)])
    db.session.commit()
    with count_queries() as many:
        html = text(client.get("/queue/", headers=EN))
    assert many.count == few.count, "\n".join(s[:120] for s in few.statements + ["--"] + many.statements)
    # signed-in user, header badges, data versions, the processing-time KPI (no approved order: no median), a page
    assert few.count == 5, few.statements
    assert html.count('id="queue-') == 25 and "page=2" in html
    assert not any("count(" in s.lower() and "orders" in s.lower() for s in many.statements)


# --- real concurrency: a separate app on its own database, real commits --------------------------------



def test_twenty_concurrent_approvals_for_five_units_approve_exactly_five(live_app):
    from portal.extensions import db

    with live_app.app_context():
        admin = factories.vendor(Role.ADMIN)
        buyer = factories.partner_user(factories.PartnerFactory())
        item = product(db, 5, sku="LAST-5")
        order_ids = [make_order(db, buyer, [(item, 1)]).id for _ in range(20)]
        db.session.commit()
        admin_email, item_id = admin.email, item.id
        db.session.remove()

    clients = []
    for _ in range(20):
        c = live_app.test_client()
        assert c.post("/login", data={"email": admin_email, "password": factories.PASSWORD}).status_code == 303
        clients.append(c)
    start = threading.Barrier(20)
    results: list[tuple[int, str]] = []
    lock = threading.Lock()

    def approve(c, order_id):
        start.wait()
        r = c.post(f"/queue/{order_id}/approve", headers=EN)
        with lock:
            results.append((r.status_code, r.get_data(as_text=True)))

    threads = [threading.Thread(target=approve, args=(c, oid)) for c, oid in zip(clients, order_ids, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    codes = sorted(code for code, _ in results)
    assert codes == [303] * 5 + [409] * 15
    assert all("Not enough stock for SKU LAST-5 (0 available)" in body for code, body in results if code == 409)
    with live_app.app_context():
        assert db.session.get(Product, item_id).stock_on_hand == 0
        assert db.session.scalar(select(func.count()).select_from(Order).where(Order.status == "approved")) == 5
        db.session.remove()


def test_approving_needs_the_csrf_token_the_queue_page_carries(app, db, client, login, setup):
    manager, buyer, _ = setup
    item = product(db, 5)
    order = make_order(db, buyer, [(item, 1)])
    db.session.commit()
    login(manager)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(f"/queue/{order.id}/approve", headers=EN).status_code == 400
        db.session.expire_all()
        assert db.session.get(Order, order.id).status == "submitted"
        html = text(client.get("/queue/", headers=EN))
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        response = client.post(f"/queue/{order.id}/approve", data={"csrf_token": token}, headers=EN)
        assert response.status_code == 303
        db.session.expire_all()
        assert db.session.get(Product, item.id).stock_on_hand == 4
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_the_vendors_order_page_has_everything_to_ship_against(client, login, db):
    manager = factories.vendor(Role.CHANNEL_MANAGER)
    partner = factories.PartnerFactory(name="Shipto Trading", channel_manager_id=manager.id)
    buyer = factories.partner_user(partner, name="Bea Buyer", email="bea@shipto.test")
    order = make_order(db, buyer, [(product(db, 10), 2)])
    order.shipping_address = "Warehouse 7\n12 Dock Road\nRotterdam 3011"
    order.notes = "Deliver to gate B"
    order.requested_date = utcnow().date().replace(year=2031, month=3, day=14)
    db.session.flush()
    login(manager)
    html = text(client.get(f"/queue/{order.id}", headers=EN))
    assert f'href="/partners/{partner.id}">Shipto Trading</a>' in html
    assert "placed by Bea Buyer (bea@shipto.test)" in html
    assert "Warehouse 7<br>12 Dock Road<br>Rotterdam 3011" in html
    assert "Mar 14, 2031" in html and "Deliver to gate B" in html
    assert "Partner price" in html and "Your price" not in html
