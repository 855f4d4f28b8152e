"""Sign in/out, forgotten password, invitation links. The only pages open without sign-in.

Also where Flask-Login learns who a cookie's sign-in is (``accounts.service.load_session_user``) and where a
request that needs a sign-in goes: the sign-in page, which brings the user back to where they were.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from portal.accounts import service
from portal.accounts.forms import ForgotForm, LoginForm, SetPasswordForm
from portal.core import htmx
from portal.core.errors import Invalid
from portal.core.forms import status as form_status
from portal.core.forms import submit
from portal.core.htmx import redirect_to, render
from portal.core.permissions import public, require
from portal.core.urls import safe_next
from portal.extensions import db, limiter, login_manager

bp = Blueprint("auth", __name__)


@bp.record_once
def _install_sign_in(_state) -> None:
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    login_manager.user_loader(service.load_session_user)
    login_manager.unauthorized_handler(_unauthorized)


def _unauthorized():
    """A page that needs a sign-in: the sign-in page (htmx: told to go there; the API: 401 in JSON)."""
    if request.path.startswith("/api/"):
        from portal.blueprints.api.base import error_response

        return error_response(401, _("Send a valid API token as 'Authorization: Bearer …'."))
    login_url = url_for("auth.login", next=_return_path())
    if htmx.is_htmx():
        return htmx.client_redirect(login_url)
    return redirect(login_url)


def _return_path() -> str:
    """Where to come back to after signing in: the page itself, or for htmx the page the user
    was on (``HX-Current-URL``; the request's own URL may be a fragment or a POST-only action)."""
    if htmx.is_htmx() and (current := request.headers.get("HX-Current-URL")):
        parts = urlsplit(current)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if parts.netloc == request.host and (safe := safe_next(path)):
            return safe
    return request.full_path.rstrip("?")


def _account_key() -> str:
    return "login-account:" + (request.form.get("email") or "").strip().lower()


def _failed(response) -> bool:
    """Only failed sign-ins count toward the limits: the form shown again with its errors (422). A sign-in
    that worked answers 303, or 200 with ``HX-Location`` to htmx, and never counts."""
    return response.status_code == 422


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"], deduct_when=_failed)
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"], key_func=_account_key,
               deduct_when=_failed)
def login():
    if current_user.is_authenticated:
        return redirect_to(safe_next(request.args.get("next")) or url_for("main.dashboard"))
    form = LoginForm()
    if user := submit(form, lambda: _sign_in(form)):
        login_user(user, remember=form.remember.data)
        return redirect_to(safe_next(request.args.get("next")) or url_for("main.dashboard"))
    return render("auth/login.html", "form", status=form_status(form), form=form)


def _sign_in(form: LoginForm):
    """Check the password and start this browser's sign-in (its own row: sign-out ends exactly it)."""
    user = service.authenticate(form.email.data, form.password.data)
    service.start_session(user, remember=bool(form.remember.data), user_agent=request.user_agent.string)
    _fresh_session()
    session.permanent = True  # signed again on every request: the idle limit counts from the last one
    return user


def _fresh_session() -> None:
    """Nothing of the session before signing in or out carries over: a new CSRF secret, no stale state."""
    session.clear()


@bp.post("/logout")
@require()
def logout():
    end(everywhere=False)
    flash(_("You are signed out."), "info")
    return redirect_to(url_for("auth.login"))


def end(everywhere: bool) -> None:
    """Sign out: this sign-in (or every sign-in of the user) ends on the server, then the cookies go."""
    user = current_user._get_current_object()
    if everywhere:
        service.end_all_sessions(user)
    else:
        service.end_session(user)
    db.session.commit()
    _fresh_session()
    logout_user()  # after clearing: it leaves the note that makes Flask-Login delete the remember-me cookie


@bp.route("/forgot", methods=["GET", "POST"])
@public
@limiter.limit("10 per hour", methods=["POST"])
def forgot():
    form = ForgotForm()
    if form.validate_on_submit():
        service.request_password_reset(form.email.data)
        db.session.commit()
        # Same answer whether or not the address has an account.
        return render("auth/forgot_sent.html", "sent", email=form.email.data)
    return render("auth/forgot.html", "form", status=422 if request.method == "POST" else 200, form=form)


def _set_password(secret: str, purpose: str, template: str):
    try:
        _token, user = service.token_user(secret, purpose)
    except Invalid as exc:
        return render("auth/link_invalid.html", status=404 if request.method == "GET" else 422,
                      message=exc.message)
    form = SetPasswordForm()
    if submit(form, lambda: service.set_password_with_token(secret, purpose, form.password.data, form.confirm.data)):
        flash(_("Your password is set. Sign in with it now."), "success")
        return redirect_to(url_for("auth.login"))
    return render(template, "form", status=form_status(form), form=form, user=user)


@bp.route("/reset/<secret>", methods=["GET", "POST"])
@public
def reset(secret: str):
    return _set_password(secret, "reset", "auth/reset.html")


@bp.route("/invitation/<secret>", methods=["GET", "POST"])
@public
def invitation(secret: str):
    return _set_password(secret, "invite", "auth/invitation.html")


@bp.post("/language")
@public
def language():
    """The language switcher: saved on the profile when signed in, in the session otherwise."""
    choice = request.form.get("locale", "")
    if choice in current_app.config["LANGUAGES"]:
        if current_user.is_authenticated:
            service.set_locale(current_user, choice)
            db.session.commit()
        else:
            session["locale"] = choice
    return redirect_to(safe_next(request.form.get("next")) or url_for("main.dashboard"))
