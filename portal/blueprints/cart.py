"""The partner user's cart: add from the catalogue, change quantities in place, remove, empty.

Every action works as a plain form post (303 back to the cart) and as an htmx request (the cart
block, or the add-to-cart form, comes back with the header badge as an out-of-band swap). A
refused quantity answers 422 with the message next to the quantity field; nothing changes.
"""

from __future__ import annotations

from flask import Blueprint, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.core.errors import Invalid, NotFound
from portal.core.htmx import is_partial, redirect_to, render
from portal.core.permissions import Permission, require
from portal.extensions import db
from portal.orders import cart
from portal.stock_alerts import service as stock_alerts

bp = Blueprint("cart", __name__, url_prefix="/cart")


def _with_badge(response):
    """htmx answers carry the header badge along (out of band)."""
    if is_partial():
        response.set_data(response.get_data(as_text=True) + render_template("cart/_badge.html", oob=True))
    return response


def _cart_page(status: int = 200, errors: dict[int, list[str]] | None = None,
               entered: dict[int, str] | None = None):
    items = cart.view(current_user)
    response = render("cart/index.html", "cart", status=status, cart=items, errors=errors or {},
                      entered=entered or {})
    return _with_badge(response)


def _int_arg(value) -> int | None:
    text = (value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


@bp.get("/")
@require(Permission.PLACE_ORDERS)
def index():
    return _cart_page()


@bp.post("/add")
@require(Permission.PLACE_ORDERS)
def add():
    product_id = _int_arg(request.form.get("product_id"))
    if product_id is None:
        raise NotFound(_("Product not found."))
    entered = request.form.get("quantity", "")
    try:
        line = cart.add(current_user, product_id, entered)
    except Invalid as exc:  # refused before anything was written
        product = cart.orderable_product(product_id)
        context = {"product": product, "entered": entered, "error": exc.field_errors.get("quantity", []),
                   "waiting": product.id in stock_alerts.waiting_for(current_user, [product.id])}
        if is_partial():
            return _with_badge(render("cart/_add_form.html", status=422, **context))
        return render("cart/add.html", status=422, **context)
    product = cart.orderable_product(product_id)
    db.session.commit()
    message = _("Added %(n)s × %(name)s to your cart (%(total)s in the cart).", n=cart.parse_quantity(entered),
                name=product.name, total=line.quantity)
    if is_partial():
        return _with_badge(render("cart/_add_form.html", product=product, message=message))
    flash(message, "success")
    return redirect_to(url_for("cart.index"))


@bp.post("/lines/<id:line_id>")
@require(Permission.PLACE_ORDERS)
def update(line_id: int):
    entered = request.form.get("quantity", "")
    try:
        cart.set_quantity(current_user, line_id, entered)
    except Invalid as exc:  # refused before anything was written
        return _cart_page(422, errors={line_id: exc.field_errors.get("quantity", [exc.message])},
                          entered={line_id: entered})
    db.session.commit()
    return _done()


@bp.post("/lines/<id:line_id>/remove")
@require(Permission.PLACE_ORDERS)
def remove(line_id: int):
    cart.remove(current_user, line_id)
    db.session.commit()
    return _done(_("Removed from your cart."))


@bp.post("/clear")
@require(Permission.PLACE_ORDERS)
def clear():
    cart.clear(current_user)
    db.session.commit()
    return _done(_("Your cart is empty."))


def _done(message: str | None = None):
    if message:
        flash(message, "success")
    if is_partial():
        return _cart_page()
    return redirect_to(url_for("cart.index"))
