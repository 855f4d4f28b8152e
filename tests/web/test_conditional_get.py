"""Conditional GET of the list pages: a repeat visit to an unchanged page is answered 304 Not Modified, without
the page's own queries; a write that changes the page, another reader, another language or time zone, the
other htmx variant or a pending message gets the page itself."""

from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import MetaData

from portal.catalogue.models import Category, Product, Tier
from portal.core.permissions import Role
from portal.core.time import utcnow
from portal.extensions import db as database
from portal.notifications.models import Notification
from portal.orders.models import Order, OrderEvent, OrderLine
from tests import factories

EN = {"Accept-Language": "en"}


@pytest.fixture
def world(db):
    """A partner (Gold tier) with a buyer who has a submitted order and a notification, its manager, an admin;
    everything committed, as a browser would find it."""
    tier = Tier(name="Etag Gold", rank=2, discount_bp=1000)
    cat = Category(name="Etag routers")
    db.session.add_all([tier, cat])
    db.session.flush()
    item = Product(sku="ETAG-1", name="Etag router", description="", category_id=cat.id, list_price_cents=10_000,
                   currency="USD", unit="each", stock_on_hand=50, min_order_qty=1, active=True)
    db.session.add(item)
    manager = factories.vendor(Role.CHANNEL_MANAGER, name="Etag Manager")
    partner = factories.PartnerFactory(name="Etag Partner Ltd", tier_id=tier.id, channel_manager_id=manager.id)
    buyer = factories.partner_user(partner, Role.PARTNER_ADMIN, name="Etag Buyer")
    colleague = factories.partner_user(partner, Role.PARTNER_USER, name="Etag Colleague")
    db.session.flush()
    order = _order(buyer, item)
    db.session.add(Notification(user_id=buyer.id, event_key="etag-1", message="Etag notice", link=""))
    admin = factories.vendor(Role.ADMIN, name="Etag Admin")
    invited = factories.partner_user(partner, name="Etag Invited", password_hash=None)
    db.session.commit()
    return SimpleNamespace(tier=tier, item=item, manager=manager, partner=partner, buyer=buyer, colleague=colleague,
                           invited=invited, order=order, admin=admin)


def _order(user, item: Product) -> Order:
    order = Order(partner_id=user.partner_id, placed_by=user.id, idempotency_key=f"etag-{item.id}-{user.id}",
                  po_number="PO-ETAG", shipping_address="HQ", requested_date=utcnow().date(), status="submitted",
                  currency="USD", total_cents=9000, created_at=utcnow() - timedelta(hours=2))
    database.session.add(order)
    database.session.flush()
    order.number = f"E-{order.id:06d}"
    database.session.add(OrderLine(order_id=order.id, product_id=item.id, sku=item.sku, name=item.name, quantity=1,
                                   list_price_cents=10_000, net_unit_cents=9000, tier_name="Etag Gold",
                                   discount_bp=1000, line_total_cents=9000))
    database.session.add(OrderEvent(order_id=order.id, actor_id=user.id, from_status="", to_status="submitted"))
    database.session.flush()
    return order


# (path, who reads it) for every list page with an ETag
PAGES = [("/catalogue/?q=etag", "buyer"), ("/orders/", "buyer"), ("/queue/", "manager"), ("/partners/", "admin"),
         ("/users/", "admin"), ("/audit/", "admin"), ("/notifications/", "buyer"), ("/courses/", "buyer"),
         ("/resources/", "buyer"), ("/announcements/", "buyer"), ("/training/", "admin"),
         ("/training/certifications/", "admin"), ("/training/reports", "admin"),
         ("/deals/", "buyer"), ("/deal-review/", "manager"), ("/rebates/", "buyer"),
         ("/admin/rebates/programs", "admin"), ("/admin/rebates/statements", "admin"),
         ("/mdf/", "buyer"), ("/mdf/", "manager"), ("/mdf/budgets", "admin"),
         ("/applications/", "admin"), ("/admin/tier-reviews", "admin")]


def browser(app, user):
    """A test client signed in as ``user`` (a browser of its own)."""
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return client


def first_visit(client, path: str, **headers):
    response = client.get(path, headers={**EN, **headers})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.headers["ETag"] and response.headers["Cache-Control"] == "private, no-cache"
    return response


def revisit(client, response, path: str | None = None, **headers):
    """The browser's revalidation of ``response``: the same request with its ETag in If-None-Match."""
    return client.get(path or response.request.full_path, headers={**EN, "If-None-Match": response.headers["ETag"],
                                                                   **headers})


@pytest.mark.parametrize(("path", "who"), PAGES)
def test_a_repeat_visit_to_an_unchanged_list_page_is_answered_304_without_a_body(app, world, path, who):
    client = browser(app, getattr(world, who))
    page = first_visit(client, path)
    again = revisit(client, page, path)
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == page.headers["ETag"] and again.headers["Cache-Control"] == "private, no-cache"
    assert {"Cookie", "HX-Request"} <= set(again.vary)
    assert "Content-Security-Policy" in again.headers


@pytest.mark.parametrize(("path", "who"), PAGES)
def test_a_304_runs_none_of_the_page_s_own_queries(app, world, count_queries, path, who):
    client = browser(app, getattr(world, who))
    page = first_visit(client, path)
    with count_queries() as counted:
        assert revisit(client, page, path).status_code == 304
    assert counted.count == 3, counted.statements  # the sign-in, the header's badges, the data versions


UNFILTERED = {"/notifications/", "/announcements/", "/training/", "/training/certifications/", "/training/reports",
              "/admin/tier-reviews"}


@pytest.mark.parametrize(("path", "who"), [(path, who) for path, who in PAGES if path not in UNFILTERED])
def test_every_list_page_answers_its_htmx_filters_with_the_results_alone(app, world, path, who):
    """A filter change (htmx) gets the page's results block, not the layout and not an error."""
    client = browser(app, getattr(world, who))
    response = first_visit(client, path, **{"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert 'id="results"' in html and "<html" not in html and "<nav" not in html.split('id="results"')[0]


def _tables_in(statements: list[str]) -> set[str]:
    names = set(MetaData().tables) | set(database.metadata.tables)
    # a table, not a column of the same name (partner_applications.certifications): never right after a dot
    return {name for sql in statements for name in names if re.search(rf'(?<![.\w"])"?{name}"?\b', sql)}


@pytest.mark.parametrize(("path", "who"), [
    *PAGES, ("/catalogue/?sort=price", "buyer"), ("/catalogue/", "admin"), ("/queue/?tab=returns", "manager"),
    ("/queue/?tab=all&q=E-1", "admin"), ("/orders/?sku=ETAG-1", "buyer"), ("/audit/?actor=x@y.test", "manager")])
def test_every_table_a_list_page_reads_is_in_its_etag(app, world, count_queries, path, who):
    """What the ETag covers (the view's ``@conditional`` tables, the reader and the header's badges) includes
    every table the page's queries read: a write to any of them changes the ETag."""
    client = browser(app, getattr(world, who))
    with count_queries() as counted:
        first_visit(client, path)
    endpoint = app.url_map.bind("portal.test").match(path.partition("?")[0])[0]
    covered = set(app.view_functions[endpoint].shows_tables)
    page_queries = [sql for sql in counted.statements  # but the sign-in, the data versions and the header's badges
                    if not re.search(r"\b(user_sessions|data_versions)\b", sql)
                    and not re.match(r"\s*SELECT \(SELECT count\(\*\)", sql)]
    assert page_queries, counted.statements
    assert _tables_in(page_queries) <= covered, page_queries


def test_every_list_page_has_an_etag(app):
    """The pages of PAGES are all the views with ``@conditional``."""
    conditional = {endpoint for endpoint, view in app.view_functions.items() if hasattr(view, "shows_tables")}
    listed = {app.url_map.bind("portal.test").match(path.partition("?")[0])[0] for path, _who in PAGES}
    assert conditional == listed == {"catalogue.index", "orders.index", "order_queue.index", "partners.index",
                                     "users.index", "audit.index", "notifications.index", "courses.index",
                                     "resources.index", "announcements.index", "training_admin.index",
                                     "training_admin.certifications", "training_admin.reports_page",
                                     "deals.index", "deal_review.index", "rebates.statements",
                                     "rebates_admin.programs", "rebates_admin.statement_list",
                                     "mdf.index", "mdf.budgets", "applications.index", "tiers.reviews"}


# --- writes through the portal change the pages they show in ------------------------------------------------

def test_a_new_tier_discount_changes_the_partners_catalogue(app, world):
    shopper, admin = browser(app, world.buyer), browser(app, world.admin)
    page = first_visit(shopper, "/catalogue/?q=etag")
    assert "$90.00" in page.get_data(as_text=True)
    assert admin.post(f"/admin/catalogue/tiers/{world.tier.id}", data={f"tier{world.tier.id}-discount": "20"},
                      headers=EN).status_code == 303
    again = revisit(shopper, page)
    assert again.status_code == 200 and "$80.00" in again.get_data(as_text=True)


def test_an_approval_changes_the_queue_and_the_partners_order_history(app, world):
    shopper, manager = browser(app, world.buyer), browser(app, world.manager)
    history, queue = first_visit(shopper, "/orders/"), first_visit(manager, "/queue/")
    assert f'id="queue-{world.order.id}"' in queue.get_data(as_text=True)
    assert manager.post(f"/queue/{world.order.id}/approve", headers=EN).status_code == 303
    history_again, queue_again = revisit(shopper, history), revisit(manager, queue)
    assert history_again.status_code == 200 and "Approved" in history_again.get_data(as_text=True)
    assert queue_again.status_code == 200 and f'id="queue-{world.order.id}"' not in queue_again.get_data(as_text=True)


def test_adding_to_the_cart_changes_every_page_s_header(app, world):
    shopper = browser(app, world.buyer)
    page = first_visit(shopper, "/orders/")
    assert shopper.post("/cart/add", data={"product_id": world.item.id, "quantity": "2"}).status_code == 303
    shopper.get("/cart/")  # the confirmation is shown there
    again = revisit(shopper, page)
    assert again.status_code == 200 and 'aria-label="Cart: 1 line"' in again.get_data(as_text=True)


def test_reading_a_notification_changes_the_list_and_the_badge(app, world):
    reader = browser(app, world.buyer)
    page = first_visit(reader, "/notifications/")
    notice = database.session.query(Notification).filter_by(event_key="etag-1").one()
    assert reader.post(f"/notifications/{notice.id}/read").status_code == 303
    again = revisit(reader, page)
    assert again.status_code == 200 and 'aria-label="Notifications: 0 unread"' in again.get_data(as_text=True)


def test_editing_a_partner_changes_the_partner_list(app, world):
    admin = browser(app, world.admin)
    page = first_visit(admin, "/partners/?q=etag")
    form = {"name": "Etag Partner Renamed", "type": "reseller", "region": "EMEA", "status": "active",
            "status_reason": "", "channel_manager_id": str(world.manager.id)}
    assert admin.post(f"/partners/{world.partner.id}/edit", data=form, headers=EN).status_code == 303
    admin.get("/partners/")  # the confirmation is shown there
    again = revisit(admin, page)
    assert again.status_code == 200 and "Etag Partner Renamed" in again.get_data(as_text=True)


def test_deactivating_a_user_changes_the_user_list_and_the_audit_log(app, world):
    admin = browser(app, world.admin)
    users, log = first_visit(admin, "/users/?q=etag"), first_visit(admin, "/audit/")
    assert admin.post(f"/users/{world.colleague.id}/deactivate", headers=EN).status_code == 303
    admin.get("/users/")  # the confirmation is shown there
    users_again, log_again = revisit(admin, users), revisit(admin, log)
    row = re.search(rf'<tr id="user-{world.colleague.id}".*?</tr>', users_again.get_data(as_text=True), re.S).group(0)
    assert users_again.status_code == 200 and 'class="status-deactivated"' in row
    assert log_again.status_code == 200 and "user.deactivated" in log_again.get_data(as_text=True)


def test_the_queue_s_waiting_times_are_sent_again_each_minute(app, world, monkeypatch):
    manager = browser(app, world.manager)
    page = first_visit(manager, "/queue/")
    assert revisit(manager, page).status_code == 304
    later = utcnow() + timedelta(minutes=1)
    monkeypatch.setattr("portal.pages.utcnow", lambda: later)
    assert revisit(manager, page).status_code == 200


# --- nobody gets a 304 for a page that is not theirs -------------------------------------------------------

def test_another_user_with_the_same_etag_gets_their_own_page(app, world):
    first, second = browser(app, world.buyer), browser(app, world.colleague)  # same partner, same orders
    page = first_visit(first, "/orders/")
    theirs = revisit(second, page)
    assert theirs.status_code == 200 and "Etag Colleague" in theirs.get_data(as_text=True)


def test_a_new_sign_in_of_the_same_user_gets_the_page_again(app, world):
    page = first_visit(browser(app, world.buyer), "/orders/")
    assert revisit(browser(app, world.buyer), page).status_code == 200  # its forms need this sign-in's token


def test_another_language_gets_the_page_again(app, world):
    reader = browser(app, world.buyer)
    page = first_visit(reader, "/orders/")
    assert reader.post("/language", data={"locale": "zh_Hans", "next": "/orders/"}).status_code == 303
    again = revisit(reader, page)
    assert again.status_code == 200 and "订单" in again.get_data(as_text=True)


def test_another_time_zone_gets_the_page_again(app, world):
    reader = browser(app, world.buyer)
    page = first_visit(reader, "/orders/")
    assert reader.post("/account/", data={"name": world.buyer.name, "locale": "en",
                                          "timezone": "Asia/Tokyo"}).status_code == 303
    reader.get("/account/")  # the confirmation is shown there
    again = revisit(reader, page)
    assert again.status_code == 200 and again.headers["ETag"] != page.headers["ETag"]


def test_the_htmx_block_and_the_whole_page_never_stand_in_for_each_other(app, world):
    reader = browser(app, world.buyer)
    page = first_visit(reader, "/orders/")
    block = revisit(reader, page, **{"HX-Request": "true"})
    assert block.status_code == 200 and "<html" not in block.get_data(as_text=True)
    assert revisit(reader, block, "/orders/").status_code == 200  # the whole page, not the block


def test_a_pending_message_is_shown_even_when_the_page_is_unchanged(app, world):
    admin = browser(app, world.admin)
    page = first_visit(admin, "/users/")
    assert admin.post(f"/users/{world.invited.id}/resend", headers=EN).status_code == 303
    database.session.expire_all()
    again = revisit(admin, page)
    assert again.status_code == 200 and "Invitation sent again" in again.get_data(as_text=True)
