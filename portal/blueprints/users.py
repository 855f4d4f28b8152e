"""People: admins manage everyone; a partner admin invites and deactivates their colleagues."""

from __future__ import annotations

from flask import Blueprint, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice

from portal.accounts import service
from portal.accounts.forms import InviteForm
from portal.accounts.models import User
from portal.core.forms import status as form_status
from portal.core.forms import submit
from portal.core.htmx import redirect_to, render
from portal.core.pagination import page_number, paginate
from portal.core.permissions import Permission, Role, require
from portal.extensions import db
from portal.pages import conditional
from portal.partners.models import Partner
from portal.partners.service import partner_names

bp = Blueprint("users", __name__, url_prefix="/users")

ROLE_LABELS = {
    Role.ADMIN: _l("Admin"), Role.CHANNEL_MANAGER: _l("Channel manager"), Role.TRAINER: _l("Trainer"),
    Role.PARTNER_ADMIN: _l("Partner admin"), Role.PARTNER_USER: _l("Partner user"),
}


def role_label(role: str) -> str:
    """The role's name in the user's language (translated once per call, not once per role)."""
    label = ROLE_LABELS.get(role)
    return str(label) if label is not None else role


@bp.app_template_filter("role_label")
def _role_label_filter(role: str) -> str:
    return role_label(role)


def _partner_choices() -> list[SelectChoice]:
    return [SelectChoice("", _("— vendor staff —"))] + [
        SelectChoice(pid, name) for pid, name in partner_names(current_user)]


@bp.get("/")
@require(Permission.MANAGE_USERS)
@conditional(User, Partner)
def index():
    filters = {k: request.args.get(k, "").strip() for k in ("q", "role", "status")}
    stmt = service.list_users(current_user, filters["q"], filters["role"], filters["status"])
    page = paginate(stmt, page_number(), 25)
    return render("users/index.html", "results", page=page, filters=filters,
                  roles=service.listable_roles(current_user))


@bp.route("/invite", methods=["GET", "POST"])
@require(Permission.MANAGE_USERS)
def invite():
    form = InviteForm()
    form.role.choices = [SelectChoice(r.value, role_label(r)) for r in service.invitable_roles(current_user)]
    form.partner_id.choices = _partner_choices()
    if user := submit(form, lambda: service.invite_user(current_user, form.email.data, form.name.data,
                                                        form.role.data, form.partner_id.data or None)):
        flash(_("Invitation sent to %(email)s.", email=user.email), "success")
        return redirect_to(url_for("users.index"))
    return render("users/invite.html", "form", status=form_status(form), form=form)


def _toggle(user_id: int, active: bool):
    user = service.set_active(current_user, user_id, active)
    db.session.commit()
    flash((_("%(email)s can sign in again.", email=user.email) if active
           else _("%(email)s is deactivated and signed out.", email=user.email)), "success")
    if request.headers.get("HX-Request"):
        return render("users/_row.html", user=user)
    return redirect_to(url_for("users.index"))


@bp.post("/<id:user_id>/deactivate")
@require(Permission.MANAGE_USERS)
def deactivate(user_id: int):
    return _toggle(user_id, False)


@bp.post("/<id:user_id>/reactivate")
@require(Permission.MANAGE_USERS)
def reactivate(user_id: int):
    return _toggle(user_id, True)


@bp.post("/<id:user_id>/resend")
@require(Permission.MANAGE_USERS)
def resend(user_id: int):
    user = service.get_user(current_user, user_id)
    service.send_invitation(current_user, user)
    db.session.commit()
    flash(_("Invitation sent again to %(email)s.", email=user.email), "success")
    return redirect_to(url_for("users.index"))
