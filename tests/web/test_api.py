"""The /api/v1 base: bearer tokens, JSON errors, the OpenAPI document and its docs page."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from portal.accounts import service as accounts
from portal.core.permissions import Role
from tests import factories


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def assert_json_error(response, status: int, message: str = "") -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["status"] == status
    assert message in error["message"] and error["message"]
    return error


@pytest.fixture
def anna():
    partner = factories.PartnerFactory(name="Northwind Test Trading")
    return factories.partner_user(partner, role=Role.PARTNER_ADMIN, name="Anna Admin", email="anna@northwind.test",
                                  timezone="Europe/Berlin")


@pytest.fixture
def token(anna):
    _row, secret = accounts.create_api_token(anna, "ERP sync")
    return secret


def test_me_with_a_bearer_token_answers_the_tokens_user(client, anna, token):
    response = client.get("/api/v1/me", headers=bearer(token))
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["id"] == anna.id
    assert (body["email"], body["name"], body["role"], body["timezone"]) == (
        "anna@northwind.test", "Anna Admin", "partner_admin", "Europe/Berlin")
    assert body["partner"]["name"] == "Northwind Test Trading"
    assert "manage_users" in body["permissions"] and "manage_partners" not in body["permissions"]


def test_a_token_is_stored_only_as_a_hash(db, anna, token):
    from portal.accounts.models import ApiToken

    row = db.session.query(ApiToken).filter_by(user_id=anna.id).one()
    assert token not in (row.token_hash, row.prefix) and len(row.token_hash) == 64


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer pp_not-a-real-token"},
    {"Authorization": "Bearer "},
    {"Authorization": "Basic YW5uYTpwYXNzd29yZA=="},
], ids=["no-token", "wrong-token", "empty-token", "basic-auth"])
def test_me_without_a_valid_token_is_401_json(client, token, headers):
    response = client.get("/api/v1/me", headers=headers)
    assert_json_error(response, 401, "Authorization: Bearer")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_is_401(client, db, anna, token):
    row = accounts.api_tokens(anna)[0]
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    accounts.revoke_api_token(anna, row.id)
    db.session.commit()
    assert_json_error(client.get("/api/v1/me", headers=bearer(token)), 401)


def test_a_deactivated_users_token_is_401(client, db, anna, token):
    admin = factories.vendor()
    accounts.set_active(admin, anna.id, False)
    db.session.commit()
    assert_json_error(client.get("/api/v1/me", headers=bearer(token)), 401)


def test_the_session_cookie_alone_does_not_open_the_api(client, login, anna, token):
    login(anna)
    assert client.get("/").status_code == 200  # signed in on the web
    assert_json_error(client.get("/api/v1/me"), 401)


def test_an_unknown_api_address_is_404_json(client, token):
    assert_json_error(client.get("/api/v1/xyz", headers=bearer(token)), 404)
    assert_json_error(client.get("/api/v1/xyz"), 404)


def test_a_wrong_method_is_405_json(client, token):
    assert_json_error(client.delete("/api/v1/me", headers=bearer(token)), 405)


def test_changing_my_settings_takes_a_validated_json_body(client, db, anna, token):
    response = client.patch("/api/v1/me", headers=bearer(token),
                            json={"locale": "zh_Hans", "timezone": "Asia/Shanghai"})
    assert response.status_code == 200
    assert (response.get_json()["locale"], response.get_json()["timezone"]) == ("zh_Hans", "Asia/Shanghai")
    db.session.expire_all()
    assert (anna.name, anna.locale, anna.timezone) == ("Anna Admin", "zh_Hans", "Asia/Shanghai")


def test_a_body_breaking_the_schema_is_422_with_field_messages_and_changes_nothing(client, db, anna, token):
    response = client.patch("/api/v1/me", headers=bearer(token), json={"name": "x" * 121, "colour": "red"})
    error = assert_json_error(response, 422)
    assert set(error["fields"]) == {"name", "colour"}
    assert "120" in error["fields"]["name"][0]
    db.session.expire_all()
    assert anna.name == "Anna Admin"


def test_a_body_breaking_a_service_rule_is_422_with_the_services_field_messages(client, db, anna, token):
    response = client.patch("/api/v1/me", headers=bearer(token), json={"timezone": "Mars/Olympus_Mons"})
    error = assert_json_error(response, 422, "Please correct the errors.")
    assert error["fields"] == {"timezone": ["Choose a time zone from the list."]}
    db.session.expire_all()
    assert anna.timezone == "Europe/Berlin"


def test_a_request_without_a_json_body_is_400_json(client, token):
    response = client.patch("/api/v1/me", headers=bearer(token), data="name=x",
                            content_type="application/x-www-form-urlencoded")
    assert_json_error(response, 400, "JSON")


def test_a_state_changing_api_call_needs_no_csrf_token(app, client, db, anna, token):
    db.session.commit()  # the refused web request rolls back what is not committed
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        web = client.post("/notifications/read-all")  # the web still wants its token ...
        api = client.patch("/api/v1/me", headers=bearer(token), json={"name": "Anna B."})  # ... the API does not
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert web.status_code == 400
    assert api.status_code == 200, api.get_data(as_text=True)
    db.session.expire_all()
    assert anna.name == "Anna B."


def test_the_openapi_document_is_valid_and_describes_me(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    validate(spec)
    assert spec["openapi"].startswith("3.")
    assert set(spec["paths"]["/me"]) == {"get", "patch"}
    me = spec["paths"]["/me"]["get"]
    assert me["security"] == [{"bearer": []}]
    assert me["responses"]["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/MeOut"}
    assert {"MeOut", "PartnerRef", "MeUpdate", "ErrorOut"} <= set(spec["components"]["schemas"])
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}


def test_the_docs_page_lists_the_endpoints(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "GET /api/v1/me" in html and "PATCH /api/v1/me" in html
    assert 'href="/api/v1/openapi.json"' in html
