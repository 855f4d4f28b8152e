"""Everyone involved in an order is told, once each, in their own language: the person who placed it, the
partner's people who acted on it (asked for a return, cancelled it …), and partner admins who follow all of
the company's orders (a profile setting)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from portal.core.permissions import Role
from portal.notifications.models import Notification
from portal.orders.models import OrderLine, ReturnRequest
from tests import factories
from tests.web.test_order_lifecycle import EN, body, fresh, make_order, product, switch, text


@pytest.fixture
def company(db):
    """Northwind: Anna (partner admin, English) places the orders; Ben (partner user, 简体中文) and Cleo
    (partner admin, 繁體中文) work there too. Olaf is another company's admin."""
    manager = factories.vendor(Role.CHANNEL_MANAGER)
    northwind = factories.PartnerFactory(channel_manager_id=manager.id, name="Northwind Trading")
    return SimpleNamespace(
        manager=manager, northwind=northwind,
        anna=factories.partner_user(northwind, Role.PARTNER_ADMIN, locale="en"),
        ben=factories.partner_user(northwind, locale="zh_Hans"),
        cleo=factories.partner_user(northwind, Role.PARTNER_ADMIN, locale="zh_Hant"),
        olaf=factories.partner_user(factories.PartnerFactory(), Role.PARTNER_ADMIN, locale="en"))


def told(db, user) -> list[str]:
    """The event keys of ``user``'s notifications."""
    return sorted(db.session.scalars(select(Notification.event_key).where(Notification.user_id == user.id)))


def mails(outbox, user) -> list:
    return [m for m in outbox() if user.email in (m["To"] or "")]


def ship(client, order):
    return client.post(f"/queue/{order.id}/ship", data={"carrier": "DHL Express", "tracking": "JD-0142"}, headers=EN)


@pytest.mark.pg
def test_the_colleague_who_asked_for_the_return_is_told_it_was_accepted_in_his_language(
        db, client, login, company, run_jobs, outbox, notices):
    order = make_order(db, company.anna, [(product(db, 0), 4)], status="delivered")
    [line] = db.session.scalars(select(OrderLine).where(OrderLine.order_id == order.id))
    db.session.commit()
    login(company.ben)
    response = client.post(f"/orders/{order.id}/return", data={f"quantity-{line.id}": "2",
                                                               "reason": "Damaged in transit"}, headers=EN)
    assert response.status_code == 303
    ret = db.session.scalar(select(ReturnRequest).where(ReturnRequest.order_id == order.id))
    switch(client, login, company.manager)
    assert client.post(f"/queue/returns/{ret.id}/accept", headers=EN).status_code == 303
    run_jobs()

    event = f"order-return:{ret.id}:accepted"
    assert told(db, company.anna) == [event] and told(db, company.ben) == [event]
    assert told(db, company.cleo) == [] and told(db, company.olaf) == []
    assert notices(company.anna)[0].startswith(f"Return {ret.number} for order {order.number} (PO PO-L) is accepted")
    assert notices(company.ben)[0].startswith(f"订单 {order.number}（PO PO-L）的退货 {ret.number} 已接受")
    [to_anna], [to_ben] = mails(outbox, company.anna), mails(outbox, company.ben)
    assert to_anna["Subject"] == f"Return {ret.number} is accepted"
    assert to_ben["Subject"] == f"退货 {ret.number} 已接受"
    assert mails(outbox, company.cleo) == [] and mails(outbox, company.olaf) == []


def test_the_colleague_who_cancelled_is_told_once_and_so_is_the_placer(db, client, login, company, run_jobs,
                                                                       outbox, notices):
    order = make_order(db, company.anna, [(product(db, 5), 1)], status="submitted")
    db.session.commit()
    login(company.ben)
    assert client.post(f"/orders/{order.id}/cancel", data={"reason": "Wrong model"}, headers=EN).status_code == 303
    # repeating the event (a retried job, a second call) adds nothing
    from portal.orders import lifecycle

    lifecycle.record_transition(company.ben, fresh(db, type(order), order.id), "submitted", "cancelled",
                                "Wrong model")
    db.session.commit()
    run_jobs()
    event = f"order-status:{order.id}:cancelled"
    assert told(db, company.anna) == [event] and told(db, company.ben) == [event] and told(db, company.cleo) == []
    assert notices(company.ben) == [f"订单 {order.number}（PO PO-L）已取消：Wrong model"]
    assert len(mails(outbox, company.anna)) == 1 and len(mails(outbox, company.ben)) == 1


@pytest.mark.pg
def test_a_partner_admin_who_follows_the_companys_orders_gets_every_order_notice_in_her_language(
        db, client, login, company, run_jobs, outbox, notices):
    login(company.cleo)
    page = text(client.get("/account/", headers=EN))
    assert 'name="follows_company_orders"' in page and "Northwind Trading" in page
    response = client.post("/account/order-notices", data={"follows_company_orders": "y"}, headers=EN)
    assert response.status_code == 303 and fresh(db, type(company.cleo), company.cleo.id).follows_company_orders
    order = make_order(db, company.ben, [(product(db, 5), 1)], status="approved")
    db.session.commit()
    switch(client, login, company.manager)
    assert ship(client, order).status_code == 303
    run_jobs()

    event = f"order-status:{order.id}:shipped"
    assert told(db, company.ben) == [event] and told(db, company.cleo) == [event]
    assert told(db, company.anna) == [] and told(db, company.olaf) == []  # Anna does not follow
    assert notices(company.cleo) == [f"訂單 {order.number}（PO PO-L）已由 DHL Express 出貨，追蹤編號 JD-0142。"]
    [to_cleo] = mails(outbox, company.cleo)
    assert "JD-0142" in body(to_cleo) and "出貨" in body(to_cleo)


def test_the_placer_who_also_follows_and_acted_is_told_once_per_event(db, client, login, company, run_jobs, outbox):
    company.anna.follows_company_orders = True
    order = make_order(db, company.anna, [(product(db, 5), 1)], status="submitted")
    db.session.commit()
    login(company.anna)
    assert client.post(f"/orders/{order.id}/cancel", data={"reason": ""}, headers=EN).status_code == 303
    run_jobs()
    assert told(db, company.anna) == [f"order-status:{order.id}:cancelled"]
    assert len(mails(outbox, company.anna)) == 1


def test_a_follower_hears_of_orders_placed_by_colleagues_and_not_of_other_companies(db, client, login, company):
    company.anna.follows_company_orders = True
    mine = make_order(db, company.ben, [(product(db, 5), 1)], status="submitted")
    theirs = make_order(db, company.olaf, [(product(db, 5), 1)], status="submitted")
    db.session.commit()
    login(company.manager)
    assert client.post(f"/queue/{mine.id}/approve", headers=EN).status_code == 303
    company.olaf.partner.channel_manager_id = company.manager.id
    db.session.commit()
    assert client.post(f"/queue/{theirs.id}/approve", headers=EN).status_code == 303
    assert told(db, company.anna) == [f"order-status:{mine.id}:approved"]
    assert told(db, company.olaf) == [f"order-status:{theirs.id}:approved"]


def test_a_deactivated_follower_is_not_told(db, client, login, company):
    company.cleo.follows_company_orders = True
    company.cleo.active = False
    order = make_order(db, company.ben, [(product(db, 5), 1)], status="submitted")
    db.session.commit()
    login(company.manager)
    assert client.post(f"/queue/{order.id}/approve", headers=EN).status_code == 303
    assert told(db, company.cleo) == []


def test_following_can_be_turned_off_again(db, client, login, company):
    company.cleo.follows_company_orders = True
    db.session.commit()
    login(company.cleo)
    assert re.search(r'<input checked [^>]*name="follows_company_orders"', text(client.get("/account/", headers=EN)))
    assert client.post("/account/order-notices", data={}, headers=EN).status_code == 303
    assert not fresh(db, type(company.cleo), company.cleo.id).follows_company_orders


@pytest.mark.parametrize("who", ["ben", "manager"])
def test_only_a_partner_admin_has_the_setting(db, client, login, company, who):
    user = getattr(company, who)
    db.session.commit()
    login(user)
    assert "follows_company_orders" not in text(client.get("/account/", headers=EN))
    response = client.post("/account/order-notices", data={"follows_company_orders": "y"}, headers=EN)
    assert response.status_code == 403
    assert not fresh(db, type(user), user.id).follows_company_orders


def test_the_setting_over_htmx_answers_its_form(db, client, login, company):
    db.session.commit()
    login(company.cleo)
    response = client.post("/account/order-notices", data={"follows_company_orders": "y"},
                           headers={**EN, "HX-Request": "true"})
    assert response.status_code == 200 and '"path": "/account/"' in response.headers["HX-Location"]
    assert fresh(db, type(company.cleo), company.cleo.id).follows_company_orders
