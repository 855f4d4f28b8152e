"""Quarterly evaluations: the channel manager's draft, sharing it, and the partner's view and acknowledgement."""

from __future__ import annotations

from flask import Blueprint, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.core.errors import NotFound
from portal.core.forms import Form, submit
from portal.core.forms import status as form_status
from portal.core.htmx import redirect_to, render
from portal.core.permissions import Permission, require
from portal.extensions import db
from portal.partners import evaluations, service
from portal.partners.forms import EvaluationStartForm, evaluation_form

bp = Blueprint("evaluations", __name__)

EMPTY_ACTION_ROWS = 2


@bp.post("/partners/<id:partner_id>/evaluations")
@require(Permission.WRITE_EVALUATIONS)
def create(partner_id: int):
    from portal.blueprints.partners import partner_page

    service.get_partner(current_user, partner_id)
    form = EvaluationStartForm()
    if saved := submit(form, lambda: evaluations.create(current_user, partner_id, form.period.data)):
        flash(_("The evaluation for %(year)s Q%(quarter)s is started as a draft.", year=saved.year,
                quarter=saved.quarter), "success")
        return redirect_to(url_for("evaluations.edit", partner_id=partner_id, evaluation_id=saved.id))
    db.session.rollback()
    return partner_page(partner_id, status=422, start_form=form)


def _evaluation(partner_id: int, evaluation_id: int):
    evaluation = evaluations.get(current_user, evaluation_id)
    if evaluation.partner_id != partner_id:
        raise NotFound(_("Evaluation not found."))
    return service.get_partner(current_user, partner_id), evaluation


def _rows(count: int) -> int:
    return min(count + EMPTY_ACTION_ROWS, evaluations.MAX_ACTIONS)


@bp.route("/partners/<id:partner_id>/evaluations/<id:evaluation_id>", methods=["GET", "POST"])
@require(Permission.WRITE_EVALUATIONS)
def edit(partner_id: int, evaluation_id: int):
    partner, evaluation = _evaluation(partner_id, evaluation_id)
    actions = evaluations.actions_of(evaluation)
    rows = _rows(len(actions))
    data = {"customer_satisfaction": str(evaluation.customer_satisfaction or ""),
            "marketing_participation": str(evaluation.marketing_participation or ""), "notes": evaluation.notes}
    for i, action in enumerate(actions):
        data.update({f"action-{i}": action.description, f"due-{i}": action.due_on.isoformat()})
    form = evaluation_form(rows, data)

    def save():
        plan = [{"description": form[f"action-{i}"].data, "due_on": form[f"due-{i}"].data} for i in range(rows)]
        return evaluations.save(current_user, evaluation_id, form.data, plan)

    if submit(form, save):
        flash(_("The evaluation is saved."), "success")
        return redirect_to(url_for("evaluations.edit", partner_id=partner_id, evaluation_id=evaluation_id))
    if request.method == "POST":
        db.session.rollback()
        partner, evaluation = _evaluation(partner_id, evaluation_id)
    return render("evaluations/edit.html", "form", status=form_status(form), form=form, rows=rows,
                  partner=partner, evaluation=evaluation, actions=evaluations.actions_of(evaluation),
                  labels=evaluations.STATUS_LABELS, plain=Form(formdata=None))


@bp.post("/partners/<id:partner_id>/evaluations/<id:evaluation_id>/<any(kpis, share):step>")
@require(Permission.WRITE_EVALUATIONS)
def advance(partner_id: int, evaluation_id: int, step: str):
    """Compute a draft's KPIs again, or share it with the partner (e-mailed)."""
    # CSRF: checked app-wide (CSRFProtect) before the view runs
    _evaluation(partner_id, evaluation_id)
    if step == "kpis":
        evaluations.refresh_kpis(current_user, evaluation_id)
        message = _("The KPIs are computed again.")
    else:
        evaluations.share(current_user, evaluation_id)
        message = _("The evaluation is shared; the partner's people were e-mailed.")
    db.session.commit()
    flash(message, "success")
    return redirect_to(url_for("evaluations.edit", partner_id=partner_id, evaluation_id=evaluation_id))


# --- the partner's side --------------------------------------------------------------------------------------

@bp.get("/partnership/evaluations/<id:evaluation_id>")
@require(Permission.VIEW_PARTNERSHIP)
def view(evaluation_id: int):
    evaluation = evaluations.get(current_user, evaluation_id)
    return render("evaluations/view.html", evaluation=evaluation, actions=evaluations.actions_of(evaluation),
                  labels=evaluations.PARTNER_LABELS, plain=Form(formdata=None))


@bp.post("/partnership/evaluations/<id:evaluation_id>/acknowledge")
@require(Permission.ACKNOWLEDGE_EVALUATIONS)
def acknowledge(evaluation_id: int):
    # CSRF: checked app-wide (CSRFProtect) before the view runs
    evaluations.acknowledge(current_user, evaluation_id)
    db.session.commit()
    flash(_("Thank you: the evaluation is acknowledged."), "success")
    return redirect_to(url_for("evaluations.view", evaluation_id=evaluation_id))
