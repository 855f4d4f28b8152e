"""Numbers, dates and JSON documents are bounded where they come in: a row id no column holds, a day at the
calendar's ends, a JSON body nested 100,000 deep or megabytes large get a clear 4xx, never a 500."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.accounts import service as accounts
from portal.accounts.models import User
from portal.blueprints.api.base import MAX_JSON_BYTES, MAX_JSON_DEPTH
from portal.catalogue.models import Product
from portal.core.permissions import Role
from portal.core.time import utcnow
from portal.core.urls import MAX_ID
from portal.orders.models import CartLine, Order
from portal.partners.models import Partner
from tests import factories
from tests.web.test_api import bearer

EN = {"Accept-Language": "en"}
RANGE = "Enter a date from 1900-01-01 to 2999-12-31."
TOO_BIG = [str(MAX_ID + 1), "9" * 40]


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def token(db, user) -> dict:
    _row, secret = accounts.create_api_token(user, "ERP")
    db.session.commit()
    return bearer(secret) | EN


# --- ids in admin form fields ---------------------------------------------------------------------------------

ID_FORMS = {  # an admin form with a row chosen by id: (address, its other fields, the id field, rows it writes)
    "product category": ("/admin/catalogue/products/new", {
        "sku": "BIG-1", "name": "Router", "description": "", "list_price": "10.00", "currency": "USD",
        "unit": "each", "stock_on_hand": "1", "min_order_qty": "1"}, "category_id", Product),
    "partner's channel manager": ("/partners/new", {
        "name": "Bounded Trading", "type": "reseller", "region": "EMEA", "status": "active"},
        "channel_manager_id", Partner),
    "invitation's company": ("/users/invite", {
        "email": "new@example.test", "name": "New", "role": "partner_user"}, "partner_id", User),
}


@pytest.mark.pg
@pytest.mark.parametrize("value", [*TOO_BIG, "0", "-1", "abc"])
@pytest.mark.parametrize("form", list(ID_FORMS))
def test_a_row_id_no_column_holds_in_an_admin_form_is_422_next_to_the_field(db, client, login, form, value):
    path, data, field, model = ID_FORMS[form]
    login(factories.vendor())
    before = count(db, model)
    response = client.post(path, headers=EN, data=data | {field: value})
    assert response.status_code == 422
    assert f'id="{field}-error">Choose one of the offered options.<' in response.get_data(as_text=True)
    assert count(db, model) == before


# --- days at the calendar's ends ------------------------------------------------------------------------------

@pytest.mark.pg
@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/Los_Angeles", "Pacific/Kiritimati"])
@pytest.mark.parametrize("path", ["/orders/?to=9999-12-31", "/orders/?from=0001-01-01",
                                  "/orders/export.csv?to=9999-12-31", "/orders/export.csv?from=0001-01-01",
                                  "/orders/?from=3000-01-01"])
def test_an_order_filter_day_at_the_calendars_end_is_422_with_a_clear_message(db, client, login, zone, path):
    login(factories.partner_user(timezone=zone))
    response = client.get(path, headers=EN)
    assert response.status_code == 422
    assert RANGE in response.get_data(as_text=True)


@pytest.mark.pg
def test_the_order_filters_take_the_first_and_last_day_of_the_range(db, client, login):
    buyer = factories.partner_user(timezone="Pacific/Kiritimati")
    order = factories.order_with_line(buyer)
    db.session.commit()
    login(buyer)
    response = client.get("/orders/?from=1900-01-01&to=2999-12-31", headers=EN)
    assert response.status_code == 200
    assert f'id="order-{order.id}"' in response.get_data(as_text=True)


@pytest.mark.pg
@pytest.mark.parametrize(("query", "field"), [("until=9999-12-31", "until"), ("since=0001-01-01", "since")])
def test_an_audit_filter_day_at_the_calendars_end_is_422_next_to_the_field(db, client, login, query, field):
    login(factories.vendor(timezone="Asia/Shanghai"))
    response = client.get(f"/audit/?{query}", headers=EN)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert RANGE in html[html.index(f'id="audit-{field}"'):]


@pytest.mark.pg
@pytest.mark.parametrize("query", ["to=9999-12-31", "from=0001-01-01"])
def test_an_api_order_filter_day_at_the_calendars_end_is_422_naming_it(db, client, query):
    headers = token(db, factories.partner_user(timezone="Asia/Shanghai"))
    response = client.get(f"/api/v1/orders?{query}", headers=headers)
    assert response.status_code == 422
    [(name, [message])] = response.get_json()["error"]["fields"].items()
    assert name == query.partition("=")[0] and RANGE in message


@pytest.mark.pg
def test_a_requested_delivery_date_at_the_calendars_end_is_422_next_to_it(db, client, login):
    buyer = factories.partner_user()
    db.session.add(CartLine(user_id=buyer.id, product_id=factories.ProductFactory().id, quantity=1))
    db.session.commit()
    login(buyer)
    response = client.post("/checkout", headers=EN, data={
        "idempotency_key": "1b9f2f6e-4c1e-4d5e-9d7e-2b8c6a1f3e4d", "po_number": "PO-1",
        "requested_date": "9999-12-31", "address_id": "new", "lines": "1 Road", "city": "Utrecht",
        "postcode": "3511", "country": "NL"})
    assert response.status_code == 422
    assert f'id="f-requested_date-error">{RANGE}<' in response.get_data(as_text=True)
    assert count(db, Order) == 0


@pytest.mark.pg
def test_an_api_order_for_the_calendars_last_day_is_422(db, client):
    product = factories.ProductFactory()
    headers = token(db, factories.partner_user()) | {"Idempotency-Key": "erp-bounds-0001"}
    body = {"lines": [{"sku": product.sku, "quantity": 1}], "po_number": "PO", "requested_date": "9999-12-31",
            "address": {"lines": "1 Road", "city": "Utrecht", "postcode": "3511", "country": "NL"}}
    db.session.commit()
    response = client.post("/api/v1/orders", json=body, headers=headers)
    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["requested_date"]
    assert count(db, Order) == 0


# --- JSON bodies ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", [b"[" * 100_000, b'{"a":' * 50_000, b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (
    MAX_JSON_DEPTH + 1)])
def test_a_json_body_nested_too_deep_is_400_before_it_is_parsed(db, client, raw):
    headers = token(db, factories.partner_user())
    response = client.patch("/api/v1/me", data=raw, headers=headers | {"Content-Type": "application/json"})
    assert response.status_code == 400
    assert f"nested more than {MAX_JSON_DEPTH} levels" in response.get_json()["error"]["message"]


def test_a_json_body_too_large_is_400(db, client):
    headers = token(db, factories.partner_user(name="Before"))
    raw = json.dumps({"name": "x" * MAX_JSON_BYTES}).encode()
    response = client.patch("/api/v1/me", data=raw, headers=headers | {"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "larger than 256 KB" in response.get_json()["error"]["message"]


def test_brackets_inside_strings_do_not_count_as_nesting(db, client):
    user = factories.partner_user()
    headers = token(db, user)
    response = client.patch("/api/v1/me", json={"name": "[[[{{{" * 20}, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["name"] == "[[[{{{" * 20


def test_an_order_of_many_lines_is_well_within_the_bounds(db, client):
    products = [factories.ProductFactory(stock_on_hand=10) for _ in range(200)]
    headers = token(db, factories.partner_user()) | {"Idempotency-Key": "erp-bounds-0002"}
    body = {"lines": [{"sku": p.sku, "quantity": 1} for p in products], "po_number": "PO-200",
            "requested_date": (utcnow().date() + timedelta(days=1)).isoformat(), "notes": "n" * 1000,
            "address": {"label": "Depot", "lines": "1 Road", "city": "Utrecht", "postcode": "3511",
                        "country": "Netherlands"}}
    db.session.commit()
    assert len(json.dumps(body)) < MAX_JSON_BYTES // 5
    response = client.post("/api/v1/orders", json=body, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)[:300]


def test_vendor_roles_see_the_bounds_too(db, client):
    headers = token(db, factories.vendor(Role.CHANNEL_MANAGER))
    assert client.get("/api/v1/orders?from=0001-01-01", headers=headers).status_code == 422
