"""The signed-in user's own settings: profile, language, time zone, order notices, password, API tokens."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from portal.accounts import service
from portal.accounts.forms import ApiTokenForm, OrderNoticesForm, PasswordChangeForm, ProfileForm
from portal.blueprints import auth
from portal.core.forms import submit
from portal.core.htmx import redirect_to, render
from portal.core.permissions import Permission, require
from portal.extensions import db

bp = Blueprint("account", __name__, url_prefix="/account")


def _profile_form() -> ProfileForm:
    form = ProfileForm(obj=current_user)
    form.locale.choices = [SelectChoice("", _("Browser language"))] + [
        SelectChoice(code, label) for code, label in current_app.config["LANGUAGES"].items()]
    return form


def _page(status: int = 200, block: str | None = None, **forms):
    forms.setdefault("profile_form", _profile_form())
    forms.setdefault("password_form", PasswordChangeForm(formdata=None))
    forms.setdefault("token_form", ApiTokenForm(formdata=None))
    forms.setdefault("notices_form", OrderNoticesForm(formdata=None, obj=current_user))
    user = current_user._get_current_object()
    sign_ins = [(row, service.is_current_session(user, row)) for row in service.sessions_of(user)]
    return render("account/profile.html", block, status=status, tokens=service.api_tokens(user),
                  sign_ins=sign_ins, new_secret=forms.pop("new_secret", None), **forms)


@bp.get("/")
@require()
def profile():
    return _page()


@bp.post("/")
@require()
def save_profile():
    form = _profile_form()
    if submit(form, lambda: service.update_profile(current_user, form.name.data, form.locale.data,
                                                   form.timezone.data)):
        flash(_("Your profile is saved."), "success")
        return redirect_to(url_for("account.profile"))
    return _page(422, "profile", profile_form=form)


@bp.post("/order-notices")
@require(Permission.FOLLOW_COMPANY_ORDERS)
def save_order_notices():
    form = OrderNoticesForm()
    if submit(form, lambda: service.set_follows_company_orders(current_user, form.follows_company_orders.data)):
        flash(_("Your order notices are saved."), "success")
        return redirect_to(url_for("account.profile"))
    return _page(422, "order_notices", notices_form=form)


@bp.post("/password")
@require()
def change_password():
    form = PasswordChangeForm()
    user = current_user._get_current_object()
    # this sign-in continues; every other one ends
    if submit(form, lambda: service.change_password(user, form.current_password.data, form.new_password.data,
                                                    form.confirm.data)):
        flash(_("Your password is changed. Other sessions were signed out."), "success")
        return redirect_to(url_for("account.profile"))
    return _page(422, "password", password_form=form)


@bp.post("/sign-out-everywhere")
@require()
def sign_out_everywhere():
    """Every sign-in of this account ends — other browsers, phones, a forgotten "remember me" — this one too."""
    auth.end(everywhere=True)
    flash(_("You are signed out on every device."), "info")
    return redirect_to(url_for("auth.login"))


@bp.post("/tokens")
@require(Permission.USE_API)
def create_token():
    form = ApiTokenForm()
    if created := submit(form, lambda: service.create_api_token(current_user, form.name.data)):
        # The secret is shown in this response only; it is never stored or shown again.
        return _page(201, "tokens", new_secret=created[1])
    return _page(422, "tokens", token_form=form)


@bp.post("/tokens/<id:token_id>/revoke")
@require(Permission.USE_API)
def revoke_token(token_id: int):
    service.revoke_api_token(current_user, token_id)
    db.session.commit()
    flash(_("The token is revoked."), "success")
    if request.headers.get("HX-Request"):
        return _page(200, "tokens")
    return redirect_to(url_for("account.profile"))
