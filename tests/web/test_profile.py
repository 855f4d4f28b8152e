"""The profile page: name, language, time zone, password, API tokens; the language switcher."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.accounts.models import ApiToken
from tests import factories

NEW_PASSWORD = "a much better passphrase"


@pytest.fixture
def me(login, db):
    user = factories.vendor(name="Pat Profile")
    db.session.commit()  # an error page rolls the session back: keep the signed-in user
    login(user)
    return user


def html_lang(response) -> str:
    found = re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True))
    assert found, response.get_data(as_text=True)[:300]
    return found.group(1)


def profile(user, **changes) -> dict:
    return {"name": user.name, "locale": user.locale or "", "timezone": user.timezone, **changes}


def change_password(client, current: str, new: str, confirm: str | None = None, **headers):
    return client.post("/account/password", headers=headers, data={
        "current_password": current, "new_password": new, "confirm": new if confirm is None else confirm})


def sign_in(client, user, password: str = factories.PASSWORD):
    return client.post("/login", data={"email": user.email, "password": password})


# --- name, language, time zone ---------------------------------------------------------------

def test_profile_saves_name_language_and_time_zone(client, db, me):
    response = client.post("/account/", data=profile(me, name="Pat Renamed", locale="zh_Hant",
                                                     timezone="Asia/Taipei"))
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/"
    db.session.refresh(me)
    assert (me.name, me.locale, me.timezone) == ("Pat Renamed", "zh_Hant", "Asia/Taipei")
    page = client.get("/account/", headers={"Accept-Language": "en"})
    assert html_lang(page) == "zh-Hant"
    assert "Pat Renamed" in page.get_data(as_text=True)
    assert re.search(r'<option selected value="Asia/Taipei">', page.get_data(as_text=True))


def test_choosing_browser_language_clears_the_saved_language(client, db, me):
    client.post("/account/", data=profile(me, locale="zh_Hans"))
    client.post("/account/", data=profile(me, locale=""))
    db.session.refresh(me)
    assert me.locale is None
    assert html_lang(client.get("/", headers={"Accept-Language": "zh-TW"})) == "zh-Hant"


def test_unknown_time_zone_is_422_next_to_the_field(client, db, me):
    response = client.post("/account/", data=profile(me, timezone="Mars/Olympus_Mons"))
    assert response.status_code == 422
    assert 'id="timezone-error">Choose a time zone from the list.' in response.get_data(as_text=True)
    db.session.refresh(me)
    assert me.timezone == "UTC"


def test_unknown_language_and_empty_name_are_422(client, db, me):
    response = client.post("/account/", data=profile(me, locale="klingon"))
    assert response.status_code == 422
    assert 'id="locale-error">Choose one of the offered languages.' in response.get_data(as_text=True)
    nameless = client.post("/account/", data=profile(me, name="  "))
    assert nameless.status_code == 422
    assert 'id="name-error">' in nameless.get_data(as_text=True)
    db.session.refresh(me)
    assert (me.name, me.locale) == ("Pat Profile", None)


def test_htmx_profile_errors_answer_the_form_fragment(client, me):
    response = client.post("/account/", data=profile(me, timezone="Nowhere"), headers={"HX-Request": "true"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<form id="profile-form"')
    assert "Choose a time zone from the list." in html


# --- password --------------------------------------------------------------------------------

def test_password_change_needs_the_current_password(client, db, me):
    old_hash = me.password_hash
    response = change_password(client, "not-my-password", NEW_PASSWORD)
    assert response.status_code == 422
    assert ('id="current_password-error">Your current password is not correct.'
            in response.get_data(as_text=True))
    db.session.refresh(me)
    assert me.password_hash == old_hash


def test_weak_or_mismatched_new_password_is_422_and_changes_nothing(client, db, me):
    old_hash = me.password_hash
    short = change_password(client, factories.PASSWORD, "short")
    assert short.status_code == 422
    assert 'id="new_password-error">Use at least 10 characters.' in short.get_data(as_text=True)
    mismatch = change_password(client, factories.PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "?")
    assert mismatch.status_code == 422
    assert "The two passwords do not match." in mismatch.get_data(as_text=True)
    db.session.refresh(me)
    assert me.password_hash == old_hash


def test_password_change_signs_out_other_sessions_but_keeps_this_one(app, client, db, me):
    elsewhere = app.test_client()
    assert sign_in(elsewhere, me).status_code == 303
    assert elsewhere.get("/").status_code == 200

    response = change_password(client, factories.PASSWORD, NEW_PASSWORD)
    assert response.status_code == 303
    page = client.get("/account/")
    assert page.status_code == 200
    assert "Your password is changed. Other sessions were signed out." in page.get_data(as_text=True)
    assert client.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302

    assert sign_in(app.test_client(), me).status_code == 422
    assert sign_in(app.test_client(), me, NEW_PASSWORD).status_code == 303


def test_password_change_keeps_remember_me_working(app, db):
    user = factories.vendor()
    db.session.commit()
    browser = app.test_client()
    browser.post("/login", data={"email": user.email, "password": factories.PASSWORD, "remember": "y"})
    assert change_password(browser, factories.PASSWORD, NEW_PASSWORD).status_code == 303
    browser.delete_cookie("session")  # the browser was closed; the remember cookie stays
    assert browser.get("/").status_code == 200


def test_htmx_password_errors_answer_the_form_fragment(client, me):
    response = change_password(client, "wrong-wrong-wrong", NEW_PASSWORD, **{"HX-Request": "true"})
    assert response.status_code == 422
    assert response.get_data(as_text=True).lstrip().startswith('<form id="password-form"')


# --- API tokens ------------------------------------------------------------------------------

def create_token(client, name: str = "ERP sync", **headers):
    response = client.post("/account/tokens", data={"name": name}, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)[:500]
    found = re.search(r'id="new-token-secret">(pp_[\w-]+)<', response.get_data(as_text=True))
    assert found
    return response, found.group(1)


def test_new_api_token_is_shown_once(client, db, me):
    _response, secret = create_token(client)
    later = client.get("/account/").get_data(as_text=True)
    assert secret not in later
    assert "ERP sync" in later and secret[:10] in later
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == me.id))
    assert token.token_hash != secret and secret not in token.token_hash


def test_api_token_works_until_revoked(client, db, me):
    _response, secret = create_token(client)
    api = client.application.test_client()
    me_json = api.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me_json.status_code == 200
    assert me_json.json["email"] == me.email

    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == me.id))
    response = client.post(f"/account/tokens/{token.id}/revoke")
    assert response.status_code == 303
    assert "The token is revoked." in client.get("/account/").get_data(as_text=True)
    db.session.refresh(token)
    assert token.revoked_at is not None
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_another_users_token_cannot_be_revoked(app, client, db, me):
    other = factories.vendor(role="trainer")
    db.session.commit()
    other_client = app.test_client()
    sign_in(other_client, other)
    _response, secret = create_token(other_client, "Theirs")
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == other.id))

    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 404
    db.session.refresh(token)
    assert token.revoked_at is None
    assert "Theirs" not in client.get("/account/").get_data(as_text=True)
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200


def test_token_needs_a_name(client, db, me):
    response = client.post("/account/tokens", data={"name": ""})
    assert response.status_code == 422
    assert 'id="name-error">' in response.get_data(as_text=True)
    assert db.session.scalar(select(ApiToken)) is None


def test_htmx_token_creation_answers_the_tokens_fragment(client, me):
    response, secret = create_token(client, "CRM", **{"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="tokens">')
    assert "<html" not in html


def test_htmx_revoke_answers_the_tokens_fragment(client, db, me):
    create_token(client)
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == me.id))
    response = client.post(f"/account/tokens/{token.id}/revoke", headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="tokens">')
    assert "revoked" in html


# --- language switcher and Accept-Language ---------------------------------------------------

def test_language_switch_is_saved_on_the_signed_in_user(app, client, db, me):
    response = client.post("/language", data={"locale": "zh_Hans", "next": "/account/"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/"
    db.session.refresh(me)
    assert me.locale == "zh_Hans"
    assert html_lang(client.get("/", headers={"Accept-Language": "en"})) == "zh-Hans"
    # and it follows the user to another browser
    other = app.test_client()
    sign_in(other, me)
    assert html_lang(other.get("/", headers={"Accept-Language": "en"})) == "zh-Hans"


def test_language_switch_for_a_visitor_is_kept_in_the_session(client, db):
    response = client.post("/language", data={"locale": "zh_Hant", "next": "/login"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/login"
    assert html_lang(client.get("/login", headers={"Accept-Language": "en"})) == "zh-Hant"


def test_unknown_language_is_ignored(client):
    client.post("/language", data={"locale": "tlh", "next": "/login"})
    assert html_lang(client.get("/login", headers={"Accept-Language": "en"})) == "en"


@pytest.mark.parametrize("target", ["//evil.test", "https://evil.test/", "/\\evil.test"])
def test_language_switch_next_stays_on_the_site(client, target):
    response = client.post("/language", data={"locale": "en", "next": target})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(("accept", "lang"), [
    ("zh-TW", "zh-Hant"),
    ("zh-HK,zh;q=0.8", "zh-Hant"),
    ("zh-Hant", "zh-Hant"),
    ("zh-CN", "zh-Hans"),
    ("zh", "zh-Hans"),
    ("en-US,en;q=0.9", "en"),
    ("fr-FR", "en"),
    ("fr-FR,zh-TW;q=0.5", "zh-Hant"),
])
def test_browser_language_picks_the_page_language(client, accept, lang):
    assert html_lang(client.get("/login", headers={"Accept-Language": accept})) == lang


def test_saved_language_beats_the_browser_language(client, db, me):
    me.locale = "en"
    db.session.commit()
    assert html_lang(client.get("/", headers={"Accept-Language": "zh-TW"})) == "en"
