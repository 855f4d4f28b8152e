"""CSRF, security headers, cookies, htmx sign-in redirects and error pages."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from portal.core.permissions import Role
from tests import factories


@pytest.fixture
def csrf_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


def page_token(client, path: str = "/account/") -> str:
    """The CSRF token the layout puts on ``<body hx-headers>`` for htmx."""
    html = client.get(path).get_data(as_text=True)
    found = re.search(r'<body hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', html)
    assert found, html[:800]
    return found.group(1)


def profile_data(user, **changes) -> dict:
    return {"name": user.name, "locale": "", "timezone": user.timezone, **changes}


def set_cookie(response, name: str) -> str:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(name + "="):
            return header
    raise AssertionError(f"no {name} cookie in {response.headers.getlist('Set-Cookie')}")


# --- CSRF ------------------------------------------------------------------------------------

def test_post_without_csrf_token_is_400_and_changes_nothing(client, db, csrf_on):
    user = factories.vendor(name="Before")
    db.session.commit()
    login_with_token(client, user)
    response = client.post("/account/", data=profile_data(user, name="After"))
    assert response.status_code == 400
    assert "Your form expired or came from another site." in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.name == "Before"


def test_post_with_a_wrong_csrf_token_is_400(client, db, csrf_on):
    user = factories.vendor(name="Before")
    db.session.commit()
    login_with_token(client, user)
    response = client.post("/account/", data=profile_data(user, name="After"),
                           headers={"X-CSRFToken": "forged-token"})
    assert response.status_code == 400
    db.session.refresh(user)
    assert user.name == "Before"


def test_htmx_post_with_the_token_in_the_header_is_accepted(client, db, csrf_on):
    user = factories.vendor(name="Before")
    db.session.commit()
    login_with_token(client, user)
    token = page_token(client)
    response = client.post("/account/", data=profile_data(user, name="After"),
                           headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 200
    assert json.loads(response.headers["HX-Location"])["path"] == "/account/"
    db.session.refresh(user)
    assert user.name == "After"


def test_plain_form_post_with_the_token_field_is_accepted(client, db, csrf_on):
    user = factories.vendor(name="Before")
    db.session.commit()
    login_with_token(client, user)
    html = client.get("/account/").get_data(as_text=True)
    token = re.search(r'<form id="profile-form".*?name="csrf_token" type="hidden" value="([^"]+)"', html, re.S)
    assert token, html
    response = client.post("/account/", data=profile_data(user, name="After", csrf_token=token.group(1)))
    assert response.status_code == 303
    db.session.refresh(user)
    assert user.name == "After"


def test_sign_in_without_csrf_token_is_400_and_does_not_sign_in(client, csrf_on):
    user = factories.vendor()
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_sign_out_without_csrf_token_is_400_and_keeps_the_session(client, db, csrf_on):
    user = factories.vendor()
    db.session.commit()
    login_with_token(client, user)
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200


def test_language_switch_without_csrf_token_is_400(client, csrf_on):
    response = client.post("/language", data={"locale": "zh_Hans"})
    assert response.status_code == 400
    assert '<html lang="en"' in client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)


def login_with_token(client, user) -> None:
    """Sign in through the real form, CSRF token included."""
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]


# --- security headers ------------------------------------------------------------------------

def csp_directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    directives = {}
    for part in policy.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_security_headers(response) -> None:
    csp = csp_directives(response)
    script_src = csp.get("script-src", csp.get("default-src"))
    assert script_src == ["'self'"], csp
    assert "'unsafe-inline'" not in csp["default-src"] and "'unsafe-eval'" not in csp["default-src"]
    assert "'unsafe-inline'" not in csp.get("style-src", [])
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in {"strict-origin-when-cross-origin", "same-origin", "no-referrer"}


def test_security_headers_on_pages_errors_static_files_and_json(client, login, db):
    user = factories.partner_user()
    db.session.commit()  # error pages roll the session back
    anonymous = [
        client.get("/login"),
        client.post("/login", data={"email": "x@example.test", "password": "wrong-wrong"}),  # 422
        client.get("/no-such-page"),  # 404
        static_file(client, "/static/css/portal.css"),
        client.get("/healthz"),
        client.get("/api/v1/me"),  # 401 JSON
        client.get("/account/", headers={"HX-Request": "true"}),  # 401 for htmx
    ]
    assert [r.status_code for r in anonymous] == [200, 422, 404, 200, 200, 401, 401]
    login(user)
    signed_in = [client.get("/"), client.get("/partners/"), client.get("/account/")]
    assert [r.status_code for r in signed_in] == [200, 403, 200]
    for response in anonymous + signed_in:
        assert_security_headers(response)


def static_file(client, path: str):
    response = client.get(path)
    response.close()  # a file response is streamed: close it, or the open file warns
    return response


def test_signed_in_pages_are_not_cached(client, login):
    login(factories.vendor())
    assert "no-store" in client.get("/account/").headers["Cache-Control"]


PAGES_BY_ROLE = {
    Role.ADMIN: ["/", "/account/", "/users/", "/users/invite", "/partners/", "/partners/new"],
    Role.PARTNER_ADMIN: ["/", "/users/", "/users/invite"],
}


@pytest.mark.parametrize("role", list(PAGES_BY_ROLE))
def test_pages_have_no_inline_script_style_or_event_handler(client, login, role):
    partner = factories.PartnerFactory()
    user = factories.vendor() if role == Role.ADMIN else factories.partner_user(partner, role)
    factories.partner_user(partner)
    login(user)
    for path in PAGES_BY_ROLE[role]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_no_inline_code(response.get_data(as_text=True), path)


def test_public_pages_have_no_inline_script_or_style(client):
    for path in ["/login", "/forgot", "/reset/no-such-link"]:
        assert_no_inline_code(client.get(path).get_data(as_text=True), path)


def assert_no_inline_code(html: str, where: str) -> None:
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts, where
    assert all(" src=" in tag for tag in scripts), (where, scripts)
    assert not re.search(r"<script\b[^>]*>(?!</script>)", html), where
    assert not re.search(r"<[^>]+\sstyle\s*=", html), where
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", html), where
    assert "hx-on" not in html and "javascript:" not in html, where
    assert '"allowEval": false' in html and '"includeIndicatorStyles": false' in html, where


# --- cookies ---------------------------------------------------------------------------------

def test_session_cookie_is_httponly_and_samesite_lax(client):
    user = factories.vendor()
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    cookie = set_cookie(response, "session")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_cookies_are_secure_when_secure_cookies_are_on(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    monkeypatch.setitem(app.config, "REMEMBER_COOKIE_SECURE", True)
    user = factories.vendor()
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD, "remember": "y"})
    assert response.status_code == 303
    for name in ("session", "remember_token"):
        cookie = set_cookie(response, name)
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie, cookie


def test_cookies_are_secure_by_default_outside_debug(tmp_path, monkeypatch):
    from portal import config

    for name in ("PORTAL_DEBUG", "SECURE_COOKIES", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    settings = config.load(str(tmp_path))
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["REMEMBER_COOKIE_SECURE"] is True
    assert settings["SESSION_COOKIE_HTTPONLY"] is True
    assert settings["SESSION_COOKIE_SAMESITE"] == "Lax"

    monkeypatch.setenv("PORTAL_DEBUG", "1")
    assert config.load(str(tmp_path))["SESSION_COOKIE_SECURE"] is False


def test_passwords_are_stored_as_argon2id_hashes(client, login, db, outbox, run_jobs):
    admin = factories.vendor()
    login(admin)
    client.post("/users/invite", data={"email": "hash@example.test", "name": "Hash", "role": "trainer",
                                       "partner_id": ""})
    run_jobs()
    text = outbox()[0].get_body(("plain",)).get_content()
    link = re.search(r"http://portal\.test(/invitation/[\w-]+)", text).group(1)
    client.post("/logout")
    client.post(link, data={"password": "a secret phrase here", "confirm": "a secret phrase here"})
    from portal.accounts.service import find_by_email

    user = find_by_email("hash@example.test")
    assert user.password_hash.startswith("$argon2id$")
    assert "a secret phrase here" not in user.password_hash


# --- htmx and errors -------------------------------------------------------------------------

def test_htmx_request_when_signed_out_is_401_with_hx_redirect_to_login(client):
    response = client.get("/account/?tab=tokens", headers={"HX-Request": "true"})
    assert response.status_code == 401
    target = urlsplit(response.headers["HX-Redirect"])
    assert target.path == "/login"
    assert parse_qs(target.query) == {"next": ["/account/?tab=tokens"]}


def test_htmx_action_when_signed_out_returns_to_the_page_the_user_was_on(client):
    response = client.post("/users/1/deactivate", headers={
        "HX-Request": "true", "HX-Current-URL": "http://localhost/users/?q=ann"})
    assert response.status_code == 401
    target = urlsplit(response.headers["HX-Redirect"])
    assert target.path == "/login"
    assert parse_qs(target.query) == {"next": ["/users/?q=ann"]}


def test_htmx_current_url_of_another_site_is_not_used_as_next(client):
    response = client.get("/account/", headers={"HX-Request": "true", "HX-Current-URL": "https://evil.test/x"})
    assert response.status_code == 401
    assert parse_qs(urlsplit(response.headers["HX-Redirect"]).query) == {"next": ["/account/"]}


def test_api_request_when_signed_out_is_401_json(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json["error"]["status"] == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_404_page_fits_the_layout(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert html.startswith("<!doctype html>")
    assert '<main id="main"' in html
    assert 'data-status="404"' in html and "Not found" in html


def test_404_for_htmx_is_a_fragment_for_the_toast_region(client):
    response = client.get("/no-such-page", headers={"HX-Request": "true"})
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "<html" not in html and "<main" not in html
    assert 'data-status="404"' in html
    assert response.headers["HX-Retarget"] == "#toasts"


def test_403_page_fits_the_layout(client, login, db):
    user = factories.partner_user()
    db.session.commit()  # error pages roll the session back
    login(user)
    response = client.get("/partners/")
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert html.startswith("<!doctype html>") and '<main id="main"' in html
    assert 'data-status="403"' in html and "Not allowed" in html


def test_403_for_htmx_is_a_fragment(client, login, db):
    user = factories.partner_user()
    db.session.commit()
    login(user)
    response = client.get("/partners/", headers={"HX-Request": "true"})
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert "<html" not in html
    assert 'data-status="403"' in html
    assert "You do not have permission to do that." in html


def test_boosted_navigation_gets_the_whole_error_page(client):
    response = client.get("/no-such-page", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert response.status_code == 404
    assert "<html" in response.get_data(as_text=True)


def test_wrong_method_is_405_page(client):
    response = client.get("/logout")
    assert response.status_code == 405
    assert 'data-status="405"' in response.get_data(as_text=True)
