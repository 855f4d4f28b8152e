"""Partner records: list (scoped), the partner page, create and edit, suspend / terminate / reactivate, and
agreements (admins write; whoever may see the partner reads)."""

from __future__ import annotations

from flask import Blueprint, flash, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from portal.accounts.models import User
from portal.blueprints.catalogue_admin import commit_files
from portal.catalogue import files
from portal.core.errors import Invalid, NotFound
from portal.core.forms import apply_errors, submit
from portal.core.forms import status as form_status
from portal.core.htmx import redirect_to, render
from portal.core.money import from_cents
from portal.core.pagination import page_number, paginate
from portal.core.permissions import Permission, require
from portal.extensions import db
from portal.pages import conditional
from portal.partners import agreements, evaluations, service, tier_review, tiers
from portal.partners.forms import (
    STATUS_LABELS,
    TYPE_LABELS,
    AgreementForm,
    DocumentForm,
    EvaluationStartForm,
    PartnerForm,
    StatusForm,
)
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
    form.tier_id.choices = [SelectChoice("", _("— none (list prices) —"))] + [
        SelectChoice(t.id, t.name) for t in tiers.ladder()]
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


def partner_page(partner_id: int, status: int = 200, status_form: StatusForm | None = None,
                 document_form: DocumentForm | None = None, start_form: EvaluationStartForm | None = None):
    """The partner page; a form that just failed is passed in and keeps its errors."""
    from portal.accounts.service import list_users

    partner = service.get_partner(current_user, partner_id)
    users = paginate(list_users(current_user, partner_id=partner.id), 1, 100).items \
        if current_user.can(Permission.MANAGE_USERS) or current_user.role == "channel_manager" else []
    history = agreements.agreements_of(current_user, partner.id)
    can_evaluate = current_user.can(Permission.WRITE_EVALUATIONS)
    start_form = start_form or EvaluationStartForm(formdata=None)
    start_form.period.choices = [SelectChoice(f"{y}-{q}", f"{y} Q{q}") for y, q in evaluations.recent_quarters()]
    return render("partners/show.html", status=status, partner=partner, users=users, type_labels=TYPE_LABELS,
                  status_labels=STATUS_LABELS, progress=tiers.progress(partner), agreements=history,
                  agreement=agreements.current(history), agreement_state=agreements.state,
                  agreement_labels=agreements.STATE_LABELS, tier_history=tier_review.history(partner.id),
                  evaluations=evaluations.for_partner(current_user, partner.id) if can_evaluate else [],
                  evaluation_labels=evaluations.STATUS_LABELS, start_form=start_form,
                  activity=service.recent_activity(current_user, partner),
                  status_form=status_form or StatusForm(formdata=None),
                  document_form=document_form or DocumentForm(formdata=None))


@bp.get("/<id:partner_id>")
@require(Permission.VIEW_PARTNERS)
def show(partner_id: int):
    return partner_page(partner_id)


def _status_done(partner) -> str:
    return {"active": _("%(name)s is active again.", name=partner.name),
            "suspended": _("%(name)s is suspended.", name=partner.name),
            "terminated": _("%(name)s is terminated.", name=partner.name)}[partner.status]


@bp.post("/<id:partner_id>/status")
@require(Permission.MANAGE_PARTNERS)
def change_status(partner_id: int):
    """Suspend (read-only: no orders, no deal registrations), terminate (no sign-in; data kept) or reactivate."""
    form = StatusForm()
    if saved := submit(form, lambda: service.change_status(current_user, partner_id, form.status.data,
                                                           form.status_reason.data)):
        flash(_status_done(saved), "success")
        return redirect_to(url_for("partners.show", partner_id=partner_id) + "#exit")
    db.session.rollback()
    return partner_page(partner_id, status=422, status_form=form)


# --- agreements ---------------------------------------------------------------------------------------------

def _agreement_page(partner, form: AgreementForm, mode: str, agreement=None):
    return render("partners/agreement_form.html", "form", status=form_status(form), form=form, partner=partner,
                  mode=mode, agreement=agreement)


def _agreement_data(form: AgreementForm) -> dict:
    return {name: form[name].data for name in ("starts_on", "ends_on", "annual_target", "exit_terms")}


@bp.route("/<id:partner_id>/agreements/new", methods=["GET", "POST"])
@require(Permission.MANAGE_PARTNERS)
def new_agreement(partner_id: int):
    partner = service.get_partner(current_user, partner_id)
    form = AgreementForm()
    if submit(form, lambda: agreements.save(current_user, partner_id, _agreement_data(form))):
        flash(_("The agreement is saved."), "success")
        return redirect_to(url_for("partners.show", partner_id=partner_id) + "#agreement")
    return _agreement_page(partner, form, "new")


def _own_agreement(partner_id: int, agreement_id: int):
    partner = service.get_partner(current_user, partner_id)
    agreement = agreements.get_agreement(current_user, agreement_id)
    if agreement.partner_id != partner.id:
        raise NotFound(_("Agreement not found."))
    return partner, agreement


@bp.route("/<id:partner_id>/agreements/<id:agreement_id>/edit", methods=["GET", "POST"])
@require(Permission.MANAGE_PARTNERS)
def edit_agreement(partner_id: int, agreement_id: int):
    partner, agreement = _own_agreement(partner_id, agreement_id)
    form = AgreementForm(data={"starts_on": agreement.starts_on.isoformat(), "ends_on": agreement.ends_on.isoformat(),
                               "annual_target": str(from_cents(agreement.annual_target_cents)),
                               "exit_terms": agreement.exit_terms})
    if submit(form, lambda: agreements.save(current_user, partner_id, _agreement_data(form), agreement_id)):
        flash(_("The agreement is saved."), "success")
        return redirect_to(url_for("partners.show", partner_id=partner_id) + "#agreement")
    return _agreement_page(partner, form, "edit", agreement)


@bp.route("/<id:partner_id>/agreements/<id:agreement_id>/renew", methods=["GET", "POST"])
@require(Permission.MANAGE_PARTNERS)
def renew_agreement(partner_id: int, agreement_id: int):
    partner, agreement = _own_agreement(partner_id, agreement_id)
    form = AgreementForm(data=agreements.renewal_defaults(agreement))
    if submit(form, lambda: agreements.renew(current_user, agreement_id, _agreement_data(form))):
        flash(_("The agreement is renewed; the previous one stays in the history."), "success")
        return redirect_to(url_for("partners.show", partner_id=partner_id) + "#agreement")
    return _agreement_page(partner, form, "renew", agreement)


@bp.post("/<id:partner_id>/agreements/<id:agreement_id>/document")
@require(Permission.MANAGE_PARTNERS)
def upload_document(partner_id: int, agreement_id: int):
    _own_agreement(partner_id, agreement_id)
    form = DocumentForm()
    if form.validate_on_submit():
        upload = request.files.get("document")
        try:
            if upload is None or not upload.filename:
                raise Invalid({"document": [_("Choose a file.")]})
            change = agreements.attach(current_user, agreement_id,
                                       upload.stream.read(agreements.DOCUMENT_MAX_BYTES + 1), upload.filename)
        except Invalid as exc:
            apply_errors(form, exc)
        else:
            commit_files(change)
            flash(_("The signed agreement is saved."), "success")
            return redirect_to(url_for("partners.show", partner_id=partner_id) + "#agreement")
    db.session.rollback()
    return partner_page(partner_id, status=422, document_form=form)


@bp.get("/<id:partner_id>/agreements/<id:agreement_id>/document")
@require(Permission.VIEW_PARTNERS)
def document(partner_id: int, agreement_id: int):
    _own_agreement(partner_id, agreement_id)
    return send_stored(agreements.document(current_user, agreement_id))


def send_stored(stored: files.Stored):
    """A stored file as a download (never shown inline: it is a contract)."""
    response = send_file(stored.path, mimetype=stored.content_type, as_attachment=True,
                         download_name=stored.download_name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
