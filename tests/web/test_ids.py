"""Row ids in addresses: one converter (``<id:…>``) bounds them, so a number no database column can hold
is an unknown row (404), never a driver error."""

from __future__ import annotations

import pytest

from portal.core.urls import MAX_ID
from tests import factories

HUGE = [str(MAX_ID + 1), "9" * 40]


def test_every_route_with_an_id_uses_the_bounded_converter(app):
    loose = [rule.rule for rule in app.url_map.iter_rules() if "<int:" in rule.rule]
    assert loose == []


@pytest.mark.parametrize("value", HUGE)
@pytest.mark.parametrize("path", ["/orders/{}", "/queue/{}", "/api/v1/orders/{}", "/partners/{}/edit"])
def test_an_id_above_the_column_range_is_404(client, login, db, path, value):
    login(factories.partner_user(factories.PartnerFactory()) if path.startswith("/orders") else factories.vendor())
    assert client.get(path.format(value)).status_code == 404


def test_the_largest_id_is_still_looked_up(client, login, db):
    login(factories.partner_user(factories.PartnerFactory()))
    assert client.get(f"/orders/{MAX_ID}").status_code == 404
