"""The daily certification job: expired certificates are marked, reminders go out 30 days ahead exactly once,
and it is listed among the periodic jobs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.core.time import utcnow
from portal.notifications.models import OutboxMessage
from portal.training.models import Certificate
from tests import factories

pytestmark = pytest.mark.pg


def reminders(db) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.event_key.like("certificate-expiry-%"))))


def test_a_reminder_goes_out_30_days_ahead_once(app, db, outbox, run_jobs):
    from jobs.training import daily_certifications

    cert = factories.certification([factories.course()], name="Router Pro")
    soon = factories.partner_user(name="Soon Expiring", locale="zh_Hans")
    later = factories.partner_user(name="Later Expiring")
    now = utcnow()
    due = factories.certificate(soon, cert, issued_at=now - timedelta(days=340), months=12)  # ≈ 25 days left
    factories.certificate(later, cert, issued_at=now - timedelta(days=300), months=12)  # ≈ 65 days left
    db.session.commit()
    assert daily_certifications()["reminded"] == 1
    assert daily_certifications()["reminded"] == 0
    [message] = reminders(db)
    assert message.recipient == soon.email and "Router Pro" in message.subject
    assert "到期" in message.subject or "过期" in message.subject  # in the holder's language
    db.session.refresh(due)
    assert due.reminded_at is not None
    run_jobs()
    assert [m["To"] for m in outbox()] == [soon.email]


def test_no_reminder_for_someone_who_already_renewed(app, db):
    from jobs.training import daily_certifications

    cert = factories.certification([factories.course()])
    person = factories.partner_user()
    now = utcnow()
    factories.certificate(person, cert, issued_at=now - timedelta(days=340), months=12)
    factories.certificate(person, cert, issued_at=now - timedelta(days=1), months=12)
    db.session.commit()
    assert daily_certifications()["reminded"] == 0


def test_certificates_past_their_expiry_are_marked_expired_once(app, db):
    from jobs.training import daily_certifications

    cert = factories.certification([factories.course()])
    person = factories.partner_user()
    old = factories.certificate(person, cert, issued_at=utcnow() - timedelta(days=400), months=12)
    current = factories.certificate(factories.partner_user(), cert)
    db.session.commit()
    assert daily_certifications()["expired"] == 1
    assert daily_certifications()["expired"] == 0
    assert db.session.get(Certificate, old.id).status == "expired"
    assert db.session.get(Certificate, current.id).status == "valid"


def test_the_certification_run_is_scheduled_daily():
    from jobs.schedule import PERIODIC

    assert ("jobs.training.daily_certifications", 86400) in PERIODIC
