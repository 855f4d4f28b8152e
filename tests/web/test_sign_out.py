"""Signing out ends the sign-in on the server: its session and remember-me cookies replayed afterwards open
nothing. Each sign-in is its own row (user_sessions); sessions end after an idle time and an absolute
lifetime; "sign out everywhere" ends all of them; the CSRF secret is new after signing in and out."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from itsdangerous import timed
from sqlalchemy import func, select, update

from portal.accounts.models import UserSession
from portal.accounts.service import load_session_user
from portal.core.time import utcnow
from portal.orders.models import CartLine
from tests import factories
from tests.web.test_cart import product
from tests.web.test_security import page_token


def _sign_in(client, user, remember: bool = False):
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD,
                                           "remember": "y" if remember else ""})
    assert response.status_code == 303
    return response


def _cookie(client, name: str) -> str:
    found = client.get_cookie(name)
    assert found is not None, name
    return found.value


def _goes_to_login(response) -> bool:
    return response.status_code in (302, 401) and "/login" in response.headers.get("Location", "/login")


def _cart_lines(db, user) -> int:
    return db.session.scalar(select(func.count()).select_from(CartLine).where(CartLine.user_id == user.id))


@pytest.mark.pg
def test_a_replayed_session_cookie_opens_nothing_after_sign_out(app, client, db):
    ben = factories.partner_user(factories.PartnerFactory())
    item = product(db, "SIGNOUT-1", 1000)
    db.session.commit()
    _sign_in(client, ben)
    assert client.get("/account/").status_code == 200
    saved = _cookie(client, "session")
    assert client.post("/logout").status_code == 303

    attacker = app.test_client()
    attacker.set_cookie("session", saved)
    assert _goes_to_login(attacker.get("/account/"))
    assert _goes_to_login(attacker.post("/cart/add", data={"product_id": item.id, "quantity": "3"}))
    assert _cart_lines(db, ben) == 0


@pytest.mark.pg
def test_a_replayed_remember_me_cookie_opens_nothing_after_sign_out(app, client, db):
    user = factories.vendor()
    db.session.commit()
    _sign_in(client, user, remember=True)
    saved = _cookie(client, "remember_token")
    response = client.post("/logout")
    assert any(h.startswith("remember_token=;") for h in response.headers.getlist("Set-Cookie"))

    attacker = app.test_client()
    attacker.set_cookie("remember_token", saved)
    assert _goes_to_login(attacker.get("/account/"))


def test_signing_out_in_one_browser_leaves_the_others_signed_in(app, client, db):
    user = factories.vendor()
    db.session.commit()
    other = app.test_client()
    _sign_in(client, user)
    _sign_in(other, user)
    client.post("/logout")
    assert _goes_to_login(client.get("/account/"))
    assert other.get("/account/").status_code == 200


def test_sign_out_everywhere_ends_every_sign_in_including_this_one(app, client, db):
    user = factories.vendor()
    db.session.commit()
    phone, laptop = app.test_client(), app.test_client()
    _sign_in(client, user)
    _sign_in(phone, user, remember=True)
    _sign_in(laptop, user)
    page = client.get("/account/").get_data(as_text=True)
    assert "Where you are signed in" in page and page.count("<tr>") >= 3
    response = client.post("/account/sign-out-everywhere")
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    for browser in (client, phone, laptop):
        assert _goes_to_login(browser.get("/account/"))
    assert db.session.scalar(select(func.count()).select_from(UserSession).where(
        UserSession.user_id == user.id)) == 0
    assert "You are signed out on every device." in client.get("/login").get_data(as_text=True)


def test_the_profile_lists_this_browser_among_the_sign_ins(client, db):
    user = factories.vendor()
    db.session.commit()
    client.post("/login", data={"email": user.email, "password": factories.PASSWORD},
                headers={"User-Agent": "Firefox/140 on Linux"})
    page = client.get("/account/").get_data(as_text=True)
    assert re.search(r"Firefox/140 on Linux\s*<strong>\(this browser\)</strong>", page)


def test_a_session_idle_longer_than_the_idle_limit_has_ended(app, client, db, monkeypatch):
    user = factories.vendor()
    db.session.commit()
    _sign_in(client, user)
    assert client.get("/account/").status_code == 200
    idle = app.permanent_session_lifetime.total_seconds()
    now = timed.time.time()
    monkeypatch.setattr(timed.time, "time", lambda: now + idle - 60)
    assert client.get("/account/").status_code == 200  # each request starts the idle time again
    monkeypatch.setattr(timed.time, "time", lambda: now + 2 * idle - 90)
    assert client.get("/account/").status_code == 200
    monkeypatch.setattr(timed.time, "time", lambda: now + 3 * idle)
    assert _goes_to_login(client.get("/account/"))


def test_a_session_ends_at_its_absolute_lifetime_however_active(app, client, db):
    user = factories.vendor()
    db.session.commit()
    _sign_in(client, user)
    row = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert row.expires_at - row.created_at == app.config["SESSION_MAX_AGE"]
    db.session.execute(update(UserSession).where(UserSession.id == row.id).values(
        expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert _goes_to_login(client.get("/account/"))


def test_remember_me_lasts_the_remember_days_and_no_longer(app, client, db):
    user = factories.vendor()
    db.session.commit()
    _sign_in(client, user, remember=True)
    row = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert row.remember and row.expires_at - row.created_at == app.config["REMEMBER_COOKIE_DURATION"]
    client.delete_cookie("session")
    assert client.get("/account/").status_code == 200  # the remember-me cookie signs in again
    db.session.execute(update(UserSession).where(UserSession.id == row.id).values(
        expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    client.delete_cookie("session")
    assert _goes_to_login(client.get("/account/"))


def test_lifetimes_are_settings_with_sensible_defaults(app):
    from portal import config

    defaults = config.load(app.instance_path)
    assert defaults["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=2)
    assert defaults["SESSION_MAX_AGE"] == timedelta(hours=12)
    assert defaults["REMEMBER_COOKIE_DURATION"] == timedelta(days=14)


def test_lifetimes_follow_the_environment(app, monkeypatch):
    from portal import config

    monkeypatch.setenv("SESSION_IDLE_MINUTES", "15")
    monkeypatch.setenv("SESSION_MAX_HOURS", "8")
    monkeypatch.setenv("REMEMBER_DAYS", "3")
    loaded = config.load(app.instance_path)
    assert loaded["PERMANENT_SESSION_LIFETIME"] == timedelta(minutes=15)
    assert loaded["SESSION_MAX_AGE"] == timedelta(hours=8)
    assert loaded["REMEMBER_COOKIE_DURATION"] == timedelta(days=3)


def test_a_tampered_session_cookie_is_refused(client, db):
    user = factories.vendor()
    db.session.commit()
    _sign_in(client, user)
    value = _cookie(client, "session")
    payload, _sep, signature = value.rpartition(".")
    client.set_cookie("session", payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:])
    assert _goes_to_login(client.get("/account/"))


def test_the_csrf_token_is_new_after_signing_in_and_after_signing_out(app, db):
    user = factories.vendor()
    db.session.commit()
    client = app.test_client()
    before = page_token(client, "/login")
    _sign_in(client, user)
    signed_in = page_token(client, "/account/")
    client.post("/logout")
    after = page_token(client, "/login")
    assert len({before, signed_in, after}) == 3
    with app.test_request_context():
        from itsdangerous import URLSafeTimedSerializer

        raw = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token")
        assert len({raw.loads(t) for t in (before, signed_in, after)}) == 3


@pytest.mark.pg
def test_a_stale_or_wrong_sign_in_loads_no_one(app, db):
    user = factories.vendor()
    terminated = factories.PartnerFactory(name="Gone Ltd", status="terminated")
    former = factories.partner_user(terminated)
    db.session.commit()
    with app.test_request_context("/"):
        from portal.accounts.service import start_session

        start_session(former, remember=False)
        start_session(user, remember=False)
        assert load_session_user(f"{user.id}:not-the-secret") is None
        assert load_session_user("x:y") is None
        assert load_session_user(f"{'9' * 40}:{user.sign_in_token}") is None
        assert load_session_user(f"{user.id + 10_000}:{user.sign_in_token}") is None
        assert load_session_user(former.get_id()) is None  # partner terminated
        assert load_session_user(user.get_id()).id == user.id
