"""Vendor side of deal registration: the review queue, a registration with its conflicts side by side and the
decisions (approve, reject with a reason, approve the earliest and reject the others), and the settings."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.core.forms import status as form_status
from portal.core.forms import submit
from portal.core.htmx import redirect_to, render
from portal.core.pagination import page_number
from portal.core.permissions import Permission, require
from portal.core.time import utcnow
from portal.deals import review, service
from portal.deals import settings as deal_settings
from portal.deals.forms import ActionForm, ReasonForm, SettingsForm
from portal.deals.models import Deal, DealKpi
from portal.extensions import db
from portal.pages import conditional
from portal.partners.models import Partner

bp = Blueprint("deal_review", __name__, url_prefix="/deal-review")
KPI_DAYS = 30


@bp.get("/")
@require(Permission.REVIEW_DEALS)
@conditional(Deal, Partner, DealKpi)
def index():
    status = request.args.get("status", "submitted").strip()[:20]
    page = review.queue_page(current_user, status, page_number())
    today = utcnow().date()
    total, conflicted, rate = review.conflict_rate(today - timedelta(days=KPI_DAYS), today + timedelta(days=1))
    return render("deal_review/index.html", "results", page=page, chosen=status,
                  statuses=tuple(service.STATUS_LABELS), kpi={"total": total, "conflicted": conflicted, "rate": rate,
                                                              "days": KPI_DAYS})


@bp.get("/<id:deal_id>")
@require(Permission.REVIEW_DEALS)
def detail(deal_id: int):
    return _detail_page(review.get(current_user, deal_id))


def _detail_page(deal, status: int = 200, reject_form=None):
    sides = review.conflicts(current_user, deal)
    return render("deal_review/detail.html", status=status, deal=deal, partner_name=review.partner_name(deal),
                  lines=service.lines(deal), events=service.history(deal), sides=sides,
                  reject_form=reject_form or ReasonForm(formdata=None), action_form=ActionForm(formdata=None),
                  days_left=service.days_left(deal))


def _decide(deal_id: int, action, done: str):
    form = ActionForm()
    if deal := submit(form, lambda: action(current_user, deal_id)):
        flash(done % {"number": deal.number}, "success")
    return redirect_to(url_for("deal_review.detail", deal_id=deal_id))


@bp.post("/<id:deal_id>/approve")
@require(Permission.REVIEW_DEALS)
def approve(deal_id: int):
    return _decide(deal_id, review.approve, _("Deal %(number)s is approved; its protection has started."))


@bp.post("/<id:deal_id>/resolve")
@require(Permission.REVIEW_DEALS)
def resolve(deal_id: int):
    return _decide(deal_id, review.resolve, _("Deal %(number)s, the earliest registration, is approved; the others "
                                              "are rejected."))


@bp.post("/<id:deal_id>/reject")
@require(Permission.REVIEW_DEALS)
def reject(deal_id: int):
    form = ReasonForm()
    if deal := submit(form, lambda: review.reject(current_user, deal_id, form.reason.data)):
        flash(_("Deal %(number)s is rejected.", number=deal.number), "success")
        return redirect_to(url_for("deal_review.detail", deal_id=deal_id))
    db.session.rollback()
    return _detail_page(review.get(current_user, deal_id), 422, reject_form=form)


@bp.route("/settings", methods=["GET", "POST"])
@require(Permission.MANAGE_DEAL_SETTINGS)
def settings():
    config = deal_settings.current()
    form = SettingsForm(data={"protection_days": config.protection_days, "extension_days": config.extension_days,
                              "threshold": config.threshold, "free_mail": config.free_mail_text})
    if submit(form, lambda: deal_settings.save(current_user, form.data)):
        flash(_("The deal settings are saved."), "success")
        return redirect_to(url_for("deal_review.settings"))
    return render("deal_review/settings.html", "form", status=form_status(form), form=form)
