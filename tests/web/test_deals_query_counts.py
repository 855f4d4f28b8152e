"""The deal list pages run a fixed number of queries, however many registrations they show."""

from __future__ import annotations

import pytest

from portal.core.permissions import Role
from tests import factories

EN = {"Accept-Language": "en"}
MY_DEALS = 5  # user + header counts + versions + one page of deals (+ the login's session check)
REVIEW_QUEUE = 6  # user + header counts + versions + the conflict-rate KPI + one page joined with partners


@pytest.fixture
def people(db):
    manager = factories.vendor(Role.CHANNEL_MANAGER)
    partner = factories.PartnerFactory(channel_manager=manager)
    db.session.commit()
    return {"manager": manager, "me": factories.partner_user(partner)}


def _count(client, count_queries, path: str) -> int:
    with count_queries() as counted:
        assert client.get(path, headers=EN).status_code == 200
    return counted.count


@pytest.mark.parametrize(("who", "path", "bound"), [("me", "/deals/", MY_DEALS),
                                                     ("manager", "/deal-review/", REVIEW_QUEUE)])
def test_a_deal_list_runs_the_same_queries_for_2_or_20_registrations(client, db, login, people, count_queries,
                                                                     who, path, bound):
    for i in range(2):
        factories.deal(people["me"], f"Few {i} Co", f"few{i}.com")
    db.session.commit()
    login(people[who])
    client.get(path, headers=EN)
    few = _count(client, count_queries, path)
    for i in range(18):
        factories.deal(people["me"], f"Many {i} Co", f"many{i}.com")
    db.session.commit()
    many = _count(client, count_queries, path)
    assert few == many <= bound
