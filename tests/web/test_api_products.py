"""/api/v1/products: the catalogue with the caller's exact net price, the HTML pages' visibility rules,
strict query parameters (422 with field messages) and an OpenAPI description of both paths."""

from __future__ import annotations

import json

import pytest
from openapi_spec_validator import validate

from portal.accounts import service as accounts
from portal.catalogue.models import Category, Product, ProductTierPrice, Tier
from portal.core.permissions import Role
from tests import factories
from tests.web import test_catalogue as catalogue_tests
from tests.web.test_api import assert_json_error, bearer


def token_for(user) -> dict[str, str]:
    _row, secret = accounts.create_api_token(user, "ERP sync")
    return bearer(secret)


def member_of(tier: Tier | None) -> dict[str, str]:
    """Bearer headers of a partner user whose partner is in ``tier``."""
    return token_for(factories.partner_user(factories.PartnerFactory(tier_id=tier.id if tier else None)))


def api(client, path: str, headers: dict[str, str], status: int = 200) -> dict:
    """The JSON body; money must never arrive as a JSON float."""
    response = client.get(path, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"

    def no_float(text: str):
        raise AssertionError(f"a JSON float in the API's answer: {text}")

    return json.loads(response.get_data(as_text=True), parse_float=no_float)


def prices(body: dict) -> tuple:
    return body["list_price"], body["net_price"], body["list_price_cents"], body["net_price_cents"]


def skus(body: dict) -> list[str]:
    return [item["sku"] for item in body["items"]]


# --- prices -----------------------------------------------------------------------------------

# the catalogue tests' own helpers: one way to make tiers, categories and products
tiers = catalogue_tests.tiers  # a fixture
category = catalogue_tests.category
product = catalogue_tests.product


@pytest.mark.pg
def test_a_gold_and_a_silver_partner_get_their_own_exact_net_price_for_the_same_product(db, client, tiers):
    cat = category(db)
    item = product(db, cat, "API-RT-1", "Router One", 12999)  # 116.991 → 116.99; 123.4905 → 123.49
    gold, silver = member_of(tiers["Gold"]), member_of(tiers["Silver"])

    listed = api(client, f"/api/v1/products?category_id={cat.id}", gold)
    assert prices(listed["items"][0]) == ("129.99", "116.99", 12999, 11699)
    assert listed["tier"] == {"id": tiers["Gold"].id, "name": tiers["Gold"].name, "discount_percent": "10.00"}
    assert prices(api(client, f"/api/v1/products/{item.id}", gold)) == ("129.99", "116.99", 12999, 11699)

    listed = api(client, f"/api/v1/products?category_id={cat.id}", silver)
    assert prices(listed["items"][0]) == ("129.99", "123.49", 12999, 12349)
    assert listed["tier"]["discount_percent"] == "5.00"
    assert prices(api(client, f"/api/v1/products/{item.id}", silver)) == ("129.99", "123.49", 12999, 12349)


@pytest.mark.pg
def test_a_product_tier_price_overrides_the_tier_discount(db, client, tiers):
    cat = category(db)
    special = product(db, cat, "API-SP-1", "Special Switch", 79900)
    db.session.add(ProductTierPrice(product_id=special.id, tier_id=tiers["Gold"].id, price_cents=64900))
    db.session.flush()

    gold = api(client, f"/api/v1/products/{special.id}", member_of(tiers["Gold"]))
    assert prices(gold) == ("799.00", "649.00", 79900, 64900)
    silver = api(client, f"/api/v1/products/{special.id}", member_of(tiers["Silver"]))
    assert prices(silver) == ("799.00", "759.05", 79900, 75905)  # the Gold-only price is not Silver's
    assert prices(api(client, f"/api/v1/products?category_id={cat.id}", member_of(tiers["Gold"]))["items"][0]) \
        == ("799.00", "649.00", 79900, 64900)


@pytest.mark.pg
def test_a_partner_without_a_tier_gets_list_prices(db, client):
    cat = category(db)
    item = product(db, cat, "API-LP-1", "Plain Cable", 1999)
    body = api(client, f"/api/v1/products?category_id={cat.id}", member_of(None))
    assert prices(body["items"][0]) == ("19.99", "19.99", 1999, 1999) and body["tier"] is None
    assert prices(api(client, f"/api/v1/products/{item.id}", member_of(None))) == ("19.99", "19.99", 1999, 1999)


@pytest.mark.pg
def test_vendor_staff_get_list_prices_and_may_preview_a_tier(db, client, tiers):
    cat = category(db)
    item = product(db, cat, "API-VP-1", "Router Two", 12999)
    manager = token_for(factories.vendor(Role.CHANNEL_MANAGER))

    body = api(client, f"/api/v1/products?category_id={cat.id}", manager)
    assert prices(body["items"][0]) == ("129.99", "129.99", 12999, 12999) and body["tier"] is None
    body = api(client, f"/api/v1/products?category_id={cat.id}&tier={tiers['Gold'].id}", manager)
    assert prices(body["items"][0]) == ("129.99", "116.99", 12999, 11699)
    assert body["tier"]["id"] == tiers["Gold"].id
    assert prices(api(client, f"/api/v1/products/{item.id}?tier={tiers['Silver'].id}", manager)) == \
        ("129.99", "123.49", 12999, 12349)


@pytest.mark.pg
def test_a_partner_cannot_preview_another_tiers_prices(db, client, tiers):
    cat = category(db)
    item = product(db, cat, "API-NP-1", "Router Three", 12999)
    silver = member_of(tiers["Silver"])
    body = api(client, f"/api/v1/products?category_id={cat.id}&tier={tiers['Gold'].id}", silver)
    assert prices(body["items"][0])[1] == "123.49" and body["tier"]["id"] == tiers["Silver"].id
    assert prices(api(client, f"/api/v1/products/{item.id}?tier={tiers['Gold'].id}", silver))[1] == "123.49"


@pytest.mark.pg
def test_a_product_has_its_category_unit_moq_stock_status_and_description(db, client):
    cat = category(db, "API Routers")
    item = product(db, cat, "API-DT-1", "工业路由器 DT-1", 64900, description="双 SIM 卡", moq=5, stock=7)
    body = api(client, f"/api/v1/products/{item.id}", member_of(None))
    assert body == {
        "id": item.id, "sku": "API-DT-1", "name": "工业路由器 DT-1", "category": {"id": cat.id, "name": "API Routers"},
        "currency": "USD", "unit": "each", "list_price": "649.00", "net_price": "649.00",
        "list_price_cents": 64900, "net_price_cents": 64900, "min_order_qty": 5, "stock_status": "low",
        "active": True, "description": "双 SIM 卡", "resources": [],
    }


# --- visibility -------------------------------------------------------------------------------

@pytest.mark.pg
def test_an_inactive_product_is_404_and_absent_for_partners(db, client, tiers):
    cat = category(db)
    product(db, cat, "API-ON-1", "Still Sold", 1000)
    retired = product(db, cat, "API-OFF-1", "Retired Router", 1000, active=False)
    partner = member_of(tiers["Gold"])
    db.session.commit()  # a refused API call rolls back what is not committed (still undone after the test)
    assert_json_error(client.get(f"/api/v1/products/{retired.id}", headers=partner), 404, "Product not found.")
    assert skus(api(client, f"/api/v1/products?category_id={cat.id}", partner)) == ["API-ON-1"]
    assert skus(api(client, "/api/v1/products?q=API-OFF-1", partner)) == []


@pytest.mark.pg
def test_vendor_staff_see_inactive_products_marked_inactive(db, client):
    cat = category(db)
    retired = product(db, cat, "API-OFF-2", "Retired Switch", 1000, active=False)
    admin = token_for(factories.vendor())
    assert api(client, f"/api/v1/products/{retired.id}", admin)["active"] is False
    assert [(i["sku"], i["active"]) for i in api(client, f"/api/v1/products?category_id={cat.id}", admin)["items"]] \
        == [("API-OFF-2", False)]


def test_an_unknown_product_is_404_json(db, client):
    headers = member_of(None)
    assert_json_error(client.get("/api/v1/products/987654321", headers=headers), 404)
    assert_json_error(client.get("/api/v1/products/abc", headers=headers), 404)


# --- search, filter, sort, pages --------------------------------------------------------------

@pytest.fixture
def shelf(db):
    routers, switches = category(db), category(db)
    product(db, routers, "API-IR-200", "工业路由器 IR-200", 64900, description="双 SIM 卡工业路由器")
    product(db, routers, "API-ER-1000", "Edge Router", 249900, description="Rack mount, BGP")
    product(db, switches, "API-SW-8U", "Unmanaged Switch", 3999, description="Fanless desktop switch")
    return {"routers": routers, "switches": switches}


@pytest.mark.pg
def test_search_finds_by_sku_name_description_and_chinese_substring(client, shelf):
    headers = member_of(None)
    assert skus(api(client, "/api/v1/products?q=api-er-1000", headers)) == ["API-ER-1000"]  # SKU, any case
    assert skus(api(client, "/api/v1/products?q=UNMANAGED%20switch", headers)) == ["API-SW-8U"]  # name
    assert skus(api(client, "/api/v1/products?q=bgp", headers)) == ["API-ER-1000"]  # description
    assert skus(api(client, "/api/v1/products?q=路由器", headers)) == ["API-IR-200"]  # Chinese, inside the name
    assert skus(api(client, "/api/v1/products?q=SIM%20卡", headers)) == ["API-IR-200"]  # Chinese description
    assert skus(api(client, "/api/v1/products?q=toaster", headers)) == []


@pytest.mark.pg
def test_the_category_filter_and_price_sort_use_the_callers_net_price(db, client, shelf, tiers):
    expensive = db.session.query(Product).filter_by(sku="API-ER-1000").one()
    db.session.add(ProductTierPrice(product_id=expensive.id, tier_id=tiers["Gold"].id, price_cents=100))
    db.session.flush()
    gold, silver = member_of(tiers["Gold"]), member_of(tiers["Silver"])
    routers = shelf["routers"].id
    assert skus(api(client, f"/api/v1/products?category_id={routers}&sort=price", gold)) == \
        ["API-ER-1000", "API-IR-200"]  # 1.00 (its Gold price) before 584.10
    assert skus(api(client, f"/api/v1/products?category_id={routers}&sort=price", silver)) == \
        ["API-IR-200", "API-ER-1000"]
    assert skus(api(client, f"/api/v1/products?category_id={shelf['switches'].id}", silver)) == ["API-SW-8U"]


def test_pages_say_whether_a_next_one_exists(db, client):
    cat = category(db)
    for i in range(5):
        product(db, cat, f"API-PG-{i}", f"Paged {i}", 1000 + i)
    headers = member_of(None)
    first = api(client, f"/api/v1/products?category_id={cat.id}&per_page=2", headers)
    assert (skus(first), first["page"], first["per_page"], first["has_next"]) == (
        ["API-PG-0", "API-PG-1"], 1, 2, True)
    second = api(client, f"/api/v1/products?category_id={cat.id}&per_page=2&page=2", headers)
    assert (skus(second), second["has_next"]) == (["API-PG-2", "API-PG-3"], True)
    last = api(client, f"/api/v1/products?category_id={cat.id}&per_page=2&page=3", headers)
    assert (skus(last), last["has_next"]) == (["API-PG-4"], False)
    whole = api(client, f"/api/v1/products?category_id={cat.id}&per_page=5", headers)
    assert (len(whole["items"]), whole["has_next"]) == (5, False)
    assert api(client, f"/api/v1/products?category_id={cat.id}", headers)["per_page"] == 50  # the default


@pytest.mark.pg
def test_the_list_runs_the_same_queries_for_3_or_40_products(db, client, count_queries, tiers):
    headers = member_of(tiers["Gold"])
    category_id, gold_id = category(db).id, tiers["Gold"].id

    def add(first: int, last: int) -> None:
        for i in range(first, last):
            item = product(db, db.session.get(Category, category_id), f"API-QC-{i:02d}", f"Counted {i:02d}", 1000 + i)
            if i % 3 == 0:
                db.session.add(ProductTierPrice(product_id=item.id, tier_id=gold_id, price_cents=500))

    def statements() -> tuple[int, dict]:
        db.session.commit()  # the rows are there before the request, as in production
        db.session.expunge_all()
        with count_queries() as counter:
            body = api(client, f"/api/v1/products?category_id={category_id}&per_page=30", headers)
        return counter.count, body

    api(client, "/api/v1/me", headers)  # the token's first use records its time (one UPDATE, once)
    add(0, 3)
    few, body = statements()
    assert len(body["items"]) == 3 and body["items"][0]["net_price"] == "5.00"
    add(3, 40)
    many, body = statements()
    assert len(body["items"]) == 30 and body["has_next"] is True
    assert few == many == 4  # the token, its user (with the partner), the tier, one page with tier prices


@pytest.mark.parametrize(("query", "field"), [
    ("per_page=101", "per_page"),
    ("per_page=0", "per_page"),
    ("page=abc", "page"),
    ("page=0", "page"),
    ("category_id=xyz", "category_id"),
    ("sort=drop-table", "sort"),
    ("in_stock=maybe", "in_stock"),
    ("tier=x", "tier"),
    ("q=" + "x" * 101, "q"),
    ("colour=red", "colour"),
])
def test_a_bad_query_parameter_is_422_json_naming_the_field(client, query, field):
    error = assert_json_error(client.get(f"/api/v1/products?{query}", headers=member_of(None)), 422,
                              "Please correct the errors.")
    assert list(error["fields"]) == [field] and error["fields"][field][0]


def test_per_page_over_100_says_the_limit(client):
    error = assert_json_error(client.get("/api/v1/products?per_page=101&page=abc", headers=member_of(None)), 422)
    assert set(error["fields"]) == {"per_page", "page"}
    assert "100" in error["fields"]["per_page"][0]


def test_a_bad_query_parameter_on_one_product_is_422_json(db, client):
    item = product(db, category(db), "API-BQ-1", "Queried", 1000)
    error = assert_json_error(client.get(f"/api/v1/products/{item.id}?tier=gold", headers=member_of(None)), 422)
    assert list(error["fields"]) == ["tier"]


# --- auth and documentation -------------------------------------------------------------------

@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer pp_not-a-real-token"}],
                         ids=["no-token", "wrong-token"])
@pytest.mark.parametrize("path", ["/api/v1/products", "/api/v1/products/{id}"])
def test_products_without_a_valid_token_are_401_json(db, client, headers, path):
    item = product(db, category(db), "API-AU-1", "Secret Router", 1000)
    response = client.get(path.format(id=item.id), headers=headers)
    error = assert_json_error(response, 401, "Authorization: Bearer")
    assert "Secret Router" not in json.dumps(error)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_openapi_document_describes_both_product_paths_and_still_validates(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    validate(spec)
    listing, one = spec["paths"]["/products"]["get"], spec["paths"]["/products/{product_id}"]["get"]
    assert listing["security"] == one["security"] == [{"bearer": []}]
    assert listing["responses"]["200"]["content"]["application/json"]["schema"] == \
        {"$ref": "#/components/schemas/ProductPage"}
    assert one["responses"]["200"]["content"]["application/json"]["schema"] == \
        {"$ref": "#/components/schemas/ProductDetailOut"}
    assert {"401", "422"} <= set(listing["responses"]) and {"401", "404", "422"} <= set(one["responses"])
    params = {p["name"]: p for p in listing["parameters"]}
    assert set(params) == {"q", "category_id", "in_stock", "sort", "page", "per_page", "tier"}
    assert all(p["in"] == "query" and not p["required"] for p in params.values())
    assert params["per_page"]["schema"]["maximum"] == 100 and params["page"]["schema"]["minimum"] == 1
    assert set(params["sort"]["schema"]["enum"]) == {"name", "price", "newest"}
    assert [(p["name"], p["in"]) for p in one["parameters"]] == [("product_id", "path"), ("tier", "query")]
    item = spec["components"]["schemas"]["ProductOut"]["properties"]
    assert item["net_price"]["type"] == "string" and item["net_price_cents"]["type"] == "integer"


def test_the_docs_page_lists_the_product_endpoints(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "GET /api/v1/products</code>" in html and "GET /api/v1/products/{product_id}</code>" in html
    assert "ProductPage" in html and "ProductDetailOut" in html
