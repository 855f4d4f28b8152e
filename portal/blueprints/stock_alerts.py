"""'Notify me when in stock': a partner user toggles their wish to hear when an out-of-stock product is back.

A plain form post answers 303 back to the product's page; an htmx request gets the product's out-of-stock
block back (the row or the product page swaps it in place)."""

from __future__ import annotations

from flask import Blueprint, flash, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.core.htmx import is_partial, redirect_to, render
from portal.core.permissions import Permission, require
from portal.extensions import db
from portal.stock_alerts import service

bp = Blueprint("stock_alerts", __name__, url_prefix="/catalogue")
bp.add_app_template_global(service.is_out_of_stock, "is_out_of_stock")


@bp.post("/<id:product_id>/stock-alert")
@require(Permission.PLACE_ORDERS)
def toggle(product_id: int):
    product, waiting = service.toggle(current_user, product_id)
    db.session.commit()
    if waiting:
        message = _("We will tell you when %(name)s is back in stock.", name=product.name)
    else:
        message = _("You will not be told when %(name)s is back in stock.", name=product.name)
    if is_partial():
        return render("stock_alerts/_toggle.html", product=product, waiting=waiting, message=message)
    flash(message, "success")
    return redirect_to(url_for("catalogue.product", product_id=product.id))
