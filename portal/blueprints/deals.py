"""Partner side of deal registration: register (with the live hint), my deals, a deal's detail and its
actions (one extension, withdraw, won, lost)."""

from __future__ import annotations

from flask import Blueprint, flash, request, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user

from portal.core.errors import Invalid
from portal.core.forms import status as form_status
from portal.core.forms import submit
from portal.core.htmx import redirect_to, render
from portal.core.pagination import page_number
from portal.core.permissions import Permission, require
from portal.core.time import DayError, parse_day, utcnow
from portal.deals import service
from portal.deals.forms import ActionForm, DealForm, ReasonForm, WonForm
from portal.deals.models import Deal
from portal.extensions import db
from portal.pages import conditional

bp = Blueprint("deals", __name__, url_prefix="/deals")


@bp.app_template_filter("deal_status")
def _status_label(status: str) -> str:
    return service.status_label(status)


def _today():
    return utcnow().astimezone(get_timezone()).date()


@bp.get("/")
@require(Permission.REGISTER_DEALS)
@conditional(Deal, per_minute=True)  # "days of protection left" moves with the clock
def index():
    query = request.args
    filters = {k: query.get(k, "").strip()[:100] for k in ("status", "expiry", "q")}
    page = service.page_of(current_user, service.Filters(**filters), page_number())
    return render("deals/index.html", "results", page=page, filters=filters, statuses=tuple(service.STATUS_LABELS),
                  days_left=service.days_left)


@bp.route("/new", methods=["GET", "POST"])
@require(Permission.REGISTER_DEALS)
def new():
    form = DealForm()
    if deal := submit(form, lambda: service.register(current_user, form.data, _today())):
        flash(_("Deal %(number)s is registered and under review; we will let you know.", number=deal.number),
              "success")
        return redirect_to(url_for("deals.detail", deal_id=deal.id))
    return render("deals/new.html", "form", status=form_status(form), form=form, today=_today().isoformat())


@bp.get("/hint")
@require(Permission.REGISTER_DEALS)
def hint():
    """While typing: may a registration for a similar customer exist? Yes or no, nothing else."""
    args = request.args
    similar = service.similar_exists(current_user, args.get("customer_name", ""), args.get("customer_domain", ""),
                                     args.get("company_id", ""))
    return render("deals/_hint.html", similar=similar)


@bp.get("/<id:deal_id>")
@require(Permission.REGISTER_DEALS)
def detail(deal_id: int):
    return _detail_page(service.get(current_user, deal_id))


def _detail_page(deal, status: int = 200, **forms):
    forms.setdefault("won_form", WonForm(formdata=None, data={"won_on": _today().isoformat()}))
    forms.setdefault("lost_form", ReasonForm(formdata=None))
    return render("deals/detail.html", status=status, deal=deal, lines=service.lines(deal),
                  events=service.history(deal), days_left=service.days_left(deal),
                  can_extend=service.can_extend(deal), action_form=ActionForm(formdata=None), **forms)


def _action(deal_id: int, action, done: str):
    form = ActionForm()
    if deal := submit(form, lambda: action(current_user, deal_id)):
        flash(done % {"number": deal.number}, "success")
    else:
        flash(" ".join(form.form_errors) or _("The form has expired; please try again."), "error")
    return redirect_to(url_for("deals.detail", deal_id=deal_id))


@bp.post("/<id:deal_id>/extend")
@require(Permission.REGISTER_DEALS)
def extend(deal_id: int):
    return _action(deal_id, service.extend, _("The protection of deal %(number)s is extended."))


@bp.post("/<id:deal_id>/withdraw")
@require(Permission.REGISTER_DEALS)
def withdraw(deal_id: int):
    return _action(deal_id, service.withdraw, _("Deal %(number)s is withdrawn."))


@bp.post("/<id:deal_id>/won")
@require(Permission.REGISTER_DEALS)
def won(deal_id: int):
    form = WonForm()

    def close():
        try:
            day = parse_day(form.won_on.data)
        except DayError as exc:
            raise Invalid({"won_on": [str(exc)]}) from exc
        return service.mark_won(current_user, deal_id, form.won_value.data, day, _today())

    if deal := submit(form, close):
        flash(_("Deal %(number)s is closed as won.", number=deal.number), "success")
        return redirect_to(url_for("deals.detail", deal_id=deal_id))
    db.session.rollback()
    return _detail_page(service.get(current_user, deal_id), 422, won_form=form)


@bp.post("/<id:deal_id>/lost")
@require(Permission.REGISTER_DEALS)
def lost(deal_id: int):
    form = ReasonForm()
    if deal := submit(form, lambda: service.mark_lost(current_user, deal_id, form.reason.data)):
        flash(_("Deal %(number)s is closed as lost.", number=deal.number), "success")
        return redirect_to(url_for("deals.detail", deal_id=deal_id))
    db.session.rollback()
    return _detail_page(service.get(current_user, deal_id), 422, lost_form=form)
