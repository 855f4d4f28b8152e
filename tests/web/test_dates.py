"""Dates read one way per language: the medium format ("Dec 8, 2026" / "2026年12月8日") on every page — placed,
requested, history — never ISO or a short numeric form."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import update

from portal.core.permissions import Role
from portal.orders.models import OrderEvent
from tests import factories
from tests.web.test_order_queue import make_order, product

MEDIUM = {"en": ("Dec 8, 2026", "Dec 15, 2026"), "zh_Hans": ("2026年12月8日", "2026年12月15日")}
OTHER_FORMS = re.compile(r"2026-12-(08|15)|12/(8|15)/26|26/12/(8|15)")


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
def test_the_partners_and_the_vendors_order_pages_show_their_dates_in_one_medium_format(db, client, login, locale):
    manager = factories.vendor(Role.CHANNEL_MANAGER, locale=locale)
    buyer = factories.partner_user(factories.PartnerFactory(channel_manager_id=manager.id), locale=locale)
    order = make_order(db, buyer, [(product(db, 10), 2)])
    placed = datetime(2026, 12, 8, 10, 30, tzinfo=UTC)
    order.created_at, order.requested_date = placed, date(2026, 12, 15)
    db.session.execute(update(OrderEvent).where(OrderEvent.order_id == order.id).values(at=placed))
    db.session.commit()
    placed_day, requested_day = MEDIUM[locale]
    for user, path in ((buyer, f"/orders/{order.id}"), (manager, f"/queue/{order.id}")):
        client.post("/logout")
        login(user)
        html = client.get(path).get_data(as_text=True)
        main = html[html.index("<main"):html.index("</main>")]
        assert main.count(placed_day) >= 2, (path, "placed and its history")  # placed, and the submitted event
        assert requested_day in main, path
        assert not OTHER_FORMS.search(main), (path, OTHER_FORMS.search(main).group(0))


@pytest.mark.parametrize(("locale", "period"), [("en", "Jan 1, 2026 – Dec 31, 2026"),
                                                ("zh_Hans", "2026年1月1日 – 2026年12月31日")])
def test_an_agreements_period_reads_in_the_medium_format_on_the_partners_pages(db, client, login, locale, period):
    admin = factories.vendor(Role.ADMIN, locale=locale)
    partner = factories.PartnerFactory()
    agreement = factories.AgreementFactory(partner=partner, starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
    partner_admin = factories.partner_user(partner, Role.PARTNER_ADMIN, locale=locale)
    db.session.commit()
    login(admin)
    html = client.get(f"/partners/{agreement.partner_id}").get_data(as_text=True)
    assert period in html and "2026-01-01" not in html
    client.post("/logout")
    login(partner_admin)
    html = client.get("/partnership").get_data(as_text=True)
    assert period in html and "2026-01-01" not in html
