"""/api/v1/orders — list, get, create (idempotent) and cancel orders, over the web pages' own services.

Creating an order uses checkout's core (``portal.orders.checkout.place_lines``): the same pricing,
validation, auto-approval and stock reservation as the web checkout, but from the lines in the body;
the user's cart is not touched. The ``Idempotency-Key`` header is required: the same key with the same
request returns the order it made (200 instead of 201); the same key with a different request is a 409.
Partner users see their company's orders; vendor staff who handle orders (admins, channel managers)
may read the orders in their scope, but only partner users create or cancel. Another partner's order is
a 404. Money comes twice, never as a JSON float: integer cents and an exact decimal string ("1999.00").
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from flask import request
from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from portal.blueprints.api.base import Day, Header, operation
from portal.core.errors import Invalid
from portal.core.money import from_cents
from portal.core.pagination import MAX_PAGE_SIZE, paginate
from portal.core.permissions import Permission
from portal.core.time import to_zone, utcnow
from portal.orders import checkout, orders
from portal.orders.cart import MAX_QUANTITY
from portal.orders.models import Order

MONEY_PATTERN = r"^-?\d+\.\d{2}$"
MAX_ID = 2**31 - 1
DEFAULT_PAGE_SIZE = 50
MAX_PAGE = 100_000

Status = Literal["submitted", "approved", "rejected", "shipped", "delivered", "cancelled", "returned"]


# --- models --------------------------------------------------------------------------------------------

class OrderListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    status: Status | None = Field(default=None, description="Only orders with this status.")
    po: str = Field(default="", max_length=100, description="PO number contains this (case-insensitive).")
    sku: str = Field(default="", max_length=100, description="Only orders with a line of this exact SKU.")
    date_from: Day | None = Field(default=None, alias="from",
                                   description="Placed on or after this day (in your time zone), YYYY-MM-DD.")
    date_to: Day | None = Field(default=None, alias="to",
                                 description="Placed on or before this day (in your time zone), YYYY-MM-DD.")
    page: int = Field(default=1, ge=1, le=MAX_PAGE, description="1-based page number.")
    per_page: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="Items per page.")


class OrderSummary(BaseModel):
    id: int
    number: str
    status: Status
    po_number: str
    created_at: datetime = Field(description="When it was placed (UTC, ISO 8601).")
    requested_date: date
    currency: str = Field(description="ISO 4217 code, e.g. USD")
    total: str = Field(pattern=MONEY_PATTERN, examples=["1234.50"], description="Exact decimal, major units.")
    total_cents: int = Field(examples=[123450])
    carrier: str
    tracking_number: str


class OrderPage(BaseModel):
    items: list[OrderSummary]
    page: int
    per_page: int
    has_next: bool


class OrderLineOut(BaseModel):
    product_id: int | None = Field(description="null when the product was deleted since")
    sku: str
    name: str
    quantity: int
    list_price: str = Field(pattern=MONEY_PATTERN, examples=["12.34"])
    list_price_cents: int
    net_unit_price: str = Field(pattern=MONEY_PATTERN, examples=["11.11"],
                                description="The unit price paid, snapshotted when the order was placed.")
    net_unit_cents: int
    line_total: str = Field(pattern=MONEY_PATTERN, examples=["33.33"])
    line_total_cents: int
    tier_name: str
    discount_percent: str = Field(pattern=MONEY_PATTERN, examples=["10.00"],
                                  description="The tier discount applied (0.00 when a tier price was used).")


class TimelineEvent(BaseModel):
    at: datetime
    from_status: str = Field(description="empty for the first step")
    to_status: Status
    automatic: bool = Field(description="true when nobody did it by hand (e.g. approval within the limit)")
    note: str


class OrderOut(OrderSummary):
    partner_id: int
    shipping_address: str
    notes: str
    approved_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None
    lines: list[OrderLineOut]
    timeline: list[TimelineEvent]


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str | None = Field(default=None, min_length=1, max_length=64, description="Give sku or product_id.")
    product_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="Give sku or product_id.")
    quantity: StrictInt = Field(description=f"A whole number from the product's minimum order quantity up to "
                                            f"{MAX_QUANTITY}, and no more than is in stock.")


class AddressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(default="", max_length=80)
    lines: str = Field(max_length=300, description="Street and number")
    city: str = Field(max_length=100)
    postcode: str = Field(max_length=20)
    country: str = Field(max_length=60)


class OrderCreate(BaseModel):
    """Send the header ``Idempotency-Key`` (8–64 letters, digits or ``. _ : -``) with every new order."""

    model_config = ConfigDict(extra="forbid")

    lines: list[LineIn] = Field(min_length=1, max_length=checkout.MAX_LINES)
    po_number: str = Field(max_length=checkout.PO_MAX)
    requested_date: Day = Field(description="Today or later (in your time zone), YYYY-MM-DD.")
    address_id: int | None = Field(default=None, ge=1, le=MAX_ID,
                                   description="One of your company's saved addresses; or send `address`.")
    address: AddressIn | None = Field(default=None, description="A new address (saved for your company).")
    notes: str = Field(default="", max_length=checkout.NOTES_MAX)


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="", max_length=500)


# --- mapping --------------------------------------------------------------------------------------------

def _money(cents: int) -> str:
    return str(from_cents(cents))


def _summary_fields(order: Order) -> dict:
    return {"id": order.id, "number": order.number or "", "status": order.status, "po_number": order.po_number,
            "created_at": order.created_at, "requested_date": order.requested_date, "currency": order.currency,
            "total": _money(order.total_cents), "total_cents": order.total_cents, "carrier": order.carrier or "",
            "tracking_number": order.tracking_number or ""}


def _detail(order: Order) -> OrderOut:
    lines = [OrderLineOut(product_id=line.product_id, sku=line.sku, name=line.name, quantity=line.quantity,
                          list_price=_money(line.list_price_cents), list_price_cents=line.list_price_cents,
                          net_unit_price=_money(line.net_unit_cents), net_unit_cents=line.net_unit_cents,
                          line_total=_money(line.line_total_cents), line_total_cents=line.line_total_cents,
                          tier_name=line.tier_name or "", discount_percent=_money(line.discount_bp or 0))
             for line in orders.lines(order)]
    timeline = [TimelineEvent(at=event.at, from_status=event.from_status or "", to_status=event.to_status,
                              automatic=event.actor_id is None, note=event.note or "")
                for event in orders.timeline(order)]
    return OrderOut(**_summary_fields(order), partner_id=order.partner_id, shipping_address=order.shipping_address,
                    notes=order.notes or "", approved_at=order.approved_at, shipped_at=order.shipped_at,
                    delivered_at=order.delivered_at, cancelled_at=order.cancelled_at, lines=lines, timeline=timeline)


def _form(body: OrderCreate) -> dict:
    """The body as checkout's form fields."""
    if body.address_id is not None and body.address is not None:
        raise Invalid({"address": [_("Send address_id or address, not both.")]})
    form = {"po_number": body.po_number, "requested_date": body.requested_date.isoformat(), "notes": body.notes}
    if body.address_id is not None:
        form["address_id"] = str(body.address_id)
    elif body.address is not None:
        form.update(address_id="new", **body.address.model_dump())
    else:
        raise Invalid({"address_id": [_("Send address_id or a new address.")]})
    return form


# --- operations -----------------------------------------------------------------------------------------

@operation("/orders", summary="List the orders you may see, newest first", query=OrderListQuery,
           response=OrderPage, tags=("orders",))
def list_orders(user, query: OrderListQuery) -> OrderPage:
    filters = orders.Filters(status=query.status or "", po=query.po.strip(), sku=query.sku.strip(),
                             date_from=query.date_from, date_to=query.date_to)
    stmt = orders.list_orders(user, filters, user.timezone or "UTC", staff=True)
    page = paginate(stmt, query.page, query.per_page)
    return OrderPage(items=[OrderSummary(**_summary_fields(order)) for order in page.items], page=page.number,
                     per_page=page.size, has_next=page.has_next)


@operation("/orders/<id:order_id>", summary="One order with its lines, prices and status timeline",
           response=OrderOut, tags=("orders",))
def get_order(user, order_id: int) -> OrderOut:
    return _detail(orders.get(user, order_id, staff=True))


@operation("/orders", "POST", summary="Place an order", body=OrderCreate, response=OrderOut,
           permission=Permission.PLACE_ORDERS, status=201, tags=("orders",),
           headers=(Header("Idempotency-Key", "Required. A new key (8–64 letters, digits or . _ : -) per new order; "
                           "sending the same request again with the same key returns the same order (200).",
                           pattern=r"^[A-Za-z0-9._:-]{8,64}$"),),
           also={200: "The order this Idempotency-Key already made (a replay): nothing new is written",
                 409: "The Idempotency-Key was used for a different request, or there is not enough stock"})
def create_order(user, body: OrderCreate):
    key = request.headers.get("Idempotency-Key", "")
    wanted = [checkout.WantedLine(quantity=line.quantity, sku=line.sku, product_id=line.product_id)
              for line in body.lines]
    today = to_zone(utcnow(), user.timezone or "UTC").date()
    order, created = checkout.place_lines(user, key, _form(body), wanted, today)
    return _detail(order), 201 if created else 200


@operation("/orders/<id:order_id>/cancel", "POST", summary="Cancel an order that is not shipped yet",
           body=CancelIn, response=OrderOut, permission=Permission.PLACE_ORDERS, tags=("orders",),
           also={409: "The order is shipped or already decided: it cannot be cancelled"})
def cancel_order(user, body: CancelIn, order_id: int) -> OrderOut:
    from portal.orders import lifecycle

    orders.get(user, order_id)  # another partner's order: 404 before anything else
    return _detail(lifecycle.cancel(user, order_id, body.reason))
