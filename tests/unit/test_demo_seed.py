"""`flask seed-demo`: the README's demo accounts, created once however often it runs.

demo.seed() commits; in these tests that releases the test's savepoint only, and the outer
transaction is still rolled back afterwards.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal import demo
from portal.accounts.models import User
from portal.catalogue.models import Category, Product, ProductTierPrice, Tier
from portal.catalogue.pricing import net_price_cents
from portal.catalogue.service import stock_status
from portal.core.audit import AuditEntry
from portal.core.time import utcnow
from portal.deals import demo as deals_demo
from portal.deals.models import Deal
from portal.notifications.models import Notification, OutboxMessage
from portal.orders.models import Credit, CreditLine, Order, OrderEvent, OrderLine, ReturnLine, ReturnRequest
from portal.partners.models import Partner
from portal.training import demo_large as training_demo_large

ACCOUNTS = {
    "admin@demo.test": ("admin", None),
    "manager@demo.test": ("channel_manager", None),
    "trainer@demo.test": ("trainer", None),
    "anna@northwind.demo.test": ("partner_admin", "Northwind Trading"),
    "ben@northwind.demo.test": ("partner_user", "Northwind Trading"),
    "chen@eastwind.demo.test": ("partner_admin", "东风贸易有限公司 (Eastwind)"),
    "dai@eastwind.demo.test": ("partner_user", "东风贸易有限公司 (Eastwind)"),
}
DEMO_PARTNERS = ["Northwind Trading", "东风贸易有限公司 (Eastwind)"]

pytestmark = pytest.mark.pg  # `make run` uses SQLite, production PostgreSQL: the seed must work on both


def demo_users(db) -> list[User]:
    return list(db.session.scalars(select(User).where(User.email.in_(ACCOUNTS)).order_by(User.email)))


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_seeding_twice_creates_the_seven_demo_accounts_once(db):
    assert demo.seed("small") == "7 users added"
    assert demo.seed("small") == "0 users added"
    users = demo_users(db)
    assert sorted(u.email for u in users) == sorted(ACCOUNTS)
    assert count(db, Partner, Partner.name.in_(DEMO_PARTNERS)) == 2
    # each account's welcome notification exists once, in the portal only (no e-mail)
    assert count(db, Notification, Notification.event_key == "demo-welcome") == 7
    assert count(db, OutboxMessage) == 0


def test_each_demo_account_has_its_role_and_company(db):
    demo.seed("small")
    seen = {u.email: (u.role, u.partner.name if u.partner else None) for u in demo_users(db)}
    assert seen == ACCOUNTS
    assert all(u.active and u.status == "active" for u in demo_users(db))


def test_the_demo_manager_is_channel_manager_of_both_demo_partners(db):
    demo.seed("small")
    manager = db.session.scalar(select(User).where(User.email == "manager@demo.test"))
    partners = db.session.scalars(select(Partner).where(Partner.name.in_(DEMO_PARTNERS))).all()
    assert {p.name: p.channel_manager_id for p in partners} == {name: manager.id for name in DEMO_PARTNERS}


def test_demo_accounts_sign_in_with_the_readme_password(db, client):
    demo.seed("small")
    response = client.post("/login", data={"email": "chen@eastwind.demo.test", "password": "portal-demo"})
    assert response.status_code == 303
    assert "陈静 (Chen Jing)" in client.get("/").get_data(as_text=True)


def demo_orders(db) -> list[Order]:
    return list(db.session.scalars(select(Order).where(Order.idempotency_key.like("demo-order-%"))
                                   .order_by(Order.partner_id, Order.idempotency_key)))


def test_each_demo_partner_has_an_order_in_every_state_once(db):
    demo.seed("small")
    demo.seed("small")
    orders = demo_orders(db)
    by_partner: dict[int, list[str]] = {}
    for order in orders:
        by_partner.setdefault(order.partner_id, []).append(order.status)
    assert len(by_partner) == 2
    for statuses in by_partner.values():
        assert sorted(statuses) == ["approved", "cancelled", "delivered", "returned", "shipped", "submitted"]
    assert count(db, ReturnRequest, ReturnRequest.status == "accepted") == count(db, Credit) == 2
    assert count(db, ReturnRequest, ReturnRequest.status == "requested") == 2


def test_each_demo_partner_has_a_return_request_waiting_for_the_manager(db):
    demo.seed("small")
    waiting = db.session.execute(select(ReturnRequest, Order).join(Order, Order.id == ReturnRequest.order_id)
                                 .where(ReturnRequest.status == "requested")).all()
    assert len({order.partner_id for _r, order in waiting}) == 2
    for request, order in waiting:
        assert order.status == "delivered" and request.decided_at is None and request.created_at > order.delivered_at
        returned = db.session.execute(select(ReturnLine.quantity, OrderLine.sku, OrderLine.quantity)
                                      .join(OrderLine, OrderLine.id == ReturnLine.order_line_id)
                                      .where(ReturnLine.return_id == request.id)).all()
        assert returned == [(1, "IR-300", 2)]  # one of the two routers
        assert db.session.scalar(select(Credit.id).where(Credit.return_id == request.id)) is None


def test_the_demo_manager_sees_both_demo_partners_waiting_orders_in_the_queue(db, client):
    demo.seed("small")
    waiting = [o for o in demo_orders(db) if o.status == "submitted"]
    assert {o.po_number for o in waiting} == {"PO-DEMO-1004"} and len(waiting) == 2
    assert all(o.total_cents > 500_000 for o in waiting)  # over the auto-approval limit: they wait
    client.post("/login", data={"email": "manager@demo.test", "password": "portal-demo"})
    page = client.get("/queue/").get_data(as_text=True)
    assert all(o.number in page for o in waiting)


def test_demo_orders_have_the_timestamps_tracking_and_timeline_of_their_state(db):
    demo.seed("small")
    for order in demo_orders(db):
        shipped = order.status in ("shipped", "delivered", "returned")
        assert (order.approved_at is not None) == (order.status != "submitted")
        assert (order.shipped_at is not None) == shipped == bool(order.carrier) == bool(order.tracking_number)
        assert (order.delivered_at is not None) == (order.status in ("delivered", "returned"))
        assert (order.cancelled_at is not None) == (order.status == "cancelled")
        if order.approved_at:
            assert order.approval_seconds == int((order.approved_at - order.created_at).total_seconds())
        if shipped:
            assert order.shipping_seconds == int((order.shipped_at - order.created_at).total_seconds())
            assert order.created_at <= order.approved_at < order.shipped_at
        events = db.session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id)
                                    .order_by(OrderEvent.at, OrderEvent.id)).all()
        assert events[0].from_status == "" and events[0].to_status == "submitted"
        assert events[-1].to_status == order.status
        assert all(a.to_status == b.from_status for a, b in zip(events, events[1:], strict=False))


def test_the_demo_return_is_partial_and_its_credit_exact(db):
    demo.seed("small")
    returned = [o for o in demo_orders(db) if o.status == "returned"]
    assert len(returned) == 2
    for order in returned:
        request = db.session.scalar(select(ReturnRequest).where(ReturnRequest.order_id == order.id))
        credit = db.session.scalar(select(Credit).where(Credit.return_id == request.id))
        assert request.status == "accepted" and request.number.startswith("RET-")
        assert credit.number.startswith("CR-")
        lines = {line.sku: line for line in db.session.scalars(select(OrderLine).where(OrderLine.order_id == order.id))}
        credited = db.session.scalars(select(CreditLine).where(CreditLine.credit_id == credit.id)).all()
        assert {c.sku: c.quantity for c in credited} == demo.DEMO_RETURN  # partial: not every line, not all units
        assert all(c.net_unit_cents == lines[c.sku].net_unit_cents for c in credited)
        assert credit.total_cents == sum(lines[sku].net_unit_cents * q for sku, q in demo.DEMO_RETURN.items())
        assert credit.total_cents < order.total_cents
    northwind_id = db.session.scalar(select(Partner.id).where(Partner.name == "Northwind Trading"))
    northwind = next(o for o in returned if o.partner_id == northwind_id)
    # Gold (10 %) net unit prices: 3900 × 0.9 = 3510 and 799 × 0.9 = 719.1 → 719 (half-up per unit)
    assert db.session.scalar(select(Credit.total_cents).where(Credit.order_id == northwind.id)) == 5 * 3510 + 20 * 719


@pytest.fixture
def small_volume(monkeypatch):
    """The large seed's shape at a size a unit test can afford."""
    monkeypatch.setattr(demo, "LARGE_PARTNERS", 10)
    monkeypatch.setattr(demo, "LARGE_USERS_PER_PARTNER", 5)
    monkeypatch.setattr(demo, "LARGE_AUDIT_ENTRIES", 60)
    monkeypatch.setattr(demo, "LARGE_NOTIFICATIONS", 1000)
    monkeypatch.setattr(demo, "LARGE_PRODUCTS", 240)
    monkeypatch.setattr(demo, "LARGE_TIER_PRICES", 12)
    monkeypatch.setattr(demo, "LARGE_ORDER_LINES", 4000)
    monkeypatch.setattr(demo, "LARGE_DEMO_ORDERS", {"Northwind Trading": 120, "东风贸易有限公司 (Eastwind)": 30})
    monkeypatch.setattr(demo, "LARGE_QUEUE", 25)
    monkeypatch.setattr(deals_demo, "LARGE_DEALS", 300)
    monkeypatch.setattr(training_demo_large, "LARGE_COURSES", 24)
    monkeypatch.setattr(training_demo_large, "LARGE_CERTIFICATIONS", 6)
    monkeypatch.setattr(training_demo_large, "LARGE_RESOURCES", 40)
    monkeypatch.setattr(training_demo_large, "LARGE_ENROLMENTS", 400)


def test_the_large_seed_adds_its_volume_once(db, small_volume):
    first = demo.seed("large")
    second = demo.seed("large")
    assert first.startswith("7 users added; 10 partners, 50 users, 60 audit entries, 1000 notifications; "
                            "240 products in 100 categories, 12 tier prices; ")
    assert second == "0 users added; large data already present"
    assert count(db, Partner, Partner.name.like("Large %")) == 10
    assert count(db, User, User.email.like("%.large.test")) == 50
    assert count(db, AuditEntry) == 60
    assert count(db, Notification, Notification.event_key != "demo-welcome") == 1000
    assert count(db, Category) == 100 + len(demo.CATALOGUE)
    assert count(db, Product) == 240 + sum(len(items) for items in demo.CATALOGUE.values())
    lines = count(db, OrderLine, OrderLine.order_id.in_(select(Order.id).where(Order.idempotency_key.like("bulk-%"))))
    assert lines >= 4000
    assert f"{lines} order lines" in first


def test_the_large_seed_gives_one_partner_admin_the_most_notifications_and_each_demo_account_some(
        db, small_volume):
    demo.seed("large")
    per_user = dict(db.session.execute(
        select(User.email, func.count()).join(Notification, Notification.user_id == User.id)
        .where(Notification.event_key != "demo-welcome").group_by(User.email)
    ).all())
    heaviest = max(per_user, key=per_user.get)
    assert heaviest.startswith("user0@") and heaviest.endswith(".large.test")
    assert db.session.scalar(select(User.role).where(User.email == heaviest)) == "partner_admin"
    assert all(per_user[email] == demo.DEMO_ACCOUNT_NOTIFICATIONS for email in ACCOUNTS)


def test_the_large_catalogue_has_searchable_names_in_both_languages_and_mixed_stock(db, small_volume):
    demo.seed("large")
    products = db.session.scalars(select(Product).where(Product.sku.like("%-_1____"))).all()
    assert len(products) == 240 and len({p.sku for p in products}) == 240
    routers = [p for p in products if "router" in f"{p.sku} {p.name} {p.description}".lower()]
    assert 0 < len(routers) < len(products) / 10  # a search matches some, not all
    assert any("路由器" in p.name for p in products)
    assert {stock_status(p.stock_on_hand, p.min_order_qty) for p in products} == {"in", "low", "out"}
    assert all(p.stock_on_hand >= 0 and p.list_price_cents > 0 for p in products)
    tier_prices = db.session.execute(select(ProductTierPrice.price_cents, Product.list_price_cents)
                                     .join(Product, Product.id == ProductTierPrice.product_id)
                                     .where(Product.id.in_([p.id for p in products]))).all()
    assert len(tier_prices) == 12 and all(0 < price < list_price for price, list_price in tier_prices)


def test_large_order_lines_are_priced_like_a_checkout_and_totals_are_exact(db, small_volume):
    demo.seed("large")
    tiers = {t.name: t.discount_bp for t in db.session.scalars(select(Tier))}
    partner_tier = dict(db.session.execute(select(Partner.id, Partner.tier_id)).all())
    tier_prices = {(p, t): c for p, t, c in db.session.execute(
        select(ProductTierPrice.product_id, ProductTierPrice.tier_id, ProductTierPrice.price_cents))}
    totals: dict[int, int] = {}
    rows = db.session.execute(select(OrderLine, Order.partner_id, Order.total_cents)
                              .join(Order, Order.id == OrderLine.order_id)
                              .where(Order.idempotency_key.like("bulk-%"))).all()
    for line, partner_id, _total in rows:
        tier_price = tier_prices.get((line.product_id, partner_tier[partner_id]))
        assert line.net_unit_cents == net_price_cents(line.list_price_cents, line.discount_bp, tier_price)
        assert line.discount_bp == (0 if tier_price is not None else tiers.get(line.tier_name, 0))
        assert line.line_total_cents == line.net_unit_cents * line.quantity
        totals[line.order_id] = totals.get(line.order_id, 0) + line.line_total_cents
    assert {line.order_id: total for line, _p, total in rows} == totals
    assert any(line.discount_bp for line, *_ in rows)  # tier discounts were applied


def test_large_order_statuses_agree_with_their_timestamps(db, small_volume):
    demo.seed("large")
    now = utcnow()
    orders = db.session.scalars(select(Order).where(Order.idempotency_key.like("bulk-%"))).all()
    assert {o.status for o in orders} >= {"submitted", "approved", "delivered", "returned", "cancelled"}
    assert len({o.number for o in orders}) == len(orders)
    assert all(re.fullmatch(r"ORD-\d{6,}", o.number) for o in orders)
    for o in orders:
        assert o.created_at <= now and o.created_at > now - timedelta(days=demo.LARGE_MONTHS * 31)
        approved = o.status in ("approved", "shipped", "delivered", "returned") or (
            o.status == "cancelled" and o.approved_at is not None)
        shipped = o.status in ("shipped", "delivered", "returned")
        assert (o.approved_at is not None) == approved and (o.approval_seconds is not None) == approved
        assert (o.shipped_at is not None) == shipped == bool(o.carrier) == bool(o.tracking_number)
        assert (o.delivered_at is not None) == (o.status in ("delivered", "returned"))
        assert (o.cancelled_at is not None) == (o.status == "cancelled")
        for at in (o.approved_at, o.shipped_at, o.delivered_at, o.cancelled_at):
            assert at is None or o.created_at <= at <= now
        if approved:
            assert o.approval_seconds == int((o.approved_at - o.created_at).total_seconds())
            assert (o.approval_seconds == 0) == (o.total_cents <= 500_000)  # approved on submit iff under the limit
        if shipped:
            assert o.shipping_seconds == int((o.shipped_at - o.created_at).total_seconds()) > o.approval_seconds
            assert o.shipped_at < (o.delivered_at or now)
        if o.status == "submitted":
            assert o.total_cents > 500_000
    last_event = dict(db.session.execute(
        select(OrderEvent.order_id, OrderEvent.to_status).order_by(OrderEvent.order_id, OrderEvent.at, OrderEvent.id)
    ).all())
    assert all(last_event[o.id] == o.status for o in orders)


def test_large_returns_are_accepted_with_exact_credits_or_wait_for_a_decision(db, small_volume):
    demo.seed("large")
    requests = db.session.execute(select(ReturnRequest, Order.status).join(Order, Order.id == ReturnRequest.order_id)
                                  .where(Order.idempotency_key.like("bulk-%"))).all()
    assert {r.status for r, _s in requests} >= {"accepted"}
    for request, order_status in requests:
        credit = db.session.scalar(select(Credit).where(Credit.return_id == request.id))
        returned = db.session.execute(select(ReturnLine.quantity, OrderLine.quantity, OrderLine.net_unit_cents)
                                      .join(OrderLine, OrderLine.id == ReturnLine.order_line_id)
                                      .where(ReturnLine.return_id == request.id)).all()
        assert returned and all(0 < back <= bought for back, bought, _net in returned)
        if request.status == "accepted":
            assert order_status == "returned" and request.decided_at is not None
            credit_lines = db.session.scalars(select(CreditLine).where(CreditLine.credit_id == credit.id)).all()
            assert all(c.line_total_cents == c.net_unit_cents * c.quantity for c in credit_lines)
            assert credit.total_cents == sum(c.line_total_cents for c in credit_lines) \
                == sum(back * net for back, _bought, net in returned)
        else:
            assert request.status == "requested" and order_status == "delivered" and credit is None


def test_large_processing_time_falls_from_about_48_hours_to_about_12(db, small_volume):
    demo.seed("large")
    now = utcnow()

    def mean_hours(newer_than_days: int, older_than_days: int) -> float:
        seconds = db.session.scalars(select(Order.shipping_seconds).where(
            Order.idempotency_key.like("bulk-%"), Order.shipping_seconds.is_not(None),
            Order.created_at >= now - timedelta(days=newer_than_days),
            Order.created_at < now - timedelta(days=older_than_days))).all()
        assert len(seconds) >= 10
        return sum(seconds) / len(seconds) / 3600

    oldest, newest = mean_hours(730, 600), mean_hours(90, 0)
    assert 38 < oldest < 56 and 10 < newest < 18


def test_the_large_seed_fills_the_managers_queue_and_northwinds_history(db, client, small_volume):
    demo.seed("large")
    manager = db.session.scalar(select(User).where(User.email == "manager@demo.test"))
    waiting = db.session.execute(
        select(Order.number, Order.partner_id).join(Partner, Partner.id == Order.partner_id)
        .where(Order.status == "submitted", Partner.channel_manager_id == manager.id)
        .order_by(Order.created_at, Order.id)).all()
    assert len(waiting) >= 25
    assert len({partner_id for _n, partner_id in waiting}) > 5  # spread across partners
    client.post("/login", data={"email": "manager@demo.test", "password": "portal-demo"})
    assert waiting[0].number in client.get("/queue/").get_data(as_text=True)  # oldest first
    northwind = db.session.scalar(select(Partner.id).where(Partner.name == "Northwind Trading"))
    assert count(db, Order, Order.partner_id == northwind) >= 120


def test_orders_placed_after_the_large_seed_get_fresh_ids(db, small_volume):
    demo.seed("large")
    highest = db.session.scalar(select(func.max(Order.id)))
    partner = db.session.scalar(select(Partner).where(Partner.name == "Northwind Trading"))
    order = Order(partner_id=partner.id, placed_by=None, idempotency_key="after-seed", po_number="PO-NEW",
                  shipping_address="x", requested_date=utcnow().date(), status="submitted", currency="USD",
                  total_cents=0)
    db.session.add(order)
    db.session.flush()  # PostgreSQL: the id sequence was moved past the seeded ids
    assert order.id > highest


def test_the_large_seed_gives_each_block_of_large_partners_a_channel_manager_of_its_own(db, small_volume,
                                                                                       monkeypatch):
    monkeypatch.setattr(demo, "LARGE_PARTNERS_PER_MANAGER", 3)
    first = demo.seed("large")
    assert "; 3 more channel managers;" in first and "large data already present" in demo.seed("large")
    managers = dict(db.session.execute(select(Partner.name, User.email).join(
        User, User.id == Partner.channel_manager_id).where(Partner.name.like("Large %")).order_by(Partner.id)).all())
    assert list(managers.values()) == ["manager@demo.test"] * 3 + [
        "manager01@staff.large.example"] * 3 + ["manager02@staff.large.example"] * 3 + ["manager03@staff.large.example"]


def test_the_demo_has_a_conflicting_pair_of_deal_registrations_once(db):
    from portal.deals import review

    demo.seed()
    demo.seed()
    pair = db.session.scalars(select(Deal).where(Deal.domain_key == "contoso-robotics.de").order_by(Deal.id)).all()
    assert len(pair) == 2 and pair[0].partner_id != pair[1].partner_id and pair[1].had_conflict
    admin = db.session.scalar(select(User).where(User.email == "admin@demo.test"))
    assert [side.deal.id for side in review.conflicts(admin, pair[1])] == [pair[0].id]


def test_the_large_seed_adds_open_deal_registrations_once(db, small_volume):
    demo.seed("large")
    demo.seed("large")
    large = db.session.scalar(select(func.count()).select_from(Deal).where(Deal.customer_domain.like("customer%")))
    assert large == 300
    domains = db.session.scalar(select(func.count(Deal.domain_key.distinct())).where(
        Deal.customer_domain.like("customer%")))
    assert domains == 300  # one customer each: a shared domain would make them all "the same customer"
