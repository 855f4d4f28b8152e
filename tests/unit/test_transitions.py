"""The order status machine: only ``submitted → approved → shipped → delivered``, ``rejected`` from
submitted, ``cancelled`` before shipping and ``returned`` after delivery; every other move is a Conflict
naming the order and its status, and changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.core.audit import AuditEntry
from portal.core.errors import Conflict, Forbidden, Invalid
from portal.core.permissions import Role
from portal.orders import lifecycle, queue
from portal.orders.models import Credit, Order, OrderEvent, OrderLine, ReturnRequest
from tests import factories
from tests.web.test_order_lifecycle import make_order, product

STATUSES = ["submitted", "approved", "rejected", "shipped", "delivered", "cancelled", "returned"]


@pytest.fixture(autouse=True)
def _request(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


def _line_id(db, order) -> int:
    return db.session.scalar(select(OrderLine.id).where(OrderLine.order_id == order.id))


ACTIONS = {
    # action: (statuses it may start from, the status it leads to, how to call it)
    "approve": (("submitted",), "approved", lambda db, admin, buyer, o: queue.approve(admin, o.id)),
    "reject": (("submitted",), "rejected", lambda db, admin, buyer, o: queue.reject(admin, o.id, "no")),
    "ship": (("approved",), "shipped", lambda db, admin, buyer, o: lifecycle.ship(admin, o.id, "DHL", "123")),
    "deliver": (("shipped",), "delivered", lambda db, admin, buyer, o: lifecycle.deliver(admin, o.id)),
    "cancel": (("submitted", "approved"), "cancelled", lambda db, admin, buyer, o: lifecycle.cancel(buyer, o.id)),
    "request a return": (("delivered", "returned"), None,
                         lambda db, admin, buyer, o: lifecycle.request_return(buyer, o.id, {_line_id(db, o): 1}, "x")),
}


@pytest.mark.pg
@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_each_action_moves_only_from_its_statuses_and_is_a_conflict_otherwise(db, action, status):
    allowed, to_status, call = ACTIONS[action]
    admin, buyer = factories.vendor(Role.ADMIN), factories.partner_user()
    order = make_order(db, buyer, [(product(db, 10), 2)], status=status)
    events = db.session.scalar(select(func.count()).select_from(OrderEvent).where(OrderEvent.order_id == order.id))
    if status in allowed:
        call(db, admin, buyer, order)
        db.session.expire_all()
        if to_status is not None:
            assert db.session.get(Order, order.id).status == to_status
            assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
                AuditEntry.action == f"order.{to_status}", AuditEntry.entity_id == order.id)) == 1
        else:
            assert db.session.scalar(select(func.count()).select_from(ReturnRequest).where(
                ReturnRequest.order_id == order.id)) == 1
    else:
        with pytest.raises(Conflict) as caught:
            call(db, admin, buyer, order)
        assert order.number in caught.value.message
        assert lifecycle.status_label(status).lower() in caught.value.message
        db.session.expire_all()
        assert db.session.get(Order, order.id).status == status
        assert db.session.scalar(select(func.count()).select_from(OrderEvent).where(
            OrderEvent.order_id == order.id)) == events


def test_accepting_a_return_makes_a_credit_of_quantity_times_net_price_in_cents(db):
    admin, buyer = factories.vendor(Role.ADMIN), factories.partner_user()
    order = make_order(db, buyer, [(product(db, 0), 7), (product(db, 0), 1)], status="delivered", net=333)
    first, second = db.session.scalars(select(OrderLine.id).where(OrderLine.order_id == order.id)
                                       .order_by(OrderLine.id)).all()
    ret = lifecycle.request_return(buyer, order.id, {first: "3", second: 1}, "broken")
    credit = lifecycle.accept_return(admin, ret.id)
    assert credit.total_cents == 4 * 333 == 1332
    assert isinstance(credit.total_cents, int)
    assert lifecycle.returnable(order) == {first: 4, second: 0}
    assert db.session.scalar(select(func.count()).select_from(Credit)) == 1


def test_only_a_partner_user_may_request_and_only_a_vendor_may_decide(db):
    admin, buyer = factories.vendor(Role.ADMIN), factories.partner_user()
    order = make_order(db, buyer, [(product(db, 0), 2)], status="delivered")
    with pytest.raises(Forbidden):
        lifecycle.request_return(admin, order.id, {_line_id(db, order): 1}, "x")
    ret = lifecycle.request_return(buyer, order.id, {_line_id(db, order): 1}, "x")
    with pytest.raises(Forbidden):
        lifecycle.accept_return(buyer, ret.id)
    with pytest.raises(Forbidden):
        lifecycle.ship(buyer, order.id, "DHL", "1")
    with pytest.raises(Invalid) as caught:
        lifecycle.decline_return(admin, ret.id, "")
    assert "decline_reason" in caught.value.field_errors


@pytest.mark.parametrize("seconds, shown", [(None, "—"), (59, "0 min"), (3600 * 5 + 60 * 12, "5 h 12 min"),
                                            (86400 * 2 + 3600 * 3, "2 d 3 h")])
def test_processing_times_read_like_the_queue_ages(seconds, shown):
    assert lifecycle.duration(seconds) == shown


def test_kpi_seconds_count_from_submission_and_never_go_negative(db):
    order = make_order(db, factories.partner_user(), [(product(db, 1), 1)], hours_ago=2)
    assert lifecycle.kpi_seconds(order, order.created_at + timedelta(hours=3, seconds=7)) == 3 * 3600 + 7
    assert lifecycle.kpi_seconds(order, order.created_at - timedelta(hours=1)) == 0
