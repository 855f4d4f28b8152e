"""/admin/settings: admins set the auto-approval limit as money (exact, 0 to 100,000,000.00), audited;
checkout uses the new value at once."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from itertools import count

import pytest
from sqlalchemy import select

from portal.catalogue.models import Category, Product
from portal.core.audit import AuditEntry
from portal.core.permissions import Role
from portal.core.time import utcnow
from portal.orders import settings
from portal.orders.models import CartLine, Order
from tests import factories

_serial = count()
EN = {"Accept-Language": "en"}
LIMIT = "auto_approval_limit_cents"


@pytest.fixture
def admin(db, login):
    user = factories.vendor(Role.ADMIN)
    db.session.commit()
    login(user)
    return user


def text(response) -> str:
    return response.get_data(as_text=True)


def field_error(html: str, field: str) -> str:
    found = re.search(rf'<small class="field-error" id="{field}-error">([^<]*)</small>', html)
    assert found, html[:3000]
    return found.group(1)


def limit(db) -> int:
    db.session.expire_all()
    return settings.get_int(LIMIT)


def changes(db) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "settings.auto_approval_limit_changed").order_by(AuditEntry.id)))


def save(client, value: str, **headers):
    return client.post("/admin/settings", data={"auto_approval_limit": value}, headers={**EN, **headers})


def test_the_page_shows_the_current_limit_as_money_and_is_linked_from_the_admin_nav(db, client, admin):
    html = text(client.get("/admin/settings", headers=EN))
    assert 'id="auto_approval_limit" name="auto_approval_limit" type="text" value="5,000.00"' in html
    catalogue = text(client.get("/admin/catalogue/", headers=EN))
    assert '<a href="/admin/settings">Settings</a>' in catalogue


@pytest.mark.parametrize("role", [Role.CHANNEL_MANAGER, Role.TRAINER, Role.PARTNER_ADMIN, Role.PARTNER_USER])
def test_everyone_but_an_admin_is_refused(db, client, login, role):
    user = factories.vendor(role) if role.is_vendor else factories.partner_user(role=role)
    db.session.commit()
    login(user)
    assert client.get("/admin/settings").status_code == 403
    assert save(client, "999,999.00").status_code == 403
    assert limit(db) == 500000 and changes(db) == []


@pytest.mark.parametrize(("typed", "cents"), [("1,234.50", 123450), ("0", 0), ("100,000,000.00", 10_000_000_000),
                                              (" 250 ", 25000), ("99.9", 9990)])
def test_an_admin_sets_the_limit_exactly_in_cents_audited_with_a_flash(db, client, admin, typed, cents):
    response = save(client, typed)
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/settings")
    assert limit(db) == cents
    [entry] = changes(db)
    assert entry.actor_id == admin.id
    assert entry.before == {LIMIT: 500000} and entry.after == {LIMIT: cents}
    page = text(client.get("/admin/settings", headers=EN))
    assert "Settings saved." in page


@pytest.mark.parametrize(("typed", "message"), [
    ("", "Enter an amount."),
    ("-1.00", "The amount cannot be negative."),
    ("abc", "Enter an amount such as 5,000.00."),
    ("1e5", "Enter an amount such as 5,000.00."),
    ("12.345", "Use at most two decimal places."),
    ("100,000,000.01", "Enter at most 100,000,000.00."),
    ("99999999999999999", "That amount is too large."),
])
def test_a_bad_limit_is_422_next_to_the_field_and_changes_nothing(db, client, admin, typed, message):
    response = save(client, typed)
    assert response.status_code == 422
    assert field_error(text(response), "auto_approval_limit") == message
    assert limit(db) == 500000 and changes(db) == []


def test_htmx_gets_the_form_back_with_its_error(db, client, admin):
    response = save(client, "-5", **{"HX-Request": "true"})
    html = text(response)
    assert response.status_code == 422 and html.lstrip().startswith('<form id="settings-form"') and "<html" not in html
    assert field_error(html, "auto_approval_limit") == "The amount cannot be negative."


def test_the_settings_form_without_its_csrf_token_changes_nothing(app, db, client, admin):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = save(client, "1.00")
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code in (400, 422)
    assert limit(db) == 500000 and changes(db) == []


# --- effect on checkout --------------------------------------------------------------------------

def checkout(client, db, user, cents: int) -> Order:
    cat = Category(name=f"Settings category {next(_serial)}")
    db.session.add(cat)
    db.session.flush()
    item = Product(sku=f"SET-{next(_serial)}", name="Switch", description="", category_id=cat.id,
                   list_price_cents=cents, currency="USD", unit="each", stock_on_hand=10, min_order_qty=1)
    db.session.add(item)
    db.session.flush()
    db.session.add(CartLine(user_id=user.id, product_id=item.id, quantity=1))
    db.session.commit()
    data = {"idempotency_key": str(uuid.uuid4()), "po_number": "PO-1",
            "requested_date": (utcnow().date() + timedelta(days=3)).isoformat(), "notes": "",
            "address_id": "new", "label": "HQ", "lines": "1 Main Street", "city": "Leeds", "postcode": "LS1",
            "country": "United Kingdom"}
    assert client.post("/checkout", data=data, headers=EN).status_code == 303
    db.session.expire_all()
    return db.session.scalars(select(Order).where(Order.placed_by == user.id).order_by(Order.id.desc())).first()


def test_checkout_uses_the_limit_set_on_the_page(db, client, login):
    admin, buyer = factories.vendor(Role.ADMIN), factories.partner_user()
    db.session.commit()
    login(admin)
    assert save(client, "100.00").status_code == 303
    client.post("/logout")
    login(buyer)
    assert checkout(client, db, buyer, 15000).status == "submitted"  # 150.00 > 100.00: waits
    client.post("/logout")
    login(admin)
    assert save(client, "200.00").status_code == 303
    client.post("/logout")
    login(buyer)
    assert checkout(client, db, buyer, 15000).status == "approved"  # 150.00 ≤ 200.00: approved on submit
