"""Partner side of ordering: check out the cart (idempotent), order history and an order's detail."""

from __future__ import annotations

from flask import Blueprint, flash, request, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user

from portal.core import csv as csv_file
from portal.core.errors import Invalid
from portal.core.htmx import redirect_to, render
from portal.core.i18n import select_timezone
from portal.core.pagination import page_number
from portal.core.permissions import Permission, require
from portal.core.time import utcnow
from portal.extensions import db
from portal.orders import checkout as service
from portal.orders import lifecycle, orders
from portal.orders.forms import CheckoutForm, ReasonForm
from portal.orders.models import Order, OrderLine
from portal.orders.queue import OutOfStock
from portal.pages import conditional

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
    checkout_form = CheckoutForm()
    form = {name: checkout_form[name].data or "" for name in (*FORM_FIELDS, "idempotency_key")}
    entered, key = {k: form[k] for k in FORM_FIELDS}, form["idempotency_key"]
    if not checkout_form.validate():  # the input rule: control characters are refused next to their field
        return _checkout_page(422, errors=checkout_form.errors, entered=entered, key=key)
    try:
        order, _created = service.place(current_user, form, _today())
    except Invalid as exc:  # refused before anything was written
        return _checkout_page(422, errors=exc.field_errors, entered=entered, key=key)
    except OutOfStock as exc:  # not enough stock: nothing was written, the cart is kept
        db.session.expire_all()  # show the lines with the stock as it is now
        return _checkout_page(409, errors={"cart": [exc.message]}, entered=entered, key=key)
    db.session.commit()
    # a repeat of the same checkout (double click, retry) gets the same confirmation: the browser shows the
    # answer to the last request it sent, whose session never saw the first request's message
    flash(_("Order %(number)s is placed.", number=order.number), "success")
    return redirect_to(url_for("orders.detail", order_id=order.id))


@bp.get("/orders/")
@require(Permission.PLACE_ORDERS)
@conditional(Order, OrderLine)
def index():
    args, filters = _filters()
    page = orders.history_page(current_user, filters, select_timezone(), page_number(), 25)
    return render("orders/index.html", "results", page=page, filters=args, statuses=tuple(orders.STATUS_LABELS))


def _filters() -> tuple[dict[str, str], orders.Filters]:
    query = request.args
    args = {k: query.get(k, "").strip()[:100] for k in ("status", "po", "sku", "from", "to")}
    days = orders.parse_filter_days({"from": args["from"], "to": args["to"]})  # out of range: 422 naming it
    return args, orders.Filters(status=args["status"], po=args["po"], sku=args["sku"], date_from=days["from"],
                                date_to=days["to"])


@bp.get("/orders/export.csv")
@require(Permission.PLACE_ORDERS)
def export():
    """The filtered order list as CSV (UTF-8 with BOM), streamed in chunks."""
    _args, filters = _filters()
    rows = orders.export_rows(current_user, filters, select_timezone())  # checks permission now, reads when streamed
    return csv_file.download(f"orders-{_today():%Y%m%d}.csv", orders.export_header(), rows)


@bp.post("/orders/<id:order_id>/reorder")
@require(Permission.PLACE_ORDERS)
def reorder(order_id: int):
    done = orders.reorder(current_user, order_id)
    db.session.commit()
    if done.added:
        flash(_("Added to your cart: %(items)s.", items=", ".join(done.added)), "success")
    if done.skipped:
        flash(_("Not added: %(items)s.", items=", ".join(done.skipped)), "error")
    return redirect_to(url_for("cart.index"))


@bp.get("/orders/<id:order_id>")
@require(Permission.PLACE_ORDERS)
def detail(order_id: int):
    return _detail_page(orders.get(current_user, order_id))


def _detail_page(order, status: int = 200, **ctx):
    lines, returns = orders.lines(order), lifecycle.returns_of(order)
    return render("orders/detail.html", status=status, order=order, lines=lines, events=orders.timeline(order),
                  returns=returns, can_return=lifecycle.can_request_return(order, lines, returns), **ctx)


# --- after the order is placed: cancel before shipping, ask for a return after delivery (lifecycle.py) ----

@bp.post("/orders/<id:order_id>/cancel")
@require(Permission.PLACE_ORDERS)
def cancel(order_id: int):
    form = ReasonForm()
    reason = form.reason.data or ""
    try:
        if not form.validate():
            raise Invalid(form.errors)
        order = lifecycle.cancel(current_user, order_id, reason)
    except Invalid as exc:
        db.session.rollback()
        return _detail_page(orders.get(current_user, order_id), 422, errors=exc.field_errors,
                            entered={"reason": reason})
    db.session.commit()
    flash(_("Order %(number)s is cancelled.", number=order.number), "success")
    return redirect_to(url_for("orders.detail", order_id=order.id))


def _return_page(order, status: int = 200, errors: dict | None = None, entered: dict | None = None):
    lines = orders.lines(order)
    return render("orders/return.html", status=status, order=order, lines=lines,
                  left=lifecycle.returnable(order, lines), errors=errors or {}, entered=entered or {})


@bp.get("/orders/<id:order_id>/return")
@require(Permission.PLACE_ORDERS)
def return_form(order_id: int):
    order = orders.get(current_user, order_id)
    lifecycle.check_returnable(order)
    return _return_page(order)


@bp.post("/orders/<id:order_id>/return")
@require(Permission.PLACE_ORDERS)
def request_return(order_id: int):
    quantities = {key.removeprefix("quantity-"): value.strip()[:20] for key, value in request.form.items()
                  if key.startswith("quantity-")}
    form = ReasonForm()
    reason = form.reason.data or ""
    try:
        if not form.validate():
            raise Invalid(form.errors)
        returned = lifecycle.request_return(current_user, order_id, quantities, reason)
    except Invalid as exc:
        db.session.rollback()
        entered = {f"quantity-{key}": value for key, value in quantities.items()} | {"reason": reason}
        return _return_page(orders.get(current_user, order_id), 422, exc.field_errors, entered)
    db.session.commit()
    flash(_("Return %(number)s is requested; we will let you know.", number=returned.number), "success")
    return redirect_to(url_for("orders.detail", order_id=order_id))
