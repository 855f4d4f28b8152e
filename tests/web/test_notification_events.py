"""A notification keeps its event (template + plain parameters), not a rendering: it is shown in the reader's
language of the moment, escaped once, cut in its text (never inside an HTML entity), linking to what it is
about. E-mails stay rendered at send time in the recipient's language."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from portal.core.permissions import Role
from portal.notifications.models import Notification
from portal.notifications.service import NOTICE_MAX, notify
from tests import factories
from tests.web.test_notifications import badge
from tests.web.test_order_lifecycle import body, make_order, product, text

TRICKY_PO = 'PO "Q4" <b>&</b>'


def anchors(page: str, link: str) -> list[str]:
    """The texts of the links to ``link`` as the reader sees them (entities decoded once, like a browser)."""
    return [html.unescape(t) for t in re.findall(rf'<a href="{re.escape(link)}">(.*?)</a>', page, re.S)]


@pytest.fixture
def anna(db, login):
    user = factories.partner_user(role=Role.PARTNER_ADMIN, locale="en")
    db.session.commit()
    login(user)
    return user


@pytest.mark.pg
def panel(html: str) -> str:
    """The dashboard's notifications panel (other panels link to orders too)."""
    return re.search(r'<article class="panel" aria-labelledby="panel-notifications">.*?</article>', html, re.S).group(0)


def test_a_notice_follows_the_readers_language_after_she_switches(db, client, anna, run_jobs, outbox):
    order = make_order(db, anna, [(product(db, 5), 1)], status="approved")
    manager = factories.vendor(Role.ADMIN)
    from portal.orders import lifecycle

    lifecycle.ship(manager, order.id, "DHL Express", "JD-0142")
    db.session.commit()
    english = f"Order {order.number} (PO PO-L) is shipped with DHL Express, tracking number JD-0142."
    assert anchors(text(client.get("/notifications/")), f"/orders/{order.id}") == [english]
    assert anchors(panel(text(client.get("/"))), f"/orders/{order.id}") == [english]  # the dashboard panel

    assert client.post("/language", data={"locale": "zh_Hans"}).status_code in (200, 303)
    chinese = f"订单 {order.number}（PO PO-L）已由 DHL Express 发货，运单号 JD-0142。"
    page = text(client.get("/notifications/"))
    assert anchors(page, f"/orders/{order.id}") == [chinese] and badge(page) == "1"
    assert anchors(panel(text(client.get("/"))), f"/orders/{order.id}") == [chinese]
    client.post("/language", data={"locale": "zh_Hant"})
    assert anchors(text(client.get("/notifications/")), f"/orders/{order.id}") == [
        f"訂單 {order.number}（PO PO-L）已由 DHL Express 出貨，追蹤編號 JD-0142。"]
    run_jobs()  # the e-mail was written when it happened, in the language she had then
    [mail] = [m for m in outbox() if anna.email in m["To"]]
    assert english in body(mail)


@pytest.mark.pg
def test_the_row_keeps_the_event_as_plain_values_and_the_page_escapes_them_once(db, client, anna):
    order = make_order(db, anna, [(product(db, 5), 1)], status="submitted", po=TRICKY_PO)
    from portal.orders import lifecycle

    lifecycle.cancel(anna, order.id, 'Ordered "twice" & <i>by mistake</i>')
    db.session.commit()
    row = db.session.scalar(select(Notification).where(Notification.user_id == anna.id))
    assert row.template == "order_status" and row.link == f"/orders/{order.id}"
    assert row.params["order"]["$row"]["po_number"] == TRICKY_PO  # as typed: no HTML, nothing escaped
    assert row.params["reason"] == 'Ordered "twice" & <i>by mistake</i>'
    page = text(client.get("/notifications/"))
    assert "&amp;#34;" not in page and "&amp;amp;" not in page and "<i>" not in page
    assert anchors(page, f"/orders/{order.id}") == [
        f'Order {order.number} (PO {TRICKY_PO}) is cancelled: Ordered "twice" & <i>by mistake</i>']


def test_a_long_notice_is_cut_in_its_text_never_inside_an_entity(db, client, anna):
    order = make_order(db, anna, [(product(db, 5), 1)], status="submitted")
    from portal.orders import lifecycle

    reason = '"&" ' * 120  # each character escapes to an entity: the old 300-character cut split them
    lifecycle.cancel(anna, order.id, reason)
    db.session.commit()
    [shown] = anchors(text(client.get("/notifications/")), f"/orders/{order.id}")
    assert len(shown) <= NOTICE_MAX and shown.endswith("…")
    assert shown[:-1] == f"Order {order.number} (PO PO-L) is cancelled: {reason}"[:NOTICE_MAX - 1].rstrip()
    assert "&#" not in shown and "&amp" not in shown


def test_a_template_notice_that_would_read_differently_from_its_stored_values_is_refused(app, db, anna):
    class Order:  # not a model: kept as its text, so the notice cannot read ``order.number`` later
        number, po_number, status = "O-1", "PO-1", "approved"

        def __str__(self):
            return "an order"

    with pytest.raises(ValueError, match="stored parameters"):
        notify("test:odd", [anna], "order_submitted", link="/", email=False, order=Order())


def test_rows_from_before_show_their_stored_text_escaped_once(db, client, anna):
    db.session.add(Notification(user_id=anna.id, event_key="legacy:1", message='Old "plain" text & more', link=""))
    db.session.commit()
    page = text(client.get("/notifications/"))
    assert "Old &#34;plain&#34; text &amp; more" in page and "&amp;#34;" not in page


def test_a_units_word_is_shown_in_the_readers_language(db, client, anna):
    item = product(db, 5)
    db.session.commit()
    assert "/ each" in text(client.get(f"/catalogue/{item.id}", headers={"Accept-Language": "en"}))
    client.post("/language", data={"locale": "zh_Hans"})
    page = text(client.get(f"/catalogue/{item.id}"))
    assert "/ 个" in page and "/ each" not in page
    client.post("/language", data={"locale": "zh_Hant"})
    assert "/ 個" in text(client.get(f"/catalogue/{item.id}"))
