"""One input rule for all text that comes in: a control character (other than tab and line breaks) in a form
field, a query parameter or an API body is refused with 422 and the message next to the field, and nothing is
written; a search has them stripped instead. PostgreSQL refuses NUL in text, so these run there too."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.accounts import service as accounts
from portal.catalogue.models import Product
from portal.core.forms import Form
from portal.core.inputs import MESSAGE
from portal.core.permissions import Role
from portal.core.time import utcnow
from portal.orders.models import CartLine, Order, OrderLine, ReturnRequest
from portal.partners.models import Partner
from tests import factories
from tests.web.test_api import bearer

EN = {"Accept-Language": "en"}
RULE = str(MESSAGE)
BAD = ["a\x00b", "PO\x01", "x\x1by", "del\x7f", "c1\x85"]


def next_to(html: str, field_id: str) -> bool:
    """The rule's message shows in the error element of the field with this id."""
    return re.search(rf'id="{re.escape(field_id)}-error">{re.escape(RULE)}<', html) is not None


def checkout_form(**changes) -> dict:
    data = {"idempotency_key": "0b9f2f6e-4c1e-4d5e-9d7e-2b8c6a1f3e4d", "po_number": "PO-1",
            "requested_date": (utcnow().date() + timedelta(days=3)).isoformat(), "notes": "Dock 4",
            "address_id": "new", "label": "Warehouse", "lines": "1 Harbour Road", "city": "Rotterdam",
            "postcode": "3011", "country": "Netherlands"}
    return data | changes


@pytest.fixture
def buyer(db):
    user = factories.partner_user()
    product = factories.ProductFactory(name="Edge router", sku="RT-100")
    db.session.add(CartLine(user_id=user.id, product_id=product.id, quantity=1))
    db.session.commit()
    return user


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- forms: one base class, the rule on every field -------------------------------------------------------------

def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def test_every_form_of_the_portal_is_built_on_the_portal_form(app):
    from flask_wtf import FlaskForm

    forms = [cls for cls in _all_subclasses(FlaskForm) if cls.__module__.startswith("portal.")]
    assert len(forms) > 15  # the forms of every area are loaded with the app
    assert [cls.__qualname__ for cls in forms if not issubclass(cls, Form)] == []
    root = Path(__file__).resolve().parents[2] / "portal"
    direct = [str(path.relative_to(root)) for path in root.rglob("*.py")
              if "FlaskForm" in path.read_text() and path != root / "core" / "forms.py"]
    assert direct == []


def test_every_field_of_every_form_refuses_control_characters(app):
    from flask_wtf.file import FileField, MultipleFileField
    from werkzeug.datastructures import MultiDict

    forms = [cls for cls in _all_subclasses(Form) if cls.__module__.startswith("portal.")]
    with app.test_request_context("/", method="POST"):
        for cls in forms:
            # every field but the CSRF token and uploads (a file field takes only files: text is no file)
            names = [name for name, field in cls(formdata=None)._fields.items()
                     if name != "csrf_token" and not isinstance(field, (FileField, MultipleFileField))]
            if not names:
                continue
            form = cls(formdata=MultiDict({name: "a\x00b" for name in names}))
            assert not form.validate()
            assert [name for name in names if RULE not in form.errors.get(name, [])] == [], cls


def test_tabs_and_line_breaks_are_text(app):
    from werkzeug.datastructures import MultiDict

    from portal.accounts.forms import ApiTokenForm

    with app.test_request_context("/", method="POST"):
        assert ApiTokenForm(formdata=MultiDict({"name": "ERP\tsync"})).validate()


@pytest.mark.pg
@pytest.mark.parametrize("field", ["po_number", "notes", "label", "lines", "city", "postcode", "country"])
def test_a_control_character_in_a_checkout_field_is_422_next_to_it_and_places_nothing(db, client, login, buyer,
                                                                                    field):
    login(buyer)
    response = client.post("/checkout", data=checkout_form(**{field: "a\x00b"}), headers=EN)
    assert response.status_code == 422
    assert next_to(response.get_data(as_text=True), f"f-{field}")
    assert count(db, Order) == 0
    assert db.session.scalar(select(func.count()).select_from(CartLine).where(CartLine.user_id == buyer.id)) == 1


@pytest.mark.pg
def test_tabs_and_line_breaks_in_checkout_notes_are_kept(db, client, login, buyer):
    login(buyer)
    response = client.post("/checkout", data=checkout_form(notes="Gate 2\r\nRing\tTwice"), headers=EN)
    assert response.status_code == 303
    assert db.session.scalar(select(Order.notes)) == "Gate 2\r\nRing\tTwice"


@pytest.mark.pg
@pytest.mark.parametrize("value", BAD)
def test_a_control_character_in_the_profile_name_is_422_and_changes_nothing(db, client, login, value):
    user = factories.vendor(name="Before")
    db.session.commit()
    login(user)
    response = client.post("/account/", data={"name": value, "locale": "", "timezone": "UTC"}, headers=EN)
    assert response.status_code == 422
    assert next_to(response.get_data(as_text=True), "name")
    db.session.refresh(user)
    assert user.name == "Before"


@pytest.mark.pg
def test_a_control_character_in_a_partner_record_is_422_and_writes_nothing(db, client, login):
    login(factories.vendor())
    before = count(db, Partner)
    response = client.post("/partners/new", data={"name": "Null\x00 Trading", "type": "reseller",
                                                  "region": "EMEA", "status": "active"}, headers=EN)
    assert response.status_code == 422
    assert next_to(response.get_data(as_text=True), "name")
    assert count(db, Partner) == before


@pytest.mark.pg
def test_a_control_character_in_a_product_is_422_and_writes_nothing(db, client, login):
    category = factories.CategoryFactory()
    login(factories.vendor())
    db.session.commit()
    response = client.post("/admin/catalogue/products/new", headers=EN, data={
        "sku": "NUL-1", "name": "Router", "description": "Fast\x00", "category_id": str(category.id),
        "list_price": "10.00", "currency": "USD", "unit": "each", "stock_on_hand": "1", "min_order_qty": "1"})
    assert response.status_code == 422
    assert next_to(response.get_data(as_text=True), "description")
    assert count(db, Product) == 0


@pytest.mark.pg
def test_a_control_character_in_a_cancel_reason_is_422_and_the_order_stays(db, client, login):
    buyer = factories.partner_user()
    order = factories.order_with_line(buyer)
    db.session.commit()
    login(buyer)
    response = client.post(f"/orders/{order.id}/cancel", data={"reason": "oops\x00"}, headers=EN)
    assert response.status_code == 422
    assert RULE in response.get_data(as_text=True)
    db.session.refresh(order)
    assert order.status == "submitted"


@pytest.mark.pg
def test_a_control_character_in_a_return_reason_is_422_and_asks_for_nothing(db, client, login):
    buyer = factories.partner_user()
    order = factories.order_with_line(buyer, status="delivered")
    line = db.session.scalar(select(OrderLine).where(OrderLine.order_id == order.id))
    db.session.commit()
    login(buyer)
    response = client.post(f"/orders/{order.id}/return", data={f"quantity-{line.id}": "1", "reason": "bad\x07"},
                           headers=EN)
    assert response.status_code == 422
    assert RULE in response.get_data(as_text=True)
    assert count(db, ReturnRequest) == 0


@pytest.mark.pg
@pytest.mark.parametrize(("path", "data", "field"), [
    ("reject", {"reason": "no\x00"}, "reason"),
    ("cancel", {"cancel_reason": "no\x00"}, "cancel_reason"),
    ("ship", {"carrier": "DHL\x00", "tracking": "123"}, "carrier"),
])
def test_a_control_character_in_a_queue_decision_is_422_and_the_order_stays(db, client, login, path, data, field):
    buyer = factories.partner_user()
    order = factories.order_with_line(buyer, status="approved" if path == "ship" else "submitted")
    db.session.commit()
    login(factories.vendor())
    response = client.post(f"/queue/{order.id}/{path}", data=data, headers=EN)
    assert response.status_code == 422
    assert RULE in response.get_data(as_text=True)
    db.session.refresh(order)
    assert order.status == ("approved" if path == "ship" else "submitted")


# --- query parameters: a search is stripped, anything else refused ------------------------------------------------

@pytest.mark.pg
@pytest.mark.parametrize("q", ["rou\x00ter", "router\x00", "\x00ro\x1buter"])
def test_a_nul_in_a_catalogue_search_is_stripped_and_the_search_answers(db, client, login, q):
    factories.ProductFactory(name="Edge router", sku="RT-100")
    factories.ProductFactory(name="Switch", sku="SW-200")
    db.session.commit()
    login(factories.partner_user())
    response = client.get("/catalogue/", query_string={"q": q}, headers=EN)
    assert response.status_code == 200
    assert re.findall(r'data-sku="([^"]+)"', response.get_data(as_text=True)) == ["RT-100"]


@pytest.mark.pg
def test_a_nul_in_an_api_product_search_is_stripped(db, client):
    factories.ProductFactory(name="Edge router", sku="RT-100")
    user = factories.partner_user()
    _row, secret = accounts.create_api_token(user, "ERP")
    db.session.commit()
    response = client.get("/api/v1/products?q=rou%00ter", headers=bearer(secret))
    assert response.status_code == 200
    assert [item["sku"] for item in response.get_json()["items"]] == ["RT-100"]


@pytest.mark.pg
@pytest.mark.parametrize("path", ["/orders/?po=a%00b", "/orders/?sku=%01", "/orders/export.csv?po=%00",
                                  "/users/?role=a%00", "/partners/?status=%7f"])
def test_a_control_character_in_another_query_parameter_is_422_naming_it(db, client, login, path):
    login(factories.partner_user(role=Role.PARTNER_ADMIN) if path.startswith(("/orders", "/users"))
          else factories.vendor())
    response = client.get(path, headers=EN)
    assert response.status_code == 422
    assert RULE in response.get_data(as_text=True)


@pytest.mark.pg
def test_a_control_character_in_an_api_query_parameter_is_422_naming_it(db, client):
    user = factories.partner_user()
    _row, secret = accounts.create_api_token(user, "ERP")
    db.session.commit()
    response = client.get("/api/v1/orders?po=a%00b", headers=bearer(secret) | EN)
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"po": [RULE]}


# --- API bodies ---------------------------------------------------------------------------------------------------

def order_body(**changes) -> dict:
    return {"lines": [{"sku": "RT-100", "quantity": 1}], "po_number": "PO-API",
            "requested_date": (utcnow().date() + timedelta(days=3)).isoformat(), "notes": "",
            "address": {"label": "Depot", "lines": "9 Canal St", "city": "Utrecht", "postcode": "3511",
                        "country": "Netherlands"}} | changes


@pytest.mark.pg
@pytest.mark.parametrize(("changes", "field"), [
    ({"po_number": "PO\x00"}, "po_number"),
    ({"notes": "Gate\x1b[31m"}, "notes"),
    ({"lines": [{"sku": "RT-100\x00", "quantity": 1}]}, "lines.0.sku"),
    ({"address": {"lines": "9\x00", "city": "Utrecht", "postcode": "3511", "country": "NL"}}, "address.lines"),
    ({"po_number": "PO-\ud800"}, "po_number"),
])
def test_a_control_character_in_an_api_order_is_422_naming_the_field_and_writes_nothing(db, client, changes, field):
    user = factories.partner_user()
    factories.ProductFactory(name="Edge router", sku="RT-100")
    _row, secret = accounts.create_api_token(user, "ERP")
    db.session.commit()
    response = client.post("/api/v1/orders", json=order_body(**changes),
                           headers=bearer(secret) | EN | {"Idempotency-Key": "erp-key-00000001"})
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.get_json()["error"]["fields"] == {field: [RULE]}
    assert count(db, Order) == 0


@pytest.mark.pg
def test_a_control_character_in_an_api_profile_change_is_422(db, client):
    user = factories.partner_user(name="Before")
    _row, secret = accounts.create_api_token(user, "ERP")
    db.session.commit()
    response = client.patch("/api/v1/me", json={"name": "After\x00"}, headers=bearer(secret) | EN)
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"name": [RULE]}
    db.session.refresh(user)
    assert user.name == "Before"
