"""Two approvals of one MDF budget at the same moment never overspend it (SQLite and PostgreSQL): the
approval locks the budget row before it reads what remains."""

from __future__ import annotations

from sqlalchemy import select

from portal.core.permissions import Role
from portal.mdf.models import MdfRequest
from tests import factories
from tests.web.test_checkout_concurrency import all_at_once, signed_in

EN = {"Accept-Language": "en"}


def test_simultaneous_approvals_of_one_budget_approve_only_what_it_holds(live_app):
    from portal.extensions import db

    with live_app.app_context():
        managers = [factories.vendor(Role.CHANNEL_MANAGER) for _ in range(2)]
        partner = factories.PartnerFactory(channel_manager_id=managers[0].id)
        factories.mdf_budget(partner, 5_000_000)
        rows = [factories.mdf_request(partner, 3_000_000) for _ in range(4)]
        admin = factories.vendor()
        db.session.commit()
        ids, emails = [r.id for r in rows], [managers[0].email, admin.email, managers[0].email, admin.email]
        db.session.remove()

    clients = [signed_in(live_app, email) for email in emails]
    results = all_at_once([lambda c=c, i=i: c.post(f"/mdf/requests/{i}/approve", data={"amount": "30,000.00"},
                                                   headers=EN) for c, i in zip(clients, ids, strict=True)])

    assert sorted(code for code, _ in results) == [303, 422, 422, 422]
    assert all("remains in the" in body for code, body in results if code == 422)
    with live_app.app_context():
        statuses = db.session.scalars(select(MdfRequest.status).where(MdfRequest.id.in_(ids))).all()
        assert sorted(statuses) == ["approved", "submitted", "submitted", "submitted"]
        db.session.remove()
