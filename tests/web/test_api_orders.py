"""/api/v1/orders: list/get/create/cancel with bearer tokens. Creating uses checkout's rules (prices,
validation, auto-approval, stock) from the body's lines without touching the cart; the Idempotency-Key
header makes a retry return the same order; other partners' ids are 404; vendor staff read only."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from openapi_spec_validator import validate
from sqlalchemy import func, select

from portal.accounts import service as accounts
from portal.catalogue.models import Category, Product, Tier
from portal.core.permissions import Role
from portal.core.time import utcnow
from portal.orders import settings
from portal.orders.models import CartLine, Order, OrderEvent, OrderLine, ShippingAddress
from tests import factories
from tests.web.test_api import assert_json_error, bearer

_serial = count()


def token_for(user) -> dict[str, str]:
    _row, secret = accounts.create_api_token(user, "ERP")
    return bearer(secret) | {"Accept-Language": "en"}


def product(db, sku: str, price: int = 1000, *, stock: int = 100, moq: int = 1, active: bool = True) -> Product:
    cat = Category(name=f"API order category {next(_serial)}-{uuid.uuid4().hex[:6]}")
    db.session.add(cat)
    db.session.flush()
    row = Product(sku=sku, name=f"Product {sku}", description="", category_id=cat.id, list_price_cents=price,
                  currency="USD", unit="each", stock_on_hand=stock, min_order_qty=moq, active=active)
    db.session.add(row)
    db.session.flush()
    return row


def sku() -> str:
    return f"AO-{next(_serial)}-{uuid.uuid4().hex[:4]}"


def key() -> str:
    return f"erp-{uuid.uuid4()}"


def body(lines: list[dict], **overrides) -> dict:
    data = {"lines": lines, "po_number": "PO-API-1",
            "requested_date": (utcnow().date() + timedelta(days=3)).isoformat(), "notes": "Gate 2",
            "address": {"label": "Depot", "lines": "9 Canal St", "city": "Utrecht", "postcode": "3511",
                        "country": "Netherlands"}}
    data.update(overrides)
    return data


def no_float(text: str):
    raise AssertionError(f"a JSON float in the API's answer: {text}")


def post(client, path: str, headers: dict, payload: dict, idem: str | None = None):
    extra = {"Idempotency-Key": idem} if idem is not None else {}
    return client.post(path, json=payload, headers=headers | extra)


def decoded(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return json.loads(response.get_data(as_text=True), parse_float=no_float)


def orders_of(db, user) -> list[Order]:
    return list(db.session.scalars(select(Order).where(Order.placed_by == user.id)))


@pytest.fixture
def gold(db):
    tier = Tier(name=f"API Gold {next(_serial)}", rank=2, discount_bp=1000)
    db.session.add(tier)
    db.session.flush()
    return tier


@pytest.fixture
def buyer(db, gold):
    return factories.partner_user(factories.PartnerFactory(tier_id=gold.id))


# --- create -----------------------------------------------------------------------------------------------

@pytest.mark.pg
def test_an_api_order_is_priced_like_checkout_reserves_stock_and_leaves_the_cart_alone(db, client, buyer, gold):
    a, b = product(db, sku(), 1234, stock=10), product(db, sku(), 1000, stock=5)
    in_cart = product(db, sku(), 500)
    db.session.add(CartLine(user_id=buyer.id, product_id=in_cart.id, quantity=2))
    headers = token_for(buyer)
    db.session.commit()
    response = post(client, "/api/v1/orders", headers,
                    body([{"sku": a.sku, "quantity": 3}, {"product_id": b.id, "quantity": 2}]), key())
    out = decoded(response, 201)
    # 12.34 × 0.9 = 11.106 → 11.11 per unit (half-up); 10.00 × 0.9 = 9.00
    assert [(ln["sku"], ln["quantity"], ln["net_unit_cents"], ln["net_unit_price"], ln["line_total"],
             ln["tier_name"], ln["discount_percent"]) for ln in out["lines"]] == [
        (a.sku, 3, 1111, "11.11", "33.33", gold.name, "10.00"), (b.sku, 2, 900, "9.00", "18.00", gold.name, "10.00")]
    assert out["total"] == "51.33" and out["total_cents"] == 5133 and out["currency"] == "USD"
    assert out["status"] == "approved" and out["number"].startswith("ORD-")
    assert [(e["from_status"], e["to_status"], e["automatic"]) for e in out["timeline"]] == [
        ("", "submitted", False), ("submitted", "approved", True)]
    assert "9 Canal St" in out["shipping_address"] and out["po_number"] == "PO-API-1"
    db.session.expire_all()
    assert db.session.get(Product, a.id).stock_on_hand == 7 and db.session.get(Product, b.id).stock_on_hand == 3
    [order] = orders_of(db, buyer)
    assert order.id == out["id"] and order.approval_seconds == 0
    assert db.session.scalar(select(CartLine.quantity).where(CartLine.user_id == buyer.id)) == 2


@pytest.mark.pg
def test_the_same_idempotency_key_twice_makes_one_order_and_the_retry_gets_200(db, client, buyer):
    item = product(db, sku(), stock=10)
    headers = token_for(buyer)
    db.session.commit()
    payload, idem = body([{"sku": item.sku, "quantity": 2}]), key()
    first = decoded(post(client, "/api/v1/orders", headers, payload, idem), 201)
    second = decoded(post(client, "/api/v1/orders", headers, payload, idem), 200)
    assert first == second
    assert len(orders_of(db, buyer)) == 1
    db.session.expire_all()
    assert db.session.get(Product, item.id).stock_on_hand == 8


@pytest.mark.parametrize("change", [
    {"lines": [{"quantity": 3}]},
    {"po_number": "PO-OTHER"},
    {"notes": "something else"},
])
def test_a_reused_key_with_a_different_request_is_409_and_writes_nothing(db, client, buyer, change):
    item = product(db, sku(), stock=10)
    headers = token_for(buyer)
    db.session.commit()
    idem = key()
    decoded(post(client, "/api/v1/orders", headers, body([{"sku": item.sku, "quantity": 2}]), idem), 201)
    changed = body([{"sku": item.sku, "quantity": 2}])
    for name, value in change.items():
        changed[name] = [{"sku": item.sku, **value[0]}] if name == "lines" else value
    response = post(client, "/api/v1/orders", headers, changed, idem)
    assert_json_error(response, 409, "already used for order")
    assert len(orders_of(db, buyer)) == 1


def test_the_idempotency_key_header_is_required(db, client, buyer):
    item = product(db, sku())
    headers = token_for(buyer)
    db.session.commit()
    for idem in (None, "short", "x" * 65, "has space in it"):
        error = assert_json_error(post(client, "/api/v1/orders", headers, body([{"sku": item.sku, "quantity": 1}]),
                                       idem), 422)
        assert "Idempotency-Key" in error["fields"]
    assert orders_of(db, buyer) == []


@pytest.mark.parametrize(("line", "field", "message"), [
    ({"quantity": -1}, "lines.0.quantity", "Enter a quantity of 1 or more."),
    ({"quantity": 0}, "lines.0.quantity", "Enter a quantity of 1 or more."),
    ({"quantity": 10**12}, "lines.0.quantity", "At most 100,000 units per line."),
    ({"quantity": "5"}, "lines.0.quantity", "integer"),
    ({"quantity": "abc"}, "lines.0.quantity", "integer"),
    ({"quantity": 1.5}, "lines.0.quantity", "integer"),
    ({"quantity": True}, "lines.0.quantity", "integer"),
    ({"quantity": 2, "sku": "NO-SUCH-SKU"}, "lines.0.sku", "No such product."),
    ({"quantity": 2, "product_id": 2**31 - 2}, "lines.0.product_id", "No such product."),
    ({"quantity": 2, "sku": "{inactive}"}, "lines.0.quantity", "This product is no longer available."),
    ({"quantity": 2, "sku": "{moq}"}, "lines.0.quantity", "The minimum order for this product is 5."),
])
def test_bad_lines_are_422_next_to_the_line_and_nothing_is_written(db, client, buyer, line, field, message):
    ok = product(db, sku(), stock=50)
    inactive = product(db, sku(), active=False)
    moq = product(db, sku(), moq=5)
    headers = token_for(buyer)
    db.session.commit()
    wanted = {"sku": ok.sku} | line
    if "product_id" in line:
        wanted.pop("sku")
    elif isinstance(line.get("sku"), str):
        wanted["sku"] = line["sku"].format(inactive=inactive.sku, moq=moq.sku)
    response = post(client, "/api/v1/orders", headers, body([{"sku": ok.sku, "quantity": 1}, wanted]), key())
    error = assert_json_error(response, 422)
    field = field.replace("lines.0", "lines.1")
    assert any(message in m for m in error["fields"][field]), error
    assert orders_of(db, buyer) == []
    db.session.expire_all()
    assert db.session.get(Product, ok.id).stock_on_hand == 50


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"po_number": ""}, "po_number", "Enter your PO number."),
    ({"requested_date": "2020-01-01"}, "requested_date", "Choose today or a later date."),
    ({"requested_date": "soon"}, "requested_date", "date"),
    ({"lines": []}, "lines", "at least 1"),
    ({"address": {"lines": "", "city": "X", "postcode": "1", "country": "Y"}}, "address.lines",
     "Required for a new address."),
    ({"address": None}, "address_id", "Send address_id or a new address."),
    ({"address_id": 1}, "address", "not both"),
])
def test_bad_order_fields_are_422_with_the_field_named(db, client, buyer, changes, field, message):
    item = product(db, sku())
    headers = token_for(buyer)
    db.session.commit()
    payload = body([{"sku": item.sku, "quantity": 1}])
    payload.update(changes)
    error = assert_json_error(post(client, "/api/v1/orders", headers, payload, key()), 422)
    assert any(message in m for m in error["fields"][field]), error
    assert orders_of(db, buyer) == []


@pytest.mark.pg
def test_more_than_the_stock_is_409_not_enough_stock_and_writes_nothing(db, client, buyer):
    item = product(db, sku(), stock=3)
    headers = token_for(buyer)
    db.session.commit()
    response = post(client, "/api/v1/orders", headers, body([{"sku": item.sku, "quantity": 4}]), key())
    assert_json_error(response, 409, f"Not enough stock for SKU {item.sku} (3 available).")
    assert orders_of(db, buyer) == []
    assert db.session.scalar(select(func.count()).select_from(ShippingAddress)
                             .where(ShippingAddress.partner_id == buyer.partner_id)) == 0
    db.session.expire_all()
    assert db.session.get(Product, item.id).stock_on_hand == 3


def test_an_order_above_the_auto_approval_limit_waits_and_reserves_nothing(db, client, buyer):
    settings.set("auto_approval_limit_cents", 1000)
    item = product(db, sku(), 1000, stock=10)
    headers = token_for(buyer)
    db.session.commit()
    out = decoded(post(client, "/api/v1/orders", headers, body([{"sku": item.sku, "quantity": 2}]), key()), 201)
    assert out["status"] == "submitted" and out["approved_at"] is None
    db.session.expire_all()
    assert db.session.get(Product, item.id).stock_on_hand == 10


def test_repeated_lines_of_one_product_add_up(db, client, buyer):
    item = product(db, sku(), stock=10)
    headers = token_for(buyer)
    db.session.commit()
    out = decoded(post(client, "/api/v1/orders", headers,
                       body([{"sku": item.sku, "quantity": 2}, {"product_id": item.id, "quantity": 3}]), key()), 201)
    assert [(ln["sku"], ln["quantity"]) for ln in out["lines"]] == [(item.sku, 5)]


@pytest.mark.pg
def test_a_saved_address_is_used_and_another_partners_address_is_404(db, client, buyer):
    item = product(db, sku())
    mine = ShippingAddress(partner_id=buyer.partner_id, label="HQ", lines="5 Main St", city="Lyon",
                           postcode="69001", country="France")
    theirs = ShippingAddress(partner_id=factories.PartnerFactory().id, label="Theirs", lines="x", city="y",
                             postcode="1", country="z")
    db.session.add_all([mine, theirs])
    headers = token_for(buyer)
    db.session.commit()
    refused = post(client, "/api/v1/orders", headers,
                   body([{"sku": item.sku, "quantity": 1}], address=None, address_id=theirs.id), key())
    assert_json_error(refused, 404, "Address not found.")
    assert orders_of(db, buyer) == []
    out = decoded(post(client, "/api/v1/orders", headers,
                       body([{"sku": item.sku, "quantity": 1}], address=None, address_id=mine.id), key()), 201)
    assert "5 Main St" in out["shipping_address"] and "Lyon" in out["shipping_address"]


def test_vendor_tokens_cannot_place_orders(db, client):
    item = product(db, sku())
    headers = token_for(factories.vendor(Role.ADMIN))
    db.session.commit()
    response = post(client, "/api/v1/orders", headers, body([{"sku": item.sku, "quantity": 1}]), key())
    assert_json_error(response, 403)
    assert db.session.scalar(select(func.count()).select_from(Order).where(Order.po_number == "PO-API-1")) == 0


def test_no_token_is_401(db, client):
    assert_json_error(client.get("/api/v1/orders"), 401)
    assert_json_error(client.post("/api/v1/orders", json={}), 401)


# --- list and get ----------------------------------------------------------------------------------------

def make_order(db, user, *, po: str = "PO-L", status: str = "submitted", skus=("SKU-A",), days_ago: int = 0,
               carrier: str = "", tracking: str = "") -> Order:
    n = next(_serial)
    order = Order(partner_id=user.partner_id, placed_by=user.id, idempotency_key=f"ao-{n}-{uuid.uuid4().hex[:6]}",
                  po_number=po, shipping_address="HQ", requested_date=utcnow().date(), status=status,
                  currency="USD", total_cents=1999 * len(skus), created_at=utcnow() - timedelta(days=days_ago),
                  carrier=carrier, tracking_number=tracking)
    db.session.add(order)
    db.session.flush()
    order.number = f"AO-{order.id:06d}"
    for s in skus:
        db.session.add(OrderLine(order_id=order.id, product_id=None, sku=s, name=f"Name {s}", quantity=1,
                                 list_price_cents=2221, net_unit_cents=1999, tier_name="Gold", discount_bp=1000,
                                 line_total_cents=1999))
    db.session.add(OrderEvent(order_id=order.id, actor_id=user.id, from_status="", to_status="submitted",
                              at=utcnow() - timedelta(days=days_ago)))
    db.session.flush()
    return order


def ids(out: dict) -> set[int]:
    return {item["id"] for item in out["items"]}


@pytest.mark.pg
def test_a_partner_lists_its_companys_orders_and_another_partners_order_is_404(db, client, buyer):
    colleague = factories.partner_user(buyer.partner)
    stranger = factories.partner_user(factories.PartnerFactory())
    mine, theirs, other = make_order(db, buyer), make_order(db, colleague), make_order(db, stranger, po="SECRET")
    headers = token_for(buyer)
    db.session.commit()
    assert ids(decoded(client.get("/api/v1/orders", headers=headers), 200)) == {mine.id, theirs.id}
    assert decoded(client.get(f"/api/v1/orders/{theirs.id}", headers=headers), 200)["id"] == theirs.id
    response = client.get(f"/api/v1/orders/{other.id}", headers=headers)
    assert_json_error(response, 404, "Order not found.")
    assert "SECRET" not in response.get_data(as_text=True)


@pytest.mark.parametrize(("query", "expected"), [
    ("status=approved", {"approved"}),
    ("po=acme", {"po"}),
    ("sku=SKU-RARE", {"sku"}),
    ("from={old}&to={old}", {"old"}),
])
def test_the_list_filters_like_the_history_page(db, client, buyer, query, expected):
    made = {"approved": make_order(db, buyer, status="approved", po="P-1"), "po": make_order(db, buyer, po="ACME-7"),
            "sku": make_order(db, buyer, po="P-3", skus=("SKU-A", "SKU-RARE")),
            "old": make_order(db, buyer, po="P-4", days_ago=40)}
    headers = token_for(buyer)
    db.session.commit()
    old = (utcnow().date() - timedelta(days=40)).isoformat()
    out = decoded(client.get(f"/api/v1/orders?{query.format(old=old)}", headers=headers), 200)
    assert {name for name, order in made.items() if order.id in ids(out)} == expected


def test_the_list_pages_newest_first(db, client, buyer):
    made = [make_order(db, buyer, days_ago=d) for d in range(5)]
    headers = token_for(buyer)
    db.session.commit()
    first = decoded(client.get("/api/v1/orders?per_page=2", headers=headers), 200)
    last = decoded(client.get("/api/v1/orders?per_page=2&page=3", headers=headers), 200)
    assert [i["id"] for i in first["items"]] == [made[0].id, made[1].id] and first["has_next"] is True
    assert [i["id"] for i in last["items"]] == [made[4].id] and last["has_next"] is False


@pytest.mark.parametrize("query", ["status=lost", "from=yesterday", "per_page=1000", "page=0", "colour=red"])
def test_bad_list_parameters_are_422(db, client, buyer, query):
    headers = token_for(buyer)
    db.session.commit()
    assert_json_error(client.get(f"/api/v1/orders?{query}", headers=headers), 422)


def test_one_order_has_lines_with_exact_prices_timeline_carrier_and_tracking(db, client, buyer):
    order = make_order(db, buyer, status="shipped", skus=("SKU-1", "SKU-2"), carrier="DHL", tracking="JD014600")
    db.session.add(OrderEvent(order_id=order.id, actor_id=None, from_status="submitted", to_status="approved",
                              at=datetime(2030, 1, 1, tzinfo=UTC)))
    headers = token_for(buyer)
    db.session.commit()
    out = decoded(client.get(f"/api/v1/orders/{order.id}", headers=headers), 200)
    assert (out["status"], out["carrier"], out["tracking_number"], out["total"]) == ("shipped", "DHL", "JD014600",
                                                                                     "39.98")
    assert out["lines"][0] == {"product_id": None, "sku": "SKU-1", "name": "Name SKU-1", "quantity": 1,
                               "list_price": "22.21", "list_price_cents": 2221, "net_unit_price": "19.99",
                               "net_unit_cents": 1999, "line_total": "19.99", "line_total_cents": 1999,
                               "tier_name": "Gold", "discount_percent": "10.00"}
    assert [(e["to_status"], e["automatic"]) for e in out["timeline"]] == [("submitted", False), ("approved", True)]


@pytest.mark.pg
def test_a_channel_manager_token_reads_only_assigned_partners_orders_and_a_trainer_none(db, client):
    manager = factories.vendor(Role.CHANNEL_MANAGER)
    assigned = factories.partner_user(factories.PartnerFactory(channel_manager_id=manager.id))
    elsewhere = factories.partner_user(factories.PartnerFactory())
    mine, other = make_order(db, assigned), make_order(db, elsewhere)
    headers, trainer = token_for(manager), token_for(factories.vendor(Role.TRAINER))
    db.session.commit()
    listed = ids(decoded(client.get("/api/v1/orders?per_page=100", headers=headers), 200))
    assert mine.id in listed and other.id not in listed
    assert decoded(client.get(f"/api/v1/orders/{mine.id}", headers=headers), 200)["id"] == mine.id
    assert_json_error(client.get(f"/api/v1/orders/{other.id}", headers=headers), 404)
    assert_json_error(client.get("/api/v1/orders", headers=trainer), 403)
    assert_json_error(post(client, f"/api/v1/orders/{mine.id}/cancel", headers, {}), 403)


# --- cancel ----------------------------------------------------------------------------------------------

@pytest.mark.pg
def test_cancelling_an_approved_api_order_gives_the_stock_back(db, client, buyer):
    item = product(db, sku(), stock=10)
    headers = token_for(buyer)
    db.session.commit()
    placed = decoded(post(client, "/api/v1/orders", headers, body([{"sku": item.sku, "quantity": 4}]), key()), 201)
    out = decoded(post(client, f"/api/v1/orders/{placed['id']}/cancel", headers, {"reason": "Duplicate"}), 200)
    assert out["status"] == "cancelled" and out["cancelled_at"] is not None
    assert out["timeline"][-1]["to_status"] == "cancelled" and out["timeline"][-1]["note"] == "Duplicate"
    db.session.expire_all()
    assert db.session.get(Product, item.id).stock_on_hand == 10


def test_cancelling_a_shipped_order_is_409(db, client, buyer):
    order = make_order(db, buyer, status="shipped")
    headers = token_for(buyer)
    db.session.commit()
    assert_json_error(post(client, f"/api/v1/orders/{order.id}/cancel", headers, {}), 409)
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "shipped"


@pytest.mark.pg
def test_cancelling_another_partners_order_is_404(db, client, buyer):
    other = make_order(db, factories.partner_user(factories.PartnerFactory()))
    headers = token_for(buyer)
    db.session.commit()
    assert_json_error(post(client, f"/api/v1/orders/{other.id}/cancel", headers, {}), 404)
    db.session.expire_all()
    assert db.session.get(Order, other.id).status == "submitted"


# --- the OpenAPI document --------------------------------------------------------------------------------

def test_the_openapi_document_describes_every_order_operation_and_still_validates(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    validate(spec)
    paths = spec["paths"]
    assert set(paths["/orders"]) == {"get", "post"}
    assert set(paths["/orders/{order_id}"]) == {"get"} and set(paths["/orders/{order_id}/cancel"]) == {"post"}
    create = paths["/orders"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == \
        {"$ref": "#/components/schemas/OrderCreate"}
    assert create["responses"]["201"]["content"]["application/json"]["schema"] == \
        {"$ref": "#/components/schemas/OrderOut"}
    header = next(p for p in create["parameters"] if p["name"] == "Idempotency-Key")
    assert header["in"] == "header" and header["required"] is True
    assert set(create["responses"]) >= {"200", "201", "409", "422"}  # a replay answers 200 with the order
    assert create["responses"]["200"]["content"]["application/json"]["schema"] == \
        {"$ref": "#/components/schemas/OrderOut"}
    params = {p["name"] for p in paths["/orders"]["get"]["parameters"]}
    assert params == {"status", "po", "sku", "from", "to", "page", "per_page"}
    line = spec["components"]["schemas"]["OrderLineOut"]["properties"]
    assert line["net_unit_cents"]["type"] == "integer" and line["net_unit_price"]["type"] == "string"
