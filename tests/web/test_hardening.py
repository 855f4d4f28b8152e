"""Smaller holes closed: a deactivated person's API tokens are revoked for good, API answers are never stored
by a cache, and behind a TLS proxy the sign-in limits see each client's own address (TRUSTED_PROXIES)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.accounts import service as accounts
from portal.accounts.models import ApiToken
from portal.core.audit import AuditEntry
from portal.core.permissions import Role
from tests import factories
from tests.web.test_api import bearer

EN = {"Accept-Language": "en"}


# --- deactivation revokes API tokens --------------------------------------------------------------------------

@pytest.mark.pg
def test_deactivating_a_user_revokes_their_tokens_and_reactivating_does_not_bring_them_back(db, client, login):
    partner = factories.PartnerFactory()
    colleague = factories.partner_user(partner)
    _row, secret = accounts.create_api_token(colleague, "ERP")
    _other, other_secret = accounts.create_api_token(colleague, "CRM")
    db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    login(factories.partner_user(partner, Role.PARTNER_ADMIN))
    assert client.post(f"/users/{colleague.id}/deactivate").status_code == 303
    assert client.post(f"/users/{colleague.id}/reactivate").status_code == 303
    for used in (secret, other_secret):
        assert client.get("/api/v1/me", headers=bearer(used)).status_code == 401
    db.session.expire_all()
    assert all(db.session.scalars(select(ApiToken.revoked_at).where(ApiToken.user_id == colleague.id)))
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.deactivated"))
    assert entry.after["api_tokens_revoked"] == 2


@pytest.mark.pg
def test_a_token_made_after_reactivation_works(db, client, login):
    admin = factories.vendor()
    colleague = factories.partner_user()
    accounts.create_api_token(colleague, "old")
    db.session.commit()
    login(admin)
    client.post(f"/users/{colleague.id}/deactivate")
    client.post(f"/users/{colleague.id}/reactivate")
    _row, fresh = accounts.create_api_token(colleague, "new")
    db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(fresh)).status_code == 200


# --- API answers are not stored -------------------------------------------------------------------------------

def test_api_answers_are_never_stored_by_a_cache(db, client):
    user = factories.partner_user()
    _row, secret = accounts.create_api_token(user, "ERP")
    db.session.commit()
    answers = [client.get("/api/v1/me", headers=bearer(secret)),
               client.get("/api/v1/products", headers=bearer(secret)),
               client.get("/api/v1/orders/99999", headers=bearer(secret)),  # 404
               client.get("/api/v1/me"),  # 401
               client.get("/api/v1/no-such-thing"),  # no route
               client.get("/api/v1/openapi.json")]
    assert [a.status_code for a in answers] == [200, 200, 404, 401, 404, 200]
    assert [a.headers.get("Cache-Control") for a in answers] == ["no-store"] * len(answers)


# --- TRUSTED_PROXIES ------------------------------------------------------------------------------------------

def _app_with(app, **config):
    """The test app's settings (same database, Redis, secret) with ``config``, as create_app builds them."""
    from portal import create_app

    same = ("SQLALCHEMY_DATABASE_URI", "REDIS_URL", "RATELIMIT_STORAGE_URI", "OUTBOX_DIR", "SECRET_KEY",
            "BASE_URL", "TESTING", "WTF_CSRF_ENABLED", "PROPAGATE_EXCEPTIONS", "SESSION_COOKIE_SECURE")
    return create_app({key: app.config[key] for key in same} | config)


def failed_sign_in(client, address: str):
    return client.post("/login", data={"email": "nobody@example.test", "password": "wrong password"},
                       headers={"X-Forwarded-For": address, "X-Forwarded-Proto": "https"} | EN)


def test_behind_one_trusted_proxy_each_client_has_its_own_sign_in_limit(app, db):
    proxied = _app_with(app, TRUSTED_PROXIES=1, LOGIN_LIMIT_PER_IP="2 per 15 minutes")
    client = proxied.test_client()
    assert [failed_sign_in(client, "203.0.113.5").status_code for _ in range(3)] == [422, 422, 429]
    assert failed_sign_in(client, "198.51.100.7").status_code == 422  # another client behind the same proxy
    with proxied.app_context():
        db.engine.dispose()


def test_without_trusted_proxies_a_forwarded_address_is_ignored(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_IP", "2 per 15 minutes")
    client = app.test_client()
    assert app.config["TRUSTED_PROXIES"] == 0  # the default
    assert [failed_sign_in(client, address).status_code for address in ("203.0.113.5", "198.51.100.7")] == [
        422, 422]
    assert failed_sign_in(client, "192.0.2.99").status_code == 429  # a made-up header does not escape the limit


def test_trusted_proxies_count_their_forwarded_address_and_scheme(app, db):
    from werkzeug.middleware.proxy_fix import ProxyFix

    proxied = _app_with(app, TRUSTED_PROXIES=2)
    assert isinstance(proxied.wsgi_app, ProxyFix)
    assert (proxied.wsgi_app.x_for, proxied.wsgi_app.x_proto, proxied.wsgi_app.x_host) == (2, 2, 0)
    assert not isinstance(app.wsgi_app, ProxyFix)
    with proxied.app_context():
        db.engine.dispose()
