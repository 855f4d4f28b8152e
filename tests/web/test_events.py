"""Events that reach people both in the portal (notification list) and by e-mail, once."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.accounts import service as accounts
from portal.notifications.models import Notification
from portal.partners import service as partners
from tests import factories


def _edit(partner, status: str, reason: str = "") -> dict:
    return {"name": partner.name, "type": partner.type, "region": partner.region, "status": status,
            "status_reason": reason, "channel_manager_id": partner.channel_manager_id}


@pytest.mark.pg
def test_suspending_a_partner_tells_its_people_and_manager_in_app_and_by_email(db, backend, run_jobs, outbox,
                                                                               notices):
    admin = factories.vendor()
    manager = factories.vendor(role="channel_manager")
    partner = factories.PartnerFactory(channel_manager_id=manager.id)
    anna = factories.partner_user(partner, role="partner_admin")
    ben = factories.partner_user(partner)
    outsider = factories.partner_user()
    partners.save_partner(admin, _edit(partner, "suspended", "Unpaid invoices"), partner.id)
    db.session.commit()
    assert run_jobs() == 3

    told = {n.user_id for n in db.session.scalars(select(Notification))}
    assert told == {anna.id, ben.id, manager.id}
    assert "Unpaid invoices" in notices(anna)[0]
    mails = {m["To"]: m for m in outbox()}
    assert set(mails) == {anna.email, ben.email, manager.email}
    assert "suspended" in mails[ben.email]["Subject"]
    assert outsider.email not in mails


def test_an_unchanged_status_tells_nobody(db, run_jobs, outbox):
    admin = factories.vendor()
    partner = factories.PartnerFactory()
    factories.partner_user(partner)
    partners.save_partner(admin, {**_edit(partner, "active"), "region": "APAC"}, partner.id)
    db.session.commit()
    assert run_jobs() == 0
    assert outbox() == [] and db.session.scalars(select(Notification)).all() == []


def test_an_accepted_invitation_tells_the_inviter_once(db, client, run_jobs, outbox, notices):
    partner = factories.PartnerFactory()
    anna = factories.partner_user(partner, role="partner_admin")
    new = accounts.invite_user(anna, "new.colleague@example.test", "New Colleague", "partner_user", None)
    db.session.commit()
    run_jobs()
    link = re.search(r"/invitation/\S+", outbox()[0].get_body(("plain",)).get_content()).group(0)
    page = client.post(link, data={"password": "a long new password", "confirm": "a long new password"})
    assert page.status_code in (200, 303)
    run_jobs()

    assert notices(anna) == ["New Colleague accepted your invitation."]
    to_anna = [m for m in outbox() if m["To"] == anna.email]
    assert len(to_anna) == 1 and "New Colleague" in to_anna[0]["Subject"]
    assert new.password_hash is not None
