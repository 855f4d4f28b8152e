"""Partner records: list (scoped), create and edit (admins)."""

from __future__ import annotations

from flask import Blueprint, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from portal.accounts.models import User
from portal.core.forms import status as form_status
from portal.core.forms import submit
from portal.core.htmx import redirect_to, render
from portal.core.pagination import page_number, paginate
from portal.core.permissions import Permission, require
from portal.pages import conditional
from portal.partners import service
from portal.partners.forms import STATUS_LABELS, TYPE_LABELS, PartnerForm
from portal.partners.models import Partner

bp = Blueprint("partners", __name__, url_prefix="/partners")


@bp.app_template_global("suspension_notice")
def _suspension_notice(user) -> str | None:
    """The banner of every page while the signed-in person's company is suspended (base.html)."""
    return service.suspension_notice(user) if user.is_authenticated else None


@bp.get("/")
@require(Permission.VIEW_PARTNERS)
@conditional(Partner, User)
def index():
    filters = {k: request.args.get(k, "").strip() for k in ("q", "status", "type")}
    stmt = service.list_partners(current_user, filters["q"], filters["status"], filters["type"])
    page = paginate(stmt, page_number(), 25)
    return render("partners/index.html", "results", page=page, filters=filters,
                  type_labels=TYPE_LABELS, status_labels=STATUS_LABELS)


def _form(obj=None) -> PartnerForm:
    form = PartnerForm(obj=obj)
    form.channel_manager_id.choices = [SelectChoice("", _("— none —"))] + [
        SelectChoice(m.id, f"{m.name} <{m.email}>") for m in service.channel_managers()]
    return form


def _save(partner_id: int | None):
    partner = service.get_partner(current_user, partner_id) if partner_id else None
    form = _form(partner)
    if saved := submit(form, lambda: service.save_partner(current_user, form.data, partner_id)):
        flash(_("Partner %(name)s saved.", name=saved.name), "success")
        return redirect_to(url_for("partners.show", partner_id=saved.id))
    return render("partners/form.html", "form", status=form_status(form), form=form, partner=partner)


@bp.route("/new", methods=["GET", "POST"])
@require(Permission.MANAGE_PARTNERS)
def create():
    return _save(None)


@bp.route("/<id:partner_id>/edit", methods=["GET", "POST"])
@require(Permission.MANAGE_PARTNERS)
def edit(partner_id: int):
    return _save(partner_id)


@bp.get("/<id:partner_id>")
@require(Permission.VIEW_PARTNERS)
def show(partner_id: int):
    from portal.accounts.service import list_users

    partner = service.get_partner(current_user, partner_id)
    users = paginate(list_users(current_user, partner_id=partner.id), 1, 100).items \
        if current_user.can(Permission.MANAGE_USERS) or current_user.role == "channel_manager" else []
    return render("partners/show.html", partner=partner, users=users, type_labels=TYPE_LABELS,
                  status_labels=STATUS_LABELS)
