"""core/sessions.py: a remembered session cookie still expires, is still checked for tampering, and a
request that changes its session never changes what the next request with the same cookie gets;
the reused CSRF token is accepted and renewed after its window."""

from __future__ import annotations

import re
import time

from flask import request, session

from portal.core import sessions
from tests import factories
from tests.web.test_security import page_token


def _cookie(client) -> str:
    return client.get_cookie("session").value


def test_the_portal_uses_the_remembering_interface(app):
    assert isinstance(app.session_interface, sessions.CookieSessionInterface)


def test_a_remembered_cookie_still_expires(app, client, login, monkeypatch):
    login(factories.partner_user())
    assert client.get("/account/").status_code == 200  # the layout adds the CSRF secret: a new cookie
    value = _cookie(client)
    assert client.get("/account/").status_code == 200 and _cookie(client) == value  # now remembered
    lifetime = app.permanent_session_lifetime.total_seconds()
    real_time = time.time
    monkeypatch.setattr(sessions.time, "time", lambda: real_time() + lifetime + 60)
    response = client.get("/account/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_tampered_cookie_is_refused(app, client, login):
    login(factories.partner_user())
    assert client.get("/account/").status_code == 200
    value = _cookie(client)
    assert client.get("/account/").status_code == 200 and _cookie(client) == value  # remembered
    payload, _sep, signature = value.rpartition(".")
    forged = payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    client.set_cookie("session", forged)
    response = client.get("/account/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_changes_to_one_request_s_session_do_not_leak_into_the_next(app):
    interface = app.session_interface
    with app.test_request_context("/"):
        session["flashes"] = ["one"]
        value = interface.get_signing_serializer(app).dumps(dict(session))
    with app.test_request_context("/", headers={"Cookie": f"session={value}"}):
        first = interface.open_session(app, request)
        first["flashes"].append("two")  # what flash() does to the list in place
        first["extra"] = True
    with app.test_request_context("/", headers={"Cookie": f"session={value}"}):
        second = interface.open_session(app, request)
    assert second["flashes"] == ["one"] and "extra" not in second


def test_the_signed_csrf_token_is_reused_and_accepted(app, client, login, monkeypatch):
    login(factories.partner_user())
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    first = page_token(client)
    real_time = time.time
    monkeypatch.setattr(sessions.time, "time", lambda: real_time() + 30)  # signed again, it would differ
    second = page_token(client)
    assert first == second  # signed once, not on every page
    response = client.post("/notifications/read-all", headers={"X-CSRFToken": second, "HX-Request": "true"})
    assert response.status_code < 400, response.get_data(as_text=True)[:300]


def test_the_csrf_token_is_signed_again_after_the_reuse_window(app, client, login, monkeypatch):
    login(factories.partner_user())
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    first = page_token(client)
    real_time = time.time
    monkeypatch.setattr(sessions.time, "time", lambda: real_time() + sessions.CSRF_REUSE_SECONDS + 5)
    later = page_token(client)
    assert later != first
    assert re.fullmatch(r"[\w.-]+", later)
    response = client.post("/notifications/read-all", headers={"X-CSRFToken": later, "HX-Request": "true"})
    assert response.status_code < 400
