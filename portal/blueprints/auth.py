"""Sign in/out, forgotten password, invitation links. The only pages open without sign-in."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from portal.accounts import service
from portal.accounts.forms import ForgotForm, LoginForm, SetPasswordForm
from portal.core.errors import Invalid
from portal.core.forms import status as form_status
from portal.core.forms import submit
from portal.core.htmx import redirect_to, render
from portal.core.permissions import public, require
from portal.core.urls import safe_next
from portal.extensions import db, limiter

bp = Blueprint("auth", __name__)


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
