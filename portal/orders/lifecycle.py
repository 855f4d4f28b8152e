"""An order after checkout: ship, deliver, cancel, returns → credits; the processing-time KPI.

Status moves only along ``submitted → approved → shipped → delivered``, ``rejected`` from submitted,
``cancelled`` from submitted or approved, ``returned`` after delivery. Each move is ONE conditional
UPDATE that claims the old status, so two people cannot both do it; anything else is a ``Conflict``
naming the order and its status. Every move adds an ``OrderEvent`` and an audit entry and tells the
people involved in the order once each (``involved``: the placer, the partner's people who acted on it,
partner admins following the company's orders; e-mail + in-app; the event key makes a repeat add
nothing). Cancelling an approved order gives its reserved stock back in the same savepoint as the status
claim. Services flush, never commit.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import astuple, dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from redis.exceptions import RedisError
from sqlalchemy import and_, case, func, or_, select, update

from portal.accounts.models import User
from portal.catalogue.models import Product
from portal.core import audit, queue
from portal.core.errors import Conflict, Forbidden, Invalid, NotFound
from portal.core.permissions import Permission, Role
from portal.core.time import utcnow
from portal.extensions import db
from portal.notifications.service import notify
from portal.orders.models import Credit, CreditLine, Order, OrderEvent, OrderLine, ReturnLine, ReturnRequest
from portal.partners.models import Partner
from portal.partners.service import partner_scope, require_trading, scope_of
from portal.stock_alerts import service as stock_alerts

REASON_MAX = 500
RETURN_REASON_MAX = 1000
CARRIER_MAX = 60
TRACKING_MAX = 100
QUANTITY_DIGITS = 9
RETURN_STATUS = {"requested": _l("requested"), "accepted": _l("accepted"), "declined": _l("declined")}
# statuses an order may have once it was approved (the KPI only looks at these)
AFTER_APPROVAL = ("approved", "shipped", "delivered", "returned", "cancelled")


def status_label(status: str) -> str:
    from portal.orders.orders import STATUS_LABELS

    label = STATUS_LABELS.get(status)
    return str(label) if label is not None else status


def _allowed(user, *permissions: Permission) -> None:
    if not any(user.can(p) for p in permissions):
        raise Forbidden(_("You do not have permission to do that."))


def get(user, order_id: int, *permissions: Permission) -> Order:
    """The order if ``user`` holds one of ``permissions`` and the order is in their scope; else 403 / 404."""
    _allowed(user, *(permissions or (Permission.APPROVE_ORDERS,)))
    order = db.session.scalar(select(Order).where(Order.id == order_id, partner_scope(user, Order.partner_id)))
    if order is None:
        raise NotFound(_("Order not found."))
    return order


def _not_now(order: Order, message: str) -> Conflict:
    return Conflict(_("Order %(number)s is %(status)s; %(rule)s", number=order.number,
                      status=status_label(order.status).lower(), rule=message))


def _claim(order: Order, from_statuses: tuple[str, ...], to_status: str, **values) -> None:
    """Move the order to ``to_status`` only if it still has one of ``from_statuses`` (one UPDATE)."""
    claimed = db.session.execute(
        update(Order).where(Order.id == order.id, Order.status.in_(from_statuses))
        .values(status=to_status, **values).execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        db.session.refresh(order)
        raise Conflict(_("Order %(number)s was just changed by someone else; it is %(status)s now.",
                         number=order.number, status=status_label(order.status).lower()))


def involved(order: Order) -> list[User]:
    """Who is told about an order: the person who placed it, the partner's people who acted on it (cancelled
    it, asked for a return …) and the partner admins who follow all of the company's orders — active ones,
    each once (one query)."""
    acted = select(OrderEvent.actor_id).where(OrderEvent.order_id == order.id, OrderEvent.actor_id.is_not(None))
    asked = select(ReturnRequest.requested_by).where(ReturnRequest.order_id == order.id)
    return list(db.session.scalars(select(User).where(
        User.partner_id == order.partner_id, User.active.is_(True),
        or_(User.id == order.placed_by, User.id.in_(acted), User.id.in_(asked),
            and_(User.follows_company_orders.is_(True), User.role == Role.PARTNER_ADMIN.value)))
        .order_by(User.id)))


def record_transition(user, order: Order, from_status: str, to_status: str, note: str = "",
                      event_key: str | None = None, **context) -> None:
    """The timeline step, the audit entry and the (once-only) message to everyone ``involved``."""
    db.session.add(OrderEvent(order_id=order.id, at=utcnow(), actor_id=getattr(user, "id", None),
                              from_status=from_status, to_status=to_status, note=note[:500]))
    db.session.flush()
    before: dict = {"status": from_status}
    after: dict = {"status": to_status, **({"reason": note} if note else {})}
    for key in ("carrier", "tracking_number", "credit", "credit_total_cents"):
        if key in context:
            before[key] = "" if key in ("carrier", "tracking_number") else None
            after[key] = context[key]
    audit.record(user, f"order.{to_status}", order, partner_id=order.partner_id,
                 before=before, after=after, summary=order.number or "")
    notify(event_key or f"order-status:{order.id}:{to_status}", involved(order), "order_status",
           link=f"/orders/{order.id}", order=order, reason=note, **context)


def kpi_seconds(order: Order, at: datetime) -> int:
    return max(int((at - order.created_at).total_seconds()), 0)


# --- shipping --------------------------------------------------------------------------------------------

def _code(value: str, name: str, limit: int, errors: dict[str, list[str]], missing: str) -> str:
    value = " ".join((value or "").split())
    if not value:
        errors[name] = [missing]
    elif len(value) > limit:
        errors[name] = [_("At most %(n)s characters.", n=limit)]
    elif not all((ch.isascii() and ch.isalnum()) or ch in " -." for ch in value):
        errors[name] = [_("Use letters, digits, spaces, hyphens and dots only.")]
    return value


def ship(user, order_id: int, carrier: str, tracking: str) -> Order:
    order = get(user, order_id, Permission.APPROVE_ORDERS)
    if order.status != "approved":
        raise _not_now(order, _("only approved orders can be shipped."))
    errors: dict[str, list[str]] = {}
    carrier = _code(carrier, "carrier", CARRIER_MAX, errors, _("Enter the carrier."))
    tracking = _code(tracking, "tracking", TRACKING_MAX, errors, _("Enter the tracking number."))
    if errors:
        raise Invalid(errors)
    now = utcnow()
    _claim(order, ("approved",), "shipped", shipped_at=now, carrier=carrier, tracking_number=tracking,
           shipping_seconds=kpi_seconds(order, now))
    db.session.refresh(order)
    record_transition(user, order, "approved", "shipped", carrier=carrier, tracking_number=tracking)
    return order


def deliver(user, order_id: int) -> Order:
    order = get(user, order_id, Permission.APPROVE_ORDERS)
    if order.status != "shipped":
        raise _not_now(order, _("only shipped orders can be marked delivered."))
    _claim(order, ("shipped",), "delivered", delivered_at=utcnow())
    db.session.refresh(order)
    record_transition(user, order, "shipped", "delivered")
    return order


def cancel(user, order_id: int, reason: str = "") -> Order:
    """A partner user (own orders) or a vendor in scope cancels before shipping; approved → stock back."""
    order = get(user, order_id, Permission.PLACE_ORDERS, Permission.APPROVE_ORDERS)
    require_trading(user)
    if order.status not in ("submitted", "approved"):
        raise _not_now(order, _("only orders that are not shipped yet can be cancelled."))
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise Invalid({"reason": [_("At most %(n)s characters.", n=REASON_MAX)]})
    before = order.status
    lines = db.session.execute(select(OrderLine.product_id, OrderLine.quantity)
                               .where(OrderLine.order_id == order.id, OrderLine.product_id.is_not(None))
                               .order_by(OrderLine.product_id)).all()
    with db.session.begin_nested():  # the claim and the stock release: all or nothing
        _claim(order, (before,), "cancelled", cancelled_at=utcnow())
        if before == "approved":  # its stock was reserved on approval: give it back
            for product_id, quantity in lines:
                db.session.execute(update(Product).where(Product.id == product_id)
                                   .values(stock_on_hand=Product.stock_on_hand + quantity)
                                   .execution_options(synchronize_session=False))
    db.session.refresh(order)
    if before == "approved":
        stock_alerts.release(product_id for product_id, _quantity in lines)
    record_transition(user, order, before, "cancelled", reason)
    return order


# --- returns and credits ---------------------------------------------------------------------------------

def return_number(return_id: int) -> str:
    return f"RET-{return_id:06d}"


def credit_number(credit_id: int) -> str:
    return f"CR-{credit_id:06d}"


def returned_so_far(order: Order) -> dict[int, int]:
    """Per order line id: the quantity already returned or waiting in a requested return."""
    rows = db.session.execute(
        select(ReturnLine.order_line_id, func.sum(ReturnLine.quantity))
        .join(ReturnRequest, ReturnRequest.id == ReturnLine.return_id)
        .where(ReturnRequest.order_id == order.id, ReturnRequest.status.in_(("requested", "accepted")))
        .group_by(ReturnLine.order_line_id)).all()
    return {line_id: int(total or 0) for line_id, total in rows}


def returnable(order: Order, lines: list[OrderLine] | None = None) -> dict[int, int]:
    """Per order line id: how many units may still be asked back."""
    if lines is None:
        lines = list(db.session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)))
    done = returned_so_far(order)
    return {line.id: max(line.quantity - done.get(line.id, 0), 0) for line in lines}


def open_return(order: Order) -> ReturnRequest | None:
    return db.session.scalar(select(ReturnRequest).where(ReturnRequest.order_id == order.id,
                                                         ReturnRequest.status == "requested"))


def _whole(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value if value is not None else "").strip()
    if text == "":
        return 0
    sign = -1 if text.startswith("-") else 1
    digits = text[1:] if text[:1] in "+-" else text
    if not (digits.isascii() and digits.isdigit()) or len(digits) > QUANTITY_DIGITS:
        return None
    return sign * int(digits)


def check_returnable(order: Order) -> None:
    """Conflict unless the partner may ask for a return now: delivered, and no return waiting."""
    if order.status not in ("delivered", "returned"):
        raise _not_now(order, _("a return can be requested only after delivery."))
    if (pending := open_return(order)) is not None:
        raise Conflict(_("Return %(number)s for order %(order)s is still waiting for a decision.",
                         number=pending.number, order=order.number))


def request_return(user, order_id: int, quantities: dict, reason: str) -> ReturnRequest:
    """A partner asks back some delivered quantities (per order line id), with a reason."""
    order = get(user, order_id, Permission.PLACE_ORDERS)
    require_trading(user)
    check_returnable(order)
    lines = {line.id: line for line in db.session.scalars(select(OrderLine).where(OrderLine.order_id == order.id))}
    left = returnable(order, list(lines.values()))
    errors: dict[str, list[str]] = {}
    wanted: dict[int, int] = {}
    for raw_id, raw_quantity in (quantities or {}).items():
        line_id = _whole(raw_id)
        if line_id is None or line_id not in lines:
            errors.setdefault("lines", []).append(_("Order %(number)s has no such line.", number=order.number))
            continue
        name = f"quantity-{line_id}"
        quantity = _whole(raw_quantity)
        if quantity is None:
            errors[name] = [_("Enter a whole number.")]
        elif quantity < 0:
            errors[name] = [_("Enter 0 or more.")]
        elif quantity > left[line_id]:
            errors[name] = [_("At most %(n)s can be returned.", n=left[line_id])]
        elif quantity:
            wanted[line_id] = quantity
    if not errors and not wanted:
        errors["lines"] = [_("Enter a quantity to return on at least one line.")]
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("Tell us why you return these products.")]
    elif len(reason) > RETURN_REASON_MAX:
        errors["reason"] = [_("At most %(n)s characters.", n=RETURN_REASON_MAX)]
    if errors:
        raise Invalid(errors)
    with db.session.begin_nested():
        # touch the order row: it serialises two simultaneous requests (row lock / SQLite write lock)
        touched = db.session.execute(update(Order).where(Order.id == order.id,
                                                         Order.status.in_(("delivered", "returned")))
                                     .values(status=Order.status).execution_options(synchronize_session=False))
        if touched.rowcount != 1 or open_return(order) is not None or returnable(order) != left:
            raise Conflict(_("Order %(number)s was just changed by someone else; reload the page.",
                             number=order.number))
        request_ = ReturnRequest(order_id=order.id, partner_id=order.partner_id, requested_by=user.id, reason=reason,
                                 status="requested", created_at=utcnow())
        db.session.add(request_)
        db.session.flush()
        request_.number = return_number(request_.id)
        db.session.add_all([ReturnLine(return_id=request_.id, order_line_id=line_id, quantity=quantity)
                            for line_id, quantity in sorted(wanted.items())])
        db.session.flush()
    audit.record(user, "order.return_requested", request_, partner_id=order.partner_id,
                 after={"number": request_.number, "order": order.number,
                        "lines": {lines[i].sku: q for i, q in sorted(wanted.items())}, "reason": reason},
                 summary=f"{request_.number} {order.number}")
    partner = db.session.get(Partner, order.partner_id)
    manager = db.session.get(User, partner.channel_manager_id) if partner and partner.channel_manager_id else None
    if manager is not None and manager.active:
        notify(f"return-requested:{request_.id}", [manager], "order_status", link=f"/queue/{order.id}",
               email=False, order=order, event="return_requested", return_request=request_, reason=reason)
    return request_


def get_return(user, return_id: int) -> tuple[ReturnRequest, Order]:
    _allowed(user, Permission.APPROVE_ORDERS)
    row = db.session.execute(select(ReturnRequest, Order).join(Order, Order.id == ReturnRequest.order_id)
                             .where(ReturnRequest.id == return_id,
                                    partner_scope(user, ReturnRequest.partner_id))).first()
    if row is None:
        raise NotFound(_("Return not found."))
    return row[0], row[1]


def _decide(user, request_: ReturnRequest, to_status: str, note: str = "") -> None:
    claimed = db.session.execute(
        update(ReturnRequest).where(ReturnRequest.id == request_.id, ReturnRequest.status == "requested")
        .values(status=to_status, decided_at=utcnow(), decided_by=user.id, decision_note=note)
        .execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        db.session.refresh(request_)
        raise Conflict(_("Return %(number)s is already %(status)s.", number=request_.number,
                         status=RETURN_STATUS.get(request_.status, request_.status)))
    db.session.refresh(request_)


def accept_return(user, return_id: int, restock: bool = False) -> Credit:
    """Accept a requested return: a credit at the lines' snapshotted net prices; the order is ``returned``.
    With ``restock`` the returned units go back into stock (products still in the catalogue)."""
    request_, order = get_return(user, return_id)
    if request_.status != "requested":
        raise Conflict(_("Return %(number)s is already %(status)s.", number=request_.number,
                         status=RETURN_STATUS.get(request_.status, request_.status)))
    rows = db.session.execute(select(ReturnLine.quantity, OrderLine)
                              .join(OrderLine, OrderLine.id == ReturnLine.order_line_id)
                              .where(ReturnLine.return_id == request_.id).order_by(OrderLine.id)).all()
    before = order.status
    with db.session.begin_nested():
        _decide(user, request_, "accepted")
        if order.status != "returned":
            _claim(order, ("delivered",), "returned")
        credit = Credit(partner_id=order.partner_id, order_id=order.id, return_id=request_.id,
                        currency=order.currency, total_cents=sum(q * line.net_unit_cents for q, line in rows),
                        created_at=utcnow())
        db.session.add(credit)
        db.session.flush()
        credit.number = credit_number(credit.id)
        db.session.add_all([CreditLine(credit_id=credit.id, order_line_id=line.id, sku=line.sku, name=line.name,
                                       quantity=q, net_unit_cents=line.net_unit_cents,
                                       line_total_cents=q * line.net_unit_cents) for q, line in rows])
        db.session.flush()
        if restock:
            for q, line in rows:
                if line.product_id is not None:
                    db.session.execute(update(Product).where(Product.id == line.product_id)
                                       .values(stock_on_hand=Product.stock_on_hand + q)
                                       .execution_options(synchronize_session=False))
            stock_alerts.release(line.product_id for _q, line in rows if line.product_id is not None)
    db.session.refresh(order)
    audit.record(user, "credit.created", credit, partner_id=order.partner_id,
                 after={"number": credit.number, "return": request_.number, "order": order.number,
                        "total_cents": credit.total_cents, "currency": credit.currency, "restocked": restock},
                 summary=f"{credit.number} {order.number}")
    record_transition(user, order, before, "returned", "", event_key=f"order-return:{request_.id}:accepted",
                      event="return_accepted", return_request=request_, credit=credit.number,
                      credit_total_cents=credit.total_cents)
    return credit


def decline_return(user, return_id: int, reason: str) -> ReturnRequest:
    request_, order = get_return(user, return_id)
    if request_.status != "requested":
        raise Conflict(_("Return %(number)s is already %(status)s.", number=request_.number,
                         status=RETURN_STATUS.get(request_.status, request_.status)))
    reason = (reason or "").strip()
    if not reason:
        raise Invalid({"decline_reason": [_("Give a reason for the partner.")]})
    if len(reason) > REASON_MAX:
        raise Invalid({"decline_reason": [_("At most %(n)s characters.", n=REASON_MAX)]})
    _decide(user, request_, "declined", reason)
    audit.record(user, "order.return_declined", request_, partner_id=order.partner_id,
                 before={"status": "requested"}, after={"status": "declined", "reason": reason},
                 summary=f"{request_.number} {order.number}")
    notify(f"order-return:{request_.id}:declined", involved(order), "order_status", link=f"/orders/{order.id}",
           order=order, event="return_declined", return_request=request_, reason=reason)
    return request_


@dataclass
class ReturnView:
    request: ReturnRequest
    lines: list[tuple[OrderLine, int]] = field(default_factory=list)
    credit: Credit | None = None
    credit_lines: list[CreditLine] = field(default_factory=list)


def returns_of(order: Order) -> list[ReturnView]:
    """The order's return requests with their lines and credits, oldest first (four queries)."""
    if order.status not in ("delivered", "returned"):  # returns exist only after delivery: no query
        return []
    views = {r.id: ReturnView(r) for r in db.session.scalars(
        select(ReturnRequest).where(ReturnRequest.order_id == order.id).order_by(ReturnRequest.id))}
    if not views:
        return []
    for return_id, quantity, line in db.session.execute(
            select(ReturnLine.return_id, ReturnLine.quantity, OrderLine)
            .join(OrderLine, OrderLine.id == ReturnLine.order_line_id)
            .where(ReturnLine.return_id.in_(list(views))).order_by(OrderLine.id)):
        views[return_id].lines.append((line, quantity))
    credits = {c.id: c for c in db.session.scalars(select(Credit).where(Credit.order_id == order.id))}
    for credit in credits.values():
        if credit.return_id in views:
            views[credit.return_id].credit = credit
    if credits:
        by_credit = {c.id: views[c.return_id] for c in credits.values() if c.return_id in views}
        for line in db.session.scalars(select(CreditLine).where(CreditLine.credit_id.in_(list(credits)))
                                       .order_by(CreditLine.id)):
            if line.credit_id in by_credit:
                by_credit[line.credit_id].credit_lines.append(line)
    return list(views.values())


def can_request_return(order: Order, lines: list[OrderLine], returns: list[ReturnView]) -> bool:
    """Whether the partner may ask for a return now: delivered, none waiting, some quantity left (no query)."""
    if order.status not in ("delivered", "returned") or any(v.request.status == "requested" for v in returns):
        return False
    done: dict[int, int] = {}
    for view in returns:
        if view.request.status == "accepted":
            for line, quantity in view.lines:
                done[line.id] = done.get(line.id, 0) + quantity
    return any(line.quantity > done.get(line.id, 0) for line in lines)


# --- the processing-time KPI -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ProcessingTimes:
    approved: int
    approval_avg: int | None
    shipped: int
    shipping_avg: int | None
    approval_median: int | None = None
    shipping_median: int | None = None


def processing_times(user, days: int = 30, now: datetime | None = None) -> ProcessingTimes:
    """Average and median seconds from submission to approval and to shipping, orders placed in the last
    ``days`` in the user's scope.

    The aggregate reads every order of the window, so the figures are kept in Redis for
    ``KPI_CACHE_SECONDS`` per scope (all partners, one manager's, one partner's; key
    ``portal:kpi:processing:v2:<scope>:<days>``, dropped by Redis when the time is up): a 30-day average a
    minute or two old reads the same. Without Redis they are computed every time.
    """
    _allowed(user, Permission.APPROVE_ORDERS)
    ttl = int(current_app.config.get("KPI_CACHE_SECONDS") or 0)
    if not ttl or now is not None:
        return _processing_times(user, days, now or utcnow())
    scope = "-".join(str(part) for part in scope_of(user) if part is not None)
    key = f"portal:kpi:processing:v2:{scope}:{days}"
    try:
        cached = queue.connection().get(key)
    except RedisError:  # the cache is an optimisation: without Redis, compute
        cached = None
    if cached:
        return ProcessingTimes(*json.loads(cached))
    times = _processing_times(user, days, utcnow())
    try:
        queue.connection().set(key, json.dumps(astuple(times)), ex=ttl)
    except RedisError:
        pass
    return times


def _processing_times(user, days: int, now: datetime) -> ProcessingTimes:
    window = (Order.status.in_(AFTER_APPROVAL), Order.created_at >= now - timedelta(days=days),
              partner_scope(user, Order.partner_id))
    row = db.session.execute(
        select(_counted(Order.approval_seconds), func.avg(Order.approval_seconds),
               _counted(Order.shipping_seconds), func.avg(Order.shipping_seconds)).where(*window)).one()
    approved, shipped = int(row[0] or 0), int(row[2] or 0)
    return ProcessingTimes(approved, _seconds(row[1]), shipped, _seconds(row[3]),
                           _median(Order.approval_seconds, approved, window),
                           _median(Order.shipping_seconds, shipped, window))


def _median(column, count: int, window: tuple) -> int | None:
    """The median of ``column`` over the window's ``count`` non-null values, in whole seconds (half-up for
    the mean of the two middle values). Portable: the middle one or two rows of the sorted values
    (SQLite has no percentile function), one indexed-free sort of the window's values."""
    if not count:
        return None
    middle = list(db.session.scalars(select(column).where(column.is_not(None), *window).order_by(column)
                                     .offset((count - 1) // 2).limit(2 - count % 2)))
    if not middle:  # the rows changed between the two statements: no median this time
        return None
    return _seconds(Decimal(sum(middle)) / len(middle))


def _counted(column):
    return func.coalesce(func.sum(case((column.is_not(None), 1), else_=0)), 0)


def _seconds(average) -> int | None:
    """An AVG() result (Decimal on PostgreSQL, a number on SQLite) as whole seconds, half-up."""
    if average is None:
        return None
    return int(Decimal(str(average)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def duration(seconds: int | None) -> str:
    """Seconds for humans, like the queue's ages: "2 d 3 h", "5 h 12 min", "7 min"."""
    return duration_format()(seconds)


def duration_format() -> Callable[[float | None], str]:
    """``duration`` for many values (a page of queue ages): the three formats translated once."""
    days_hours, hours_minutes, minutes_only = _("%(d)s d %(h)s h"), _("%(h)s h %(m)s min"), _("%(m)s min")

    def format_(seconds: float | None) -> str:
        if seconds is None:
            return "—"
        days, rest = divmod(max(int(seconds), 0), 86400)
        hours, rest = divmod(rest, 3600)
        minutes = rest // 60
        if days:
            return days_hours % {"d": days, "h": hours}
        if hours:
            return hours_minutes % {"h": hours, "m": minutes}
        return minutes_only % {"m": minutes}

    return format_

