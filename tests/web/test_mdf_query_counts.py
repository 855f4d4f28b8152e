"""SQL statements of the MDF list pages: a fixed number whatever the number of rows (no N+1)."""

from __future__ import annotations

import pytest
from flask import g, request_started

from portal.core.permissions import Role
from tests import factories

# signed-in user + header badges + data versions (the ETag) + the page of requests, then the partner's
# overview: the partner in scope, its budget quarters, its request quarters, the figures (budgets, sums)
PARTNER_LIST = 9
VENDOR_LIST = 4  # signed-in user + badges + versions + the page of requests (partner names joined)
BUDGETS = 6  # signed-in user + badges + versions + a page of partners + their figures (budgets, sums) ...
BUDGETS += 2  # ... + which of them have a budget row + the lapse setting (the admin's form)


@pytest.fixture(autouse=True)
def fresh_request_globals(app):
    def clear(sender, **extra):
        for name in list(g):
            g.pop(name)

    request_started.connect(clear, app)
    yield
    request_started.disconnect(clear, app)


def world(db, rows: int):
    admin = factories.vendor()
    partner_admin = None
    for i in range(rows):
        partner = factories.PartnerFactory()
        partner_admin = partner_admin or factories.partner_user(partner, role=Role.PARTNER_ADMIN)
        factories.mdf_budget(partner, 1_000_000)
        factories.mdf_request(partner if i % 2 else partner_admin.partner, 100_000, title=f"Activity {i}")
    db.session.commit()
    return admin, partner_admin


@pytest.mark.parametrize("rows", [3, 40])
def test_mdf_pages_run_a_fixed_number_of_statements(client, db, count_queries, rows):
    admin, partner_admin = world(db, rows)
    counts = {}
    people = [(partner_admin.email, partner_admin.role, ["/mdf/"]),
              (admin.email, admin.role, ["/mdf/", "/mdf/budgets"])]
    for email, role, paths in people:
        assert client.post("/login", data={"email": email, "password": factories.PASSWORD}).status_code == 303
        for path in paths:
            db.session.expunge_all()
            with count_queries() as counter:
                response = client.get(path)
            assert response.status_code == 200
            counts[(role, path)] = counter.count
        client.post("/logout")
    assert counts == {("partner_admin", "/mdf/"): PARTNER_LIST, ("admin", "/mdf/"): VENDOR_LIST,
                      ("admin", "/mdf/budgets"): BUDGETS}
