"""Sign in / out, remember me, safe ``next=``, forgotten password, invitation links, throttling."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accounts.models import OneTimeToken, User
from portal.core.time import utcnow
from tests import factories

NEW_PASSWORD = "a much better passphrase"


def sign_in(client, user, password: str = factories.PASSWORD, headers: dict | None = None, **extra):
    return client.post("/login", data={"email": user.email, "password": password, **extra}, headers=headers)


def link_in(message, path: str) -> str:
    """The site-relative link (``/reset/…``) in the text part of an e-mail."""
    text = message.get_body(("plain",)).get_content()
    found = re.search(r"http://portal\.test(/" + path + r"/[\w-]+)", text)
    assert found, text
    return found.group(1)


def main_part(response) -> str:
    return re.search(r"<main.*</main>", response.get_data(as_text=True), re.S).group(0)


def cookie_names(response) -> set[str]:
    return {header.split("=", 1)[0] for header in response.headers.getlist("Set-Cookie")}


# --- sign in / out ---------------------------------------------------------------------------

def test_sign_in_with_the_right_password_opens_the_dashboard(client, login):
    user = factories.vendor()
    login(user)
    page = client.get("/")
    assert page.status_code == 200
    assert user.name in page.get_data(as_text=True)


def test_wrong_password_says_so_next_to_the_field(client):
    user = factories.vendor()
    response = client.post("/login", data={"email": user.email, "password": "nope-nope-nope"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'<small class="field-error" id="password-error">E-mail or password is not correct.</small>',
                     html)
    assert client.get("/").status_code == 302


def test_unknown_email_gets_the_same_message_as_a_wrong_password(client):
    response = client.post("/login", data={"email": "nobody@example.test", "password": "whatever-it-is"})
    assert response.status_code == 422
    assert "E-mail or password is not correct." in response.get_data(as_text=True)


def test_empty_form_is_422_with_messages_next_to_the_fields(client):
    response = client.post("/login", data={"email": "", "password": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="email-error">Enter your e-mail address.' in html
    assert 'id="password-error">Enter your password.' in html


def test_signed_out_visitor_is_sent_to_the_login_page_with_next(client):
    response = client.get("/account/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/account/"


def test_sign_out_ends_the_session(client, login):
    login(factories.vendor())
    assert client.get("/").status_code == 200
    response = client.post("/logout")
    assert response.status_code == 303
    assert response.headers["Location"] == "/login"
    assert "You are signed out." in client.get("/login").get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_sign_out_needs_a_post(client, login, db):
    user = factories.vendor()
    db.session.commit()  # an error page rolls the session back: keep the user
    login(user)
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200


def test_remember_me_sets_a_remember_cookie(client):
    user = factories.vendor()
    response = sign_in(client, user, remember="y")
    assert response.status_code == 303
    assert "remember_token" in cookie_names(response)


def test_without_remember_me_no_remember_cookie_is_set(client):
    user = factories.vendor()
    response = sign_in(client, user)
    assert response.status_code == 303
    assert "remember_token" not in cookie_names(response)


def test_remember_cookie_signs_in_again_after_the_session_cookie_is_gone(app, client):
    user = factories.vendor()
    sign_in(client, user, remember="y")
    client.delete_cookie("session")
    page = client.get("/")
    assert page.status_code == 200
    assert user.name in page.get_data(as_text=True)


def test_signed_in_user_visiting_login_goes_to_the_dashboard(client, login):
    login(factories.vendor())
    response = client.get("/login")
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_signed_in_user_following_a_login_link_goes_to_next(client, login):
    login(factories.vendor())
    assert client.get("/login?next=/account/").headers["Location"] == "/account/"
    assert client.get("/login?next=//evil.test").headers["Location"] == "/"


def test_deactivated_user_cannot_sign_in_and_is_told_so_only_after_the_right_password(client, db):
    user = factories.vendor(role="trainer", active=False)
    wrong = sign_in(client, user, "not-the-password")
    assert wrong.status_code == 422 and "E-mail or password is not correct." in wrong.get_data(as_text=True)
    assert "deactivated" not in wrong.get_data(as_text=True)
    response = sign_in(client, user)
    assert response.status_code == 422
    assert "Your account is deactivated." in response.get_data(as_text=True)
    assert client.get("/account/").status_code == 302


def test_a_terminated_partners_user_is_told_access_ended_and_whom_to_contact(client, db):
    manager = factories.vendor(role="channel_manager", name="Mia Manager", email="mia@vendor.test")
    gone = factories.PartnerFactory(name="Gone Trading", status="terminated", channel_manager_id=manager.id)
    user = factories.partner_user(gone)
    wrong = sign_in(client, user, "not-the-password").get_data(as_text=True)
    assert "E-mail or password is not correct." in wrong and "Gone Trading" not in wrong and "Mia" not in wrong
    response = sign_in(client, user)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Gone Trading&#39;s access to the portal has ended." in html
    assert "contact your channel manager, Mia Manager (mia@vendor.test)." in html
    assert "E-mail or password is not correct." not in html
    assert client.get("/account/").status_code == 302


def test_a_terminated_partner_without_a_manager_points_to_the_channel_team(client, db):
    user = factories.partner_user(factories.PartnerFactory(name="Lone Ltd", status="terminated"))
    html = sign_in(client, user).get_data(as_text=True)
    assert ("Lone Ltd&#39;s access to the portal has ended. For questions, contact the vendor&#39;s channel team."
            in html)


def test_invited_user_without_password_cannot_sign_in(client):
    user = factories.vendor(role="trainer", password_hash=None)
    assert sign_in(client, user, password="").status_code == 422
    assert sign_in(client, user, password="anything-at-all").status_code == 422


def test_sign_in_ignores_case_and_spaces_in_the_email(client):
    user = factories.vendor()
    response = client.post("/login", data={"email": "  " + user.email.upper() + " ", "password": factories.PASSWORD})
    assert response.status_code == 303


# --- next= -----------------------------------------------------------------------------------

def test_next_with_a_relative_path_is_honoured(client):
    user = factories.vendor()
    response = client.post("/login?next=/account/%3Ftab%3Dtokens",
                           data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/?tab=tokens"


@pytest.mark.parametrize("target", [
    "//evil.test",
    "//evil.test/login",
    "https://evil.test",
    "http://evil.test/",
    "/\\evil.test",
    "\\\\evil.test",
    "javascript:alert(1)",
    "evil.test",
    "/\t/evil.test",
])
def test_next_pointing_off_the_site_goes_to_the_dashboard(client, target):
    user = factories.vendor()
    response = client.post("/login", query_string={"next": target},
                           data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_htmx_sign_in_answers_hx_location(client):
    user = factories.vendor()
    response = client.post("/login?next=/account/", headers={"HX-Request": "true"},
                           data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 200
    assert json.loads(response.headers["HX-Location"])["path"] == "/account/"


def test_htmx_wrong_password_answers_only_the_form_fragment(client):
    user = factories.vendor()
    response = client.post("/login", headers={"HX-Request": "true"},
                           data={"email": user.email, "password": "not-the-password"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<form id="login-form"')
    assert "<html" not in html
    assert "E-mail or password is not correct." in html


# --- forgotten password ----------------------------------------------------------------------

def test_forgotten_password_sends_a_reset_link_that_sets_the_password(client, outbox, run_jobs):
    user = factories.vendor()
    response = client.post("/forgot", data={"email": user.email})
    assert response.status_code == 200
    assert "Check your e-mail" in response.get_data(as_text=True)
    run_jobs()
    [message] = outbox()
    assert message["To"] == user.email
    link = link_in(message, "reset")

    form = client.get(link)
    assert form.status_code == 200
    assert user.email in form.get_data(as_text=True)
    done = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 303
    assert done.headers["Location"] == "/login"

    assert sign_in(client, user).status_code == 422
    assert sign_in(client, user, NEW_PASSWORD).status_code == 303


def test_reset_link_works_only_once(client, outbox, run_jobs):
    user = factories.vendor()
    client.post("/forgot", data={"email": user.email})
    run_jobs()
    link = link_in(outbox()[0], "reset")
    assert client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 303

    again = client.get(link)
    assert again.status_code == 404
    assert "This link has expired or was already used." in again.get_data(as_text=True)
    second = client.post(link, data={"password": "yet another passphrase", "confirm": "yet another passphrase"})
    assert second.status_code == 422
    assert "This link has expired or was already used." in second.get_data(as_text=True)
    assert sign_in(client, user, NEW_PASSWORD).status_code == 303


def test_reset_link_expires(client, db, outbox, run_jobs):
    user = factories.vendor()
    client.post("/forgot", data={"email": user.email})
    run_jobs()
    link = link_in(outbox()[0], "reset")
    token = db.session.scalar(select(OneTimeToken).where(OneTimeToken.user_id == user.id))
    token.expires_at = utcnow() - timedelta(minutes=1)
    db.session.flush()

    response = client.get(link)
    assert response.status_code == 404
    assert "This link has expired or was already used." in response.get_data(as_text=True)
    assert client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 422
    assert sign_in(client, user, NEW_PASSWORD).status_code == 422


def test_a_newer_reset_link_replaces_the_older_one(client, outbox, run_jobs):
    user = factories.vendor()
    client.post("/forgot", data={"email": user.email})
    client.post("/forgot", data={"email": user.email})
    run_jobs()
    first, second = (link_in(m, "reset") for m in outbox())
    assert {client.get(first).status_code, client.get(second).status_code} == {200, 404}


def test_unknown_email_gets_the_same_answer_and_no_mail(client, outbox, run_jobs):
    user = factories.vendor()
    known = client.post("/forgot", data={"email": user.email})
    run_jobs()
    sent_before = len(outbox())
    unknown = client.post("/forgot", data={"email": "nobody@example.test"})
    assert unknown.status_code == known.status_code == 200
    text = unknown.get_data(as_text=True)
    assert "If an account exists for nobody@example.test" in text
    assert main_part(known).replace(user.email, "nobody@example.test") == main_part(unknown)
    run_jobs()
    assert len(outbox()) == sent_before == 1


def test_unknown_reset_link_is_the_invalid_page(client):
    response = client.get("/reset/not-a-real-token")
    assert response.status_code == 404
    assert "Link not valid" in response.get_data(as_text=True)


def test_weak_reset_password_is_422_next_to_the_field_and_changes_nothing(client, db, outbox, run_jobs):
    user = factories.vendor()
    old_hash = user.password_hash
    client.post("/forgot", data={"email": user.email})
    run_jobs()
    link = link_in(outbox()[0], "reset")

    short = client.post(link, data={"password": "short", "confirm": "short"})
    assert short.status_code == 422
    assert 'id="password-error">Use at least 10 characters.' in short.get_data(as_text=True)

    mismatch = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "!"})
    assert mismatch.status_code == 422
    assert 'id="password-error">The two passwords do not match.' in mismatch.get_data(as_text=True)

    same_as_email = client.post(link, data={"password": user.email, "confirm": user.email})
    assert same_as_email.status_code == 422
    assert "Do not use your e-mail address as your password." in same_as_email.get_data(as_text=True)

    db.session.refresh(user)
    assert user.password_hash == old_hash
    assert client.get(link).status_code == 200  # the link is still good


def test_setting_a_password_with_a_link_ends_other_sessions(app, client, outbox, run_jobs):
    user = factories.vendor()
    other = app.test_client()
    assert sign_in(other, user).status_code == 303
    client.post("/forgot", data={"email": user.email})
    run_jobs()
    link = link_in(outbox()[0], "reset")
    assert client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 303
    assert other.get("/").status_code == 302


# --- invitation ------------------------------------------------------------------------------

def test_invitation_link_sets_a_password_and_the_person_can_sign_in(app, client, login, db, outbox, run_jobs):
    login(factories.vendor())
    invited = client.post("/users/invite", data={"email": "new.person@example.test", "name": "New Person",
                                                  "role": "trainer", "partner_id": ""})
    assert invited.status_code == 303
    run_jobs()
    [message] = outbox()
    assert message["To"] == "new.person@example.test"
    link = link_in(message, "invitation")

    guest = app.test_client()
    page = guest.get(link)
    assert page.status_code == 200
    assert "Welcome, New Person" in page.get_data(as_text=True)
    assert guest.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 303
    assert guest.post("/login", data={"email": "new.person@example.test",
                                      "password": NEW_PASSWORD}).status_code == 303
    assert guest.get("/").status_code == 200
    assert guest.get(link).status_code == 404  # used


def test_weak_invitation_password_is_422_and_the_account_stays_unactivated(app, client, login, db, outbox,
                                                                         run_jobs):
    login(factories.vendor())
    client.post("/users/invite", data={"email": "weak@example.test", "name": "Weak", "role": "trainer",
                                       "partner_id": ""})
    run_jobs()
    link = link_in(outbox()[0], "invitation")
    guest = app.test_client()
    response = guest.post(link, data={"password": "123", "confirm": "456"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Use at least 10 characters." in html
    assert "The two passwords do not match." in html
    user = db.session.scalar(select(User).where(User.email == "weak@example.test"))
    assert user.password_hash is None


def test_reset_link_is_not_an_invitation_link(client, outbox, run_jobs):
    user = factories.vendor()
    client.post("/forgot", data={"email": user.email})
    run_jobs()
    secret = link_in(outbox()[0], "reset").rsplit("/", 1)[1]
    assert client.get(f"/invitation/{secret}").status_code == 404


# --- throttling ------------------------------------------------------------------------------

def test_repeated_failed_sign_ins_for_one_account_are_throttled(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ACCOUNT", "3 per 15 minutes")
    user = factories.vendor()
    for _ in range(3):
        assert sign_in(client, user, "wrong-password-1").status_code == 422
    blocked = sign_in(client, user)  # even the right password waits
    assert blocked.status_code == 429
    html = blocked.get_data(as_text=True)
    assert "Too many sign-in attempts. Wait 15 minutes and try again, or reset your password." in html
    assert 'id="login-form"' in html
    assert client.get("/").status_code == 302
    # another account from the same browser is not locked out by this one
    other = factories.vendor(role="trainer")
    assert sign_in(client, other).status_code == 303


def test_throttled_htmx_sign_in_answers_the_form_with_the_message(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ACCOUNT", "1 per 15 minutes")
    user = factories.vendor()
    sign_in(client, user, "wrong-password-1")
    response = client.post("/login", headers={"HX-Request": "true"},
                           data={"email": user.email, "password": "wrong-password-1"})
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<form id="login-form"')
    assert "Too many sign-in attempts." in html


def test_repeated_failed_sign_ins_from_one_address_are_throttled(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_IP", "3 per 15 minutes")
    for n in range(3):
        response = client.post("/login", data={"email": f"guess{n}@example.test", "password": "guess-guess"})
        assert response.status_code == 422
    blocked = client.post("/login", data={"email": "guess9@example.test", "password": "guess-guess"})
    assert blocked.status_code == 429
    assert "Too many sign-in attempts." in blocked.get_data(as_text=True)
    # another address is not affected
    elsewhere = app.test_client()
    response = elsewhere.post("/login", data={"email": "guess9@example.test", "password": "guess-guess"},
                              environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert response.status_code == 422


def test_successful_sign_ins_do_not_count_toward_the_limit(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ACCOUNT", "2 per 15 minutes")
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_IP", "2 per 15 minutes")
    user = factories.vendor()
    for _ in range(3):
        assert sign_in(app.test_client(), user).status_code == 303
    assert sign_in(client, user, "wrong-password-1").status_code == 422
    assert sign_in(client, user, "wrong-password-1").status_code == 422
    assert sign_in(client, user, "wrong-password-1").status_code == 429


def test_login_page_itself_is_not_throttled(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_IP", "1 per 15 minutes")
    client.post("/login", data={"email": "a@example.test", "password": "guess-guess"})
    assert client.get("/login").status_code == 200


@pytest.mark.pg
def test_rows_are_rolled_back_between_tests(db, backend):
    from sqlalchemy import func

    assert db.session.scalar(select(func.count()).select_from(User)) == 0
    factories.vendor()
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_successful_htmx_sign_ins_do_not_count_toward_the_limit(app, client, monkeypatch):
    """The browser signs in through htmx (200 + HX-Location): those count as little as a 303."""
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ACCOUNT", "2 per 15 minutes")
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_IP", "2 per 15 minutes")
    user = factories.vendor()
    for _ in range(4):
        response = sign_in(app.test_client(), user, headers={"HX-Request": "true"})
        assert response.status_code == 200 and "HX-Location" in response.headers
    assert sign_in(client, user, "wrong-password-1").status_code == 422
