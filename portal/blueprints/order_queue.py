"""Vendor side of ordering: the queue tabs (waiting approval, to ship, in transit, returns), an order's
detail with the step it is waiting for: approve / reject, ship, mark delivered, cancel, accept / decline a
return. The processing-time KPI sits above the tables."""

from __future__ import annotations

from flask import Blueprint, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.core.errors import Invalid
from portal.core.htmx import redirect_to, render
from portal.core.pagination import page_number
from portal.core.permissions import Permission, require
from portal.core.time import utcnow
from portal.extensions import db
from portal.orders import lifecycle, orders
from portal.orders import queue as service
from portal.orders.forms import DeclineReturnForm, QueueCancelForm, ReasonForm, ShipForm
from portal.orders.models import Order, ReturnRequest
from portal.pages import conditional
from portal.partners.models import Partner

bp = Blueprint("order_queue", __name__, url_prefix="/queue")
bp.add_app_template_filter(lifecycle.duration, "duration")


@bp.get("/")
@require(Permission.APPROVE_ORDERS)
@conditional(Order, ReturnRequest, Partner, per_minute=True)
def index():
    tab = request.args.get("tab", "submitted")
    if tab not in service.TABS:
        tab = "submitted"
    age = service.ager(utcnow())
    q = request.args.get("q", "").strip()[:service.SEARCH_MAX]
    if tab == "returns":
        page = service.waiting_returns(current_user, page_number(), 25)
        rows = [(row, age(row.return_created_at)) for row in page.items]
    elif tab == "all":
        page = service.all_orders(current_user, q, page_number(), 25)
        rows = [(row, None) for row in page.items]
    else:
        page = service.waiting(current_user, service.TABS[tab], page_number(), 25)
        rows = [(row, age(row.created_at)) for row in page.items]
    times = lifecycle.processing_times(current_user)
    return render("order_queue/index.html", "results", page=page, rows=rows, tab=tab, times=times, q=q)


def _detail(order, status: int = 200, errors: dict | None = None, entered: dict | None = None):
    partner, placed_by = service.parties(order)
    return render("order_queue/detail.html", status=status, order=order, lines=orders.lines(order),
                  partner=partner, placed_by=placed_by,
                  events=orders.timeline(order), returns=lifecycle.returns_of(order), age=service.age(order),
                  errors=errors or {}, entered=entered or {})


def _back(order, message: str):
    flash(message, "success")
    return redirect_to(url_for("order_queue.detail", order_id=order.id))


@bp.get("/<id:order_id>")
@require(Permission.APPROVE_ORDERS)
def detail(order_id: int):
    return _detail(service.get(current_user, order_id))


@bp.post("/<id:order_id>/approve")
@require(Permission.APPROVE_ORDERS)
def approve(order_id: int):
    order = service.approve(current_user, order_id)
    db.session.commit()
    flash(_("Order %(number)s is approved; its stock is reserved.", number=order.number), "success")
    return redirect_to(url_for("order_queue.index"))


@bp.post("/<id:order_id>/reject")
@require(Permission.APPROVE_ORDERS)
def reject(order_id: int):
    form = ReasonForm()
    reason = form.reason.data or ""
    try:
        if not form.validate():
            raise Invalid(form.errors)
        order = service.reject(current_user, order_id, reason)
    except Invalid as exc:
        db.session.rollback()
        return _detail(service.get(current_user, order_id), 422, exc.field_errors, {"reason": reason})
    db.session.commit()
    flash(_("Order %(number)s is rejected.", number=order.number), "success")
    return redirect_to(url_for("order_queue.index"))


@bp.post("/<id:order_id>/ship")
@require(Permission.APPROVE_ORDERS)
def ship(order_id: int):
    form = ShipForm()
    entered = {"carrier": form.carrier.data or "", "tracking": form.tracking.data or ""}
    try:
        if not form.validate():
            raise Invalid(form.errors)
        order = lifecycle.ship(current_user, order_id, entered["carrier"], entered["tracking"])
    except Invalid as exc:
        db.session.rollback()
        return _detail(service.get(current_user, order_id), 422, exc.field_errors, entered)
    db.session.commit()
    return _back(order, _("Order %(number)s is shipped.", number=order.number))


@bp.post("/<id:order_id>/deliver")
@require(Permission.APPROVE_ORDERS)
def deliver(order_id: int):
    order = lifecycle.deliver(current_user, order_id)
    db.session.commit()
    return _back(order, _("Order %(number)s is marked delivered.", number=order.number))


@bp.post("/<id:order_id>/cancel")
@require(Permission.APPROVE_ORDERS)
def cancel(order_id: int):
    form = QueueCancelForm()
    reason = form.cancel_reason.data or ""
    try:
        if not form.validate():
            raise Invalid({"reason": form.errors.get("cancel_reason", [])})
        order = lifecycle.cancel(current_user, order_id, reason)
    except Invalid as exc:
        db.session.rollback()
        return _detail(service.get(current_user, order_id), 422,
                       {"cancel_reason": exc.field_errors.get("reason", [])}, {"cancel_reason": reason})
    db.session.commit()
    return _back(order, _("Order %(number)s is cancelled.", number=order.number))


@bp.post("/returns/<id:return_id>/accept")
@require(Permission.APPROVE_ORDERS)
def accept_return(return_id: int):
    credit = lifecycle.accept_return(current_user, return_id, restock=request.form.get("restock") == "1")
    db.session.commit()
    flash(_("The return is accepted: credit %(number)s.", number=credit.number), "success")
    return redirect_to(url_for("order_queue.detail", order_id=credit.order_id))


@bp.post("/returns/<id:return_id>/decline")
@require(Permission.APPROVE_ORDERS)
def decline_return(return_id: int):
    form = DeclineReturnForm()
    reason = form.decline_reason.data or ""
    try:
        if not form.validate():
            raise Invalid(form.errors)
        returned = lifecycle.decline_return(current_user, return_id, reason)
    except Invalid as exc:
        db.session.rollback()
        order = lifecycle.get_return(current_user, return_id)[1]
        return _detail(order, 422, exc.field_errors, {"decline_reason": reason})
    db.session.commit()
    flash(_("Return %(number)s is declined.", number=returned.number), "success")
    return redirect_to(url_for("order_queue.detail", order_id=returned.order_id))
