"""'Notify me when in stock'.

The rules:
- A partner user (who may order) can ask to be told when a product they see is back in stock — only while
  it is out of stock (the catalogue's rule, ``catalogue.service.stock_status``: fewer units than one minimum
  order). Asking again withdraws the request (a toggle).
- Whenever stock can have grown (an admin's edit, a CSV import, a cancelled approved order, a restocked
  return) the code that changed it calls ``release(product_ids)``: every product among them that can be
  ordered again (active, at least one minimum order on hand) tells each waiting user ONCE — an in-app
  notification rendered in the reader's language and an e-mail in theirs, linking to the product — and their
  requests are consumed. A product still out of stock keeps its waiting users.
Services flush, never commit.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import delete, select

from portal.accounts.models import User
from portal.catalogue.models import Product
from portal.catalogue.service import stock_status
from portal.core.errors import Conflict, Forbidden
from portal.core.permissions import Permission
from portal.extensions import db
from portal.notifications.service import notify
from portal.orders.cart import orderable_product
from portal.stock_alerts.models import StockAlert


def is_out_of_stock(product) -> bool:
    return stock_status(product.stock_on_hand, product.min_order_qty) == "out"


def _check_actor(user) -> None:
    if not user.can(Permission.PLACE_ORDERS):
        raise Forbidden(_("Only partner users who order can be told when a product is back in stock."))


def waiting_for(user, product_ids) -> set[int]:
    """The ids among ``product_ids`` the user waits for (one query; none when there is nothing to ask)."""
    ids = list(product_ids)
    if not ids or not user.can(Permission.PLACE_ORDERS):
        return set()
    return set(db.session.scalars(select(StockAlert.product_id).where(StockAlert.user_id == user.id,
                                                                      StockAlert.product_id.in_(ids))))


def toggle(user, product_id: int) -> tuple[Product, bool]:
    """Ask to be told when the product is back in stock, or withdraw the request. Returns (the product,
    whether the user now waits for it). A product in stock cannot be waited for: Conflict (order it)."""
    _check_actor(user)
    product = orderable_product(product_id)  # partners: active products only; another id → 404
    alert = db.session.scalar(select(StockAlert).where(StockAlert.user_id == user.id,
                                                       StockAlert.product_id == product.id))
    if alert is not None:
        db.session.delete(alert)
        db.session.flush()
        return product, False
    if not is_out_of_stock(product):
        raise Conflict(_("%(name)s is in stock: you can order it now.", name=product.name))
    db.session.add(StockAlert(user_id=user.id, product_id=product.id))
    db.session.flush()
    return product, True


def release(product_ids) -> int:
    """Tell the users waiting for any of ``product_ids`` that can be ordered again, once, and consume their
    requests. Returns how many were told."""
    ids = sorted(set(product_ids))
    if not ids:
        return 0
    rows = db.session.execute(
        select(StockAlert, User, Product).join(User, User.id == StockAlert.user_id)
        .join(Product, Product.id == StockAlert.product_id).where(StockAlert.product_id.in_(ids))
        .order_by(StockAlert.product_id, StockAlert.id)
        .execution_options(populate_existing=True)).all()  # stock changed by UPDATE statements: read it again
    told: list[int] = []
    for alert, user, product in rows:
        if not product.active or is_out_of_stock(product):
            continue
        if user.active:
            # the request's own time in the key: a later request for the same product is a new event
            notify(f"stock-available:{product.id}:{user.id}:{alert.created_at.timestamp():.6f}", [user],
                   "stock_available", link=f"/catalogue/{product.id}", product_name=product.name,
                   sku=product.sku)
        told.append(alert.id)
    if told:
        db.session.execute(delete(StockAlert).where(StockAlert.id.in_(told)))
    return len(told)
