"""Partner side of ordering: check out the cart (idempotent), order history and an order's detail."""

from __future__ import annotations

from flask import Blueprint, flash, request, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user

from portal.core.errors import Invalid
from portal.core.htmx import redirect_to, render
from portal.core.pagination import page_number, paginate
from portal.core.permissions import Permission, require
from portal.core.time import utcnow
from portal.extensions import db
from portal.orders import checkout as service
from portal.orders import orders
from portal.web import select_timezone

bp = Blueprint("orders", __name__)

FORM_FIELDS = ("po_number", "requested_date", "notes", "address_id", "label", "lines", "city", "postcode",
               "country")


@bp.app_template_filter("order_status")
def _status_label(status: str) -> str:
    label = orders.STATUS_LABELS.get(status)
    return str(label) if label is not None else status


def _today():
    return utcnow().astimezone(get_timezone()).date()


def _checkout_page(status: int = 200, errors: dict | None = None, entered: dict | None = None, key: str = ""):
    lines = service.snapshot(current_user)
    totals: dict[str, int] = {}
    for line in lines:
        if not line.problem:
            totals[line.currency] = totals.get(line.currency, 0) + line.total_cents
    saved = service.addresses(current_user)
    entered = entered or {}
    if "address_id" not in entered:
        entered["address_id"] = str(saved[0].id) if saved else "new"
    return render("orders/checkout.html", "checkout", status=status, lines=lines, totals=totals,
                  has_problems=any(line.problem for line in lines), addresses=saved, errors=errors or {},
                  entered=entered, key=key or service.new_key(), today=_today().isoformat())


@bp.get("/checkout")
@require(Permission.PLACE_ORDERS)
def checkout():
    return _checkout_page()


@bp.post("/checkout")
@require(Permission.PLACE_ORDERS)
def place():
    form = {name: request.form.get(name, "") for name in (*FORM_FIELDS, "idempotency_key")}
    try:
        order, created = service.place(current_user, form, _today())
    except Invalid as exc:  # refused before anything was written
        return _checkout_page(422, errors=exc.field_errors, entered={k: form[k] for k in FORM_FIELDS},
                              key=form["idempotency_key"])
    db.session.commit()
    if created:
        flash(_("Order %(number)s is placed.", number=order.number), "success")
    return redirect_to(url_for("orders.detail", order_id=order.id))


@bp.get("/orders/")
@require(Permission.PLACE_ORDERS)
def index():
    args = {k: request.args.get(k, "").strip()[:100] for k in ("status", "po", "sku", "from", "to")}
    filters = orders.Filters(status=args["status"], po=args["po"], sku=args["sku"],
                             date_from=orders.parse_date(args["from"]), date_to=orders.parse_date(args["to"]))
    page = paginate(orders.list_orders(current_user, filters, select_timezone()), page_number(), 25)
    return render("orders/index.html", "results", page=page, filters=args, statuses=list(orders.STATUS_LABELS))


@bp.get("/orders/<int:order_id>")
@require(Permission.PLACE_ORDERS)
def detail(order_id: int):
    order = orders.get(current_user, order_id)
    return render("orders/detail.html", order=order, lines=orders.lines(order), events=orders.timeline(order))
