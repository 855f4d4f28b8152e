"""Vendor side of ordering: the queue of submitted orders (oldest first), approve, reject with a reason."""

from __future__ import annotations

from flask import Blueprint, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.core.errors import Invalid
from portal.core.htmx import redirect_to, render
from portal.core.pagination import page_number, paginate
from portal.core.permissions import Permission, require
from portal.core.time import utcnow
from portal.extensions import db
from portal.orders import orders
from portal.orders import queue as service

bp = Blueprint("order_queue", __name__, url_prefix="/queue")


@bp.get("/")
@require(Permission.APPROVE_ORDERS)
def index():
    page = paginate(service.waiting(current_user), page_number(), 25, scalars=False)
    now = utcnow()
    rows = [(order, partner_name, service.age(order, now)) for order, partner_name in page.items]
    return render("order_queue/index.html", "results", page=page, rows=rows)


def _detail(order, status: int = 200, errors: dict | None = None, reason: str = ""):
    return render("order_queue/detail.html", status=status, order=order, lines=orders.lines(order),
                  age=service.age(order), errors=errors or {}, entered={"reason": reason})


@bp.get("/<int:order_id>")
@require(Permission.APPROVE_ORDERS)
def detail(order_id: int):
    return _detail(service.get(current_user, order_id))


@bp.post("/<int:order_id>/approve")
@require(Permission.APPROVE_ORDERS)
def approve(order_id: int):
    order = service.approve(current_user, order_id)
    db.session.commit()
    flash(_("Order %(number)s is approved; its stock is reserved.", number=order.number), "success")
    return redirect_to(url_for("order_queue.index"))


@bp.post("/<int:order_id>/reject")
@require(Permission.APPROVE_ORDERS)
def reject(order_id: int):
    reason = request.form.get("reason", "")
    try:
        order = service.reject(current_user, order_id, reason)
    except Invalid as exc:
        db.session.rollback()
        return _detail(service.get(current_user, order_id), 422, exc.field_errors, reason)
    db.session.commit()
    flash(_("Order %(number)s is rejected.", number=order.number), "success")
    return redirect_to(url_for("order_queue.index"))
