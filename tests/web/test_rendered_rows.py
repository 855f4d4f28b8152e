"""List rows rendered once and reused (web.rendered_rows) are keyed by what they show: a changed row is
rendered anew, each session's forms carry its own CSRF token, each language its own words."""

from __future__ import annotations

import re
from datetime import timedelta

from portal.core.permissions import Role
from portal.core.time import utcnow
from tests import factories
from tests.web.test_catalogue import category, get, product
from tests.web.test_order_lifecycle import make_order, world  # noqa: F401  (fixture)
from tests.web.test_order_lifecycle import product as stocked_product


def row(html: str, row_id: str) -> str:
    found = re.search(rf'<tr id="{row_id}".*?</tr>', html, re.S)
    assert found, html[:2000]
    return found.group(0)


def test_each_session_s_add_to_cart_forms_carry_its_own_csrf_token(app, db):
    item = product(db, category(db), "ROW-CSRF-1", "Row token router", 1000)
    tokens = []
    for user in (factories.partner_user(), factories.partner_user()):
        browser = app.test_client()  # a session of its own
        assert browser.post("/login", data={"email": user.email, "password": factories.PASSWORD}).status_code == 303
        html = get(browser, "/catalogue/?q=ROW-CSRF-1")
        body_token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}', html).group(1)
        form_tokens = re.findall(r'name="csrf_token" value="([^"]+)"', row(html, f"product-{item.id}"))
        assert form_tokens == [body_token]  # the row was shared, the token is this session's
        assert "<!--csrf-->" not in html
        tokens.append(body_token)
    assert tokens[0] != tokens[1]


def test_a_product_row_shows_its_new_stock_price_and_name(client, login, db):
    item = product(db, category(db), "ROW-CHANGE-1", "Row change switch", 2500, stock=500)
    login(factories.partner_user())
    before = row(get(client, "/catalogue/?q=ROW-CHANGE-1"), f"product-{item.id}")
    assert "In stock" in before and "$25.00" in before and "Row change switch" in before

    item.stock_on_hand, item.list_price_cents, item.name = 0, 2600, "Row change switch v2"
    db.session.flush()
    after = row(get(client, "/catalogue/?q=ROW-CHANGE-1"), f"product-{item.id}")
    assert "Out of stock" in after and "$26.00" in after and "Row change switch v2" in after
    assert "In stock" not in after and "$25.00" not in after


def test_an_order_row_follows_its_status_and_the_reader_s_language(client, login, db, world):  # noqa: F811
    order = make_order(db, world.buyer, [(stocked_product(db, 10), 1)], status="submitted")
    world.colleague.locale = "zh_Hans"
    db.session.flush()
    login(world.buyer)
    assert "Submitted" in row(get(client, "/orders/"), f"order-{order.id}")
    order.status = "shipped"
    db.session.flush()
    assert "Shipped" in row(get(client, "/orders/"), f"order-{order.id}")
    client.post("/logout")
    login(world.colleague)  # same partner, same rows, Chinese
    chinese = row(get(client, "/orders/"), f"order-{order.id}")
    assert "已发货" in chinese and "Shipped" not in chinese


def test_a_queue_row_shows_the_waiting_time_as_it_grows(client, login, db, world):  # noqa: F811
    order = make_order(db, world.buyer, [(stocked_product(db, 10), 1)], status="submitted", hours_ago=2)
    login(world.manager)
    assert ">2 h 0 min<" in row(get(client, "/queue/"), f"queue-{order.id}")
    order.created_at = utcnow() - timedelta(hours=5, minutes=1)
    db.session.flush()
    assert ">5 h 1 min<" in row(get(client, "/queue/"), f"queue-{order.id}")


def test_vendor_staff_previewing_a_tier_get_links_that_keep_the_preview(client, login, db):
    from portal.catalogue.models import Tier

    tier = Tier(name="Row preview tier", rank=9, discount_bp=1000)
    db.session.add(tier)
    item = product(db, category(db), "ROW-PREVIEW-1", "Row preview router", 1000)
    login(factories.vendor(Role.ADMIN))
    plain = row(get(client, "/catalogue/?q=ROW-PREVIEW-1"), f"product-{item.id}")
    preview = row(get(client, f"/catalogue/?q=ROW-PREVIEW-1&tier={tier.id}"), f"product-{item.id}")
    assert f'/catalogue/{item.id}"' in plain and "$10.00" in plain
    assert f'/catalogue/{item.id}?tier={tier.id}"' in preview and "$9.00" in preview


def test_text_a_partner_wrote_that_looks_like_a_placeholder_stays_text(client, login, db, world):  # noqa: F811
    order = make_order(db, world.buyer, [(stocked_product(db, 10), 1)], status="submitted", po="<!--csrf-->")
    login(world.manager)
    html = get(client, "/queue/")
    token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}', html).group(1)
    queue_row = row(html, f"queue-{order.id}")
    assert "<td>&lt;!--csrf--&gt;</td>" in queue_row  # escaped, and not taken for the token's place
    assert f'name="csrf_token" value="{token}"' in queue_row and token not in queue_row.split("<form")[0]
