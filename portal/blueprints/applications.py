"""Recruitment: the public "Become a partner" page, and the reviewers' list, scorecards and decision."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from portal.catalogue.admin import tiers
from portal.core.forms import status as form_status
from portal.core.forms import submit
from portal.core.htmx import redirect_to, render
from portal.core.pagination import page_number, paginate
from portal.core.permissions import Permission, public, require
from portal.extensions import db, limiter
from portal.pages import conditional
from portal.partners import applications, scorecard
from portal.partners.forms import (
    TYPE_LABELS,
    ApplicationForm,
    ApproveForm,
    RejectForm,
    criteria_form,
    score_form,
)
from portal.partners.models import OPEN_APPLICATION, Application, Partner
from portal.partners.service import channel_managers

bp = Blueprint("applications", __name__)

PAGE_SIZE = 25
NEW_CRITERIA_ROWS = 2  # empty rows under the criteria for adding new ones


# --- public ------------------------------------------------------------------------------------------

@bp.route("/apply", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["APPLY_LIMIT_PER_IP"], methods=["POST"])
def apply():
    form = ApplicationForm()
    if saved := submit(form, lambda: applications.submit(form.data, str(get_locale()))):
        session["application_number"] = saved.number
        return redirect_to(url_for("applications.received"))
    return render("applications/apply.html", "form", status=form_status(form), form=form)


@bp.get("/apply/received")
@public
def received():
    return render("applications/received.html", number=session.get("application_number"))


# --- reviewers -----------------------------------------------------------------------------------------

@bp.get("/applications/")
@require(Permission.REVIEW_APPLICATIONS)
@conditional(Application, Partner)  # Partner: the duplicate flags
def index():
    filters = applications.Filters.from_args(request.args)
    page = paginate(applications.list_applications(current_user, filters), page_number(), PAGE_SIZE)
    return render("applications/index.html", "results", page=page, filters=filters,
                  duplicates=applications.duplicates_of(page.items), type_labels=TYPE_LABELS,
                  regions=applications.REGIONS, status_labels=applications.STATUS_LABELS, sorts=_sort_labels())


def _sort_labels() -> dict[str, str]:
    return {"newest": _("Newest first"), "oldest": _("Oldest first"), "score": _("Highest score first"),
            "company": _("Company name")}


def _approve_form(application, read_request: bool = True) -> ApproveForm:
    data = {"name": application.company, "type": application.partner_type, "region": application.region,
            "contact_name": application.contact_name, "contact_email": application.contact_email,
            "tier_id": min(tiers(), key=lambda t: t.rank).id if tiers() else None}
    form = ApproveForm(data=data) if read_request else ApproveForm(formdata=None, data=data)
    form.type.choices = [SelectChoice(k, v) for k, v in TYPE_LABELS.items()]
    form.tier_id.choices = [SelectChoice("", _("— none (list prices) —"))] + [
        SelectChoice(t.id, t.name) for t in tiers()]
    form.channel_manager_id.choices = [SelectChoice("", _("— none —"))] + [
        SelectChoice(m.id, f"{m.name} <{m.email}>") for m in channel_managers()]
    return form


def _detail(application_id: int, status: int = 200, score=None, approve=None, reject=None):
    application = applications.get_application(current_user, application_id)
    criteria = scorecard.criteria()
    breakdown = scorecard.breakdown(application)
    mine = breakdown.mine(current_user.id)
    if score is None:
        data = {f"score-{c.id}": str(mine.scores[c.name]) for c in criteria if mine and c.name in mine.scores}
        score = score_form(criteria, {**data, "comment": mine.comment if mine else ""}, read_request=False)
    return render("applications/detail.html", status=status, application=application, criteria=criteria,
                  breakdown=breakdown, score_form=score, is_open=application.status in OPEN_APPLICATION,
                  duplicates=applications.duplicates_of([application]).get(application.id, []),
                  approve_form=approve or _approve_form(application, read_request=False),
                  reject_form=reject or RejectForm(formdata=None), type_labels=TYPE_LABELS,
                  regions=applications.REGIONS, status_labels=applications.STATUS_LABELS,
                  employee_bands=applications.EMPLOYEE_BANDS, revenue_bands=applications.REVENUE_BANDS)


@bp.get("/applications/<id:application_id>")
@require(Permission.REVIEW_APPLICATIONS)
def detail(application_id: int):
    return _detail(application_id)


@bp.post("/applications/<id:application_id>/score")
@require(Permission.REVIEW_APPLICATIONS)
def score(application_id: int):
    application = applications.get_application(current_user, application_id)
    criteria = scorecard.criteria()
    form = score_form(criteria)
    scores = {c.id: form[f"score-{c.id}"].data for c in criteria}
    if submit(form, lambda: scorecard.score(current_user, application, scores, form.comment.data)):
        flash(_("Your scores for %(number)s are saved.", number=application.number), "success")
        return redirect_to(url_for("applications.detail", application_id=application_id) + "#scorecard")
    db.session.rollback()
    return _detail(application_id, status=422, score=form)


@bp.post("/applications/<id:application_id>/approve")
@require(Permission.DECIDE_APPLICATIONS)
def approve(application_id: int):
    application = applications.get_application(current_user, application_id)
    form = _approve_form(application)
    if partner := submit(form, lambda: applications.approve(current_user, application_id, form.data)):
        flash(_("%(partner)s is a partner now; its partner admin was e-mailed an invitation.",
                partner=partner.name), "success")
        return redirect_to(url_for("partners.show", partner_id=partner.id))
    db.session.rollback()
    return _detail(application_id, status=422, approve=form)


@bp.post("/applications/<id:application_id>/reject")
@require(Permission.DECIDE_APPLICATIONS)
def reject(application_id: int):
    form = RejectForm()
    if saved := submit(form, lambda: applications.reject(current_user, application_id, form.reason.data)):
        flash(_("Application %(number)s is rejected; the applicant was e-mailed the reason.", number=saved.number),
              "success")
        return redirect_to(url_for("applications.detail", application_id=application_id))
    db.session.rollback()
    return _detail(application_id, status=422, reject=form)


# --- the scorecard's criteria ----------------------------------------------------------------------------

@bp.route("/applications/scorecard", methods=["GET", "POST"])
@require(Permission.DECIDE_APPLICATIONS)
def criteria():
    current = scorecard.criteria()
    rows = len(current) + NEW_CRITERIA_ROWS
    posted = request.form.get("rows", "")
    if request.method == "POST" and posted.isascii() and posted.isdigit() and len(posted) < 3:
        rows = min(max(int(posted), 1), scorecard.MAX_CRITERIA + NEW_CRITERIA_ROWS)
    data = {}
    for i, c in enumerate(current):
        data.update({f"id-{i}": str(c.id), f"name-{i}": c.name, f"weight-{i}": str(c.weight)})
    form = criteria_form(rows, data)

    def save():
        entered = [{"id": int(form[f"id-{i}"].data) if (form[f"id-{i}"].data or "").isdigit() else None,
                    "name": form[f"name-{i}"].data, "weight": form[f"weight-{i}"].data,
                    "remove": form[f"remove-{i}"].data} for i in range(rows)]
        return scorecard.save_criteria(current_user, entered)

    if submit(form, save):
        flash(_("The scorecard is saved."), "success")
        return redirect_to(url_for("applications.criteria"))
    if request.method == "POST":
        db.session.rollback()
    return render("applications/criteria.html", "form", status=form_status(form), form=form, rows=rows)
