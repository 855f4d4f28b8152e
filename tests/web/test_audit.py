"""The audit log page: filters, pagination, before/after, and the same tenancy as the rows it describes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from portal.core import audit
from portal.core.permissions import Role
from tests import factories


def entry(action: str, actor=None, partner=None, at: datetime | None = None, entity=None, **kw):
    row = audit.record(actor, action, entity or partner or actor, partner_id=partner.id if partner else None, **kw)
    if at is not None:
        row.at = at
    return row


def actions(html: str) -> list[str]:
    """The actions listed on the page, top to bottom."""
    return re.findall(r"<td[^>]*><code>([^<]+)</code></td>", html)


def page(client, query: str = "", **headers):
    response = client.get(f"/audit/{query}", headers=headers)
    return response, response.get_data(as_text=True)


@pytest.fixture
def world(db):
    """Two partners, one channel manager assigned to the first, entries on both and vendor-only ones."""
    manager = factories.vendor(Role.CHANNEL_MANAGER, email="cm@vendor.test")
    north = factories.PartnerFactory(name="North Ltd", channel_manager_id=manager.id)
    east = factories.PartnerFactory(name="East Ltd")
    admin = factories.vendor(email="admin@vendor.test")
    db.session.flush()
    entry("test.north.one", admin, north)
    entry("test.north.two", admin, north)
    entry("test.east.one", admin, east)
    entry("test.vendor.only", admin, entity=manager)
    return {"admin": admin, "manager": manager, "north": north, "east": east}


@pytest.mark.pg
def test_an_admin_sees_every_entry(client, login, world, backend):
    login(world["admin"])
    response, html = page(client)
    assert response.status_code == 200
    assert sorted(actions(html)) == ["test.east.one", "test.north.one", "test.north.two", "test.vendor.only"]


@pytest.mark.pg
def test_a_channel_manager_sees_only_entries_of_assigned_partners(client, login, world, backend):
    login(world["manager"])
    response, html = page(client)
    assert response.status_code == 200
    assert sorted(actions(html)) == ["test.north.one", "test.north.two"]


@pytest.mark.pg
def test_a_partner_admin_sees_only_their_companys_entries_never_vendor_only_ones(client, login, world, backend):
    anna = factories.partner_user(world["east"], role=Role.PARTNER_ADMIN)
    login(anna)
    _response, html = page(client)
    assert actions(html) == ["test.east.one"]
    _response, html = page(client, "?action=test.vendor")  # a filter does not widen the scope
    assert actions(html) == []


@pytest.mark.pg
@pytest.mark.parametrize("role", [Role.PARTNER_USER, Role.TRAINER])
def test_roles_without_the_audit_permission_get_403(client, login, world, backend, role):
    user = factories.partner_user(world["north"]) if role is Role.PARTNER_USER else factories.vendor(role)
    login(user)
    response, html = page(client)
    assert response.status_code == 403
    assert "test.north.one" not in html


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response, _html = page(client)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_entries_show_who_when_what_and_the_values_before_and_after(client, login, db):
    admin = factories.vendor(email="admin@vendor.test", timezone="Asia/Shanghai")
    partner = factories.PartnerFactory(name="东风贸易有限公司")
    entry("partner.updated", admin, partner, at=datetime(2024, 5, 1, 20, 0, tzinfo=UTC),
          before={"status": "active", "region": "APAC", "channel_manager_id": None},
          after={"status": "suspended", "region": "APAC", "channel_manager_id": 7}, summary=partner.name)
    entry("system.job", None, partner)
    login(admin)
    _response, html = page(client)
    row = html[html.index("<code>partner.updated</code>") - 300:html.index("<code>partner.updated</code>") + 600]
    assert "admin@vendor.test" in row
    assert "May 2, 2024" in row  # 20:00 UTC is the next morning in Shanghai; the medium format of every page
    assert f"Partner #{partner.id} 东风贸易有限公司" in row
    assert "status: active" in row and "status: suspended" in row
    assert "channel_manager_id: null" in row and "channel_manager_id: 7" in row
    assert "region" not in row  # unchanged fields are left out
    assert re.search(r"<td[^>]*>system</td>", html)


def test_filters_by_action_prefix_record_type_and_who(client, login, db):
    admin = factories.vendor(email="admin@vendor.test")
    other = factories.vendor(email="other@vendor.test")
    partner = factories.PartnerFactory()
    entry("user.invited", admin, partner, entity=other)
    entry("user.deactivated", other, partner, entity=admin)
    entry("partner.updated", admin, partner)
    entry("userx.odd", admin, partner)
    login(admin)
    assert sorted(actions(page(client, "?action=user.")[1])) == ["user.deactivated", "user.invited"]
    assert actions(page(client, "?action=user_")[1]) == []  # "_" is a character, not a wildcard
    assert actions(page(client, "?entity_type=partner")[1]) == ["userx.odd", "partner.updated"]
    assert actions(page(client, "?actor=Other@Vendor.TEST")[1]) == ["user.deactivated"]
    assert actions(page(client, "?actor=nobody@vendor.test")[1]) == []
    assert actions(page(client, "?action=user.&actor=admin@vendor.test")[1]) == ["user.invited"]


def test_filters_by_dates_in_the_users_time_zone(client, login, db):
    admin = factories.vendor(timezone="Asia/Shanghai")
    partner = factories.PartnerFactory()
    entry("test.april", admin, partner, at=datetime(2024, 4, 30, 10, 0, tzinfo=UTC))
    entry("test.may-evening-utc", admin, partner, at=datetime(2024, 5, 1, 20, 0, tzinfo=UTC))  # 2 May in Shanghai
    entry("test.june", admin, partner, at=datetime(2024, 6, 1, 12, 0, tzinfo=UTC))
    login(admin)
    assert actions(page(client, "?since=2024-05-02&until=2024-05-02")[1]) == ["test.may-evening-utc"]
    assert actions(page(client, "?until=2024-05-01")[1]) == ["test.april"]
    assert actions(page(client, "?since=2024-05-02")[1]) == ["test.june", "test.may-evening-utc"]


def test_a_bad_date_is_422_with_the_message_next_to_the_field(client, login, db):
    admin = factories.vendor()
    entry("test.kept", admin, factories.PartnerFactory())
    login(admin)
    response, html = page(client, "?since=2024-13-45&until=yesterday")
    assert response.status_code == 422
    since_field = html[html.index('id="audit-since"'):html.index('id="audit-until"')]
    assert 'aria-invalid="true"' in since_field and "Use the format YYYY-MM-DD." in since_field
    assert html.count("Use the format YYYY-MM-DD.") == 2
    assert "Some filters are not valid and were ignored." in html
    assert actions(html) == ["test.kept"]


def test_more_than_fifty_entries_are_paginated_with_a_next_link(client, login, db):
    admin = factories.vendor()
    partner = factories.PartnerFactory()
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for n in range(51):
        entry(f"test.n{n:02d}", admin, partner, at=start + timedelta(minutes=n))
    login(admin)
    _response, html = page(client, "?action=test.")
    listed = actions(html)
    assert len(listed) == 50 and listed[0] == "test.n50" and "test.n00" not in listed
    next_link = re.search(r'<a href="([^"]+)" rel="next"', html).group(1).replace("&amp;", "&")
    assert "action=test." in next_link and "page=2" in next_link
    _response, html = page(client, next_link.removeprefix("/audit/"))
    assert actions(html) == ["test.n00"]
    assert 'rel="prev"' in html and 'rel="next"' not in html


@pytest.mark.pg
def test_a_channel_managers_pages_hold_their_partners_entries_newest_first(client, login, world, backend):
    """The page's ids are cut first (core.audit.page_of): the order, ties on the time and the next page hold."""
    other = factories.PartnerFactory(name="West Ltd", channel_manager_id=world["manager"].id)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for n in range(53):  # two entries a minute: the later id first
        at = start + timedelta(minutes=n // 2)
        entry(f"user.n{n:02d}", world["admin"], other if n % 3 else world["north"], at=at)
        entry(f"partner.n{n:02d}", world["admin"], other, at=at)
    entry("user.east", world["admin"], world["east"], at=start + timedelta(hours=9))
    login(world["manager"])
    _response, first = page(client, "?action=USER.")
    _response, second = page(client, "?action=user.&page=2")
    expected = [f"user.n{n:02d}" for n in range(52, -1, -1)]
    assert actions(first) == expected[:50] and actions(second) == expected[50:]
    assert 'rel="next"' in first and 'rel="next"' not in second


def test_an_htmx_filter_request_gets_only_the_results(client, login, db):
    admin = factories.vendor()
    entry("test.one", admin, factories.PartnerFactory())
    login(admin)
    response, html = page(client, "?action=test.", **{"HX-Request": "true"})
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="results">') and "<form" not in html
    assert actions(html) == ["test.one"]
    assert "HX-Request" in response.headers["Vary"]


def test_an_entry_about_a_record_without_a_number_shows_no_number(client, login, db):
    from portal.orders.models import Setting

    admin = factories.vendor(email="admin@vendor.test")
    entry("setting.updated", admin, entity=Setting(key="auto_approval_limit_cents", value="100"),
          summary="auto-approval limit")
    login(admin)
    _response, html = page(client)
    assert "Setting auto-approval limit" in html
    assert "#None" not in html
