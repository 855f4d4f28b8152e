"""E-mail end to end on the real components: notify() → commit → RQ job → .eml file or a real SMTP server."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from flask_babel import force_locale, gettext
from redis import Redis
from rq.job import Job
from sqlalchemy import delete, func, select

from jobs import mail as mail_jobs
from portal.core.queue import RETRY, connection, get_queue
from portal.core.time import utcnow
from portal.notifications import service
from portal.notifications.models import Notification, OutboxMessage
from portal.notifications.service import notify
from tests import factories
from tests.conftest import PG, free_port, make_app

RESET_SUBJECT = "Reset your Partner Portal password"


def reset_notice(user, event_key: str = "test:reset:1", **kw):
    notify(event_key, [user], "password_reset", link="/reset/abc", hours=2, **kw)


def outbox_row(db, recipient: str) -> OutboxMessage:
    db.session.expire_all()
    return db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == recipient))


def parts(message) -> tuple[str, str]:
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def test_an_event_e_mail_is_sent_by_the_worker_after_commit_with_text_and_html_parts(app, db, run_jobs, outbox):
    user = factories.vendor(name="Ada Example", locale="en")
    reset_notice(user)
    assert len(get_queue(app)) == 0  # not before the commit
    db.session.commit()
    assert [job.func_name for job in get_queue(app).jobs] == ["jobs.mail.deliver"]

    run_jobs()

    [message] = outbox()
    assert message["To"] == user.email
    assert message["Subject"] == RESET_SUBJECT
    assert message["Message-ID"] and message["Date"]
    text, html = parts(message)
    assert "Hello Ada Example," in text and "http://portal.test/reset/abc" in text
    assert '<a href="http://portal.test/reset/abc">' in html
    assert '<html lang="en">' in html
    row = outbox_row(db, user.email)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, "")
    assert row.sent_at is not None


def test_each_recipient_gets_the_e_mail_in_their_own_language(app, db, run_jobs, outbox):
    chinese = factories.vendor(locale="zh_Hans")
    english = factories.vendor(locale="en")
    # raised from a request whose browser asks for English: the recipients' choice wins
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        notify("test:reset:2", [chinese, english], "password_reset", link="/reset/abc", hours=2)
    db.session.commit()
    run_jobs()

    by_recipient = {m["To"]: m for m in outbox()}
    with force_locale("zh_Hans"):
        chinese_subject = gettext(RESET_SUBJECT)
    assert by_recipient[chinese.email]["Subject"] == chinese_subject
    assert '<html lang="zh-Hans">' in parts(by_recipient[chinese.email])[1]
    assert by_recipient[english.email]["Subject"] == RESET_SUBJECT
    assert '<html lang="en">' in parts(by_recipient[english.email])[1]


def test_an_event_raised_twice_sends_one_e_mail_and_one_notification(app, db, run_jobs, outbox):
    user = factories.vendor()
    reset_notice(user, in_app=True)
    db.session.commit()
    reset_notice(user, in_app=True)  # e.g. the job that raised it ran again
    db.session.commit()
    run_jobs()

    assert len(outbox()) == 1
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 1


def test_a_deliver_job_run_twice_sends_once(app, db, run_jobs, outbox):
    user = factories.vendor()
    reset_notice(user)
    db.session.commit()
    run_jobs()
    message_id = outbox_row(db, user.email).id

    again = get_queue(app).enqueue("jobs.mail.deliver", message_id)  # a duplicate or a retry
    run_jobs()

    assert Job.fetch(again.id, connection=connection(app)).return_value() is False
    assert len(outbox()) == 1
    assert outbox_row(db, user.email).attempts == 1


def test_a_second_claim_of_one_message_gets_nothing(app, db):
    reset_notice(factories.vendor())
    message_id = db.session.scalar(select(OutboxMessage.id))
    assert service.claim(message_id) is not None
    assert service.claim(message_id) is None


@pytest.mark.pg
def test_two_workers_claiming_one_message_at_the_same_time_only_one_gets_it(
        backend, request, tmp_path, redis_server, outbox_dir, monkeypatch):
    """Real concurrency: two threads, two database connections, committed rows (removed after)."""
    from portal.extensions import db

    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))  # make_app sets it; restored after the test
    url = request.getfixturevalue("pg_url") if backend == PG else f"sqlite:///{tmp_path}/claim.db"
    own_app = make_app(url, redis_server, str(outbox_dir), str(tmp_path))
    with own_app.app_context():
        message = OutboxMessage(event_key="test:race", recipient="race@example.test", subject="s",
                                text_body="t", html_body="<p>t</p>")
        db.session.add(message)
        db.session.commit()
        message_id = message.id

    first_claimed, let_first_commit = threading.Event(), threading.Event()
    results: dict[str, object] = {}

    def claim(name: str, hold: bool) -> None:
        with own_app.app_context():
            try:
                results[name] = service.claim(message_id) is not None
                if hold:
                    first_claimed.set()
                    let_first_commit.wait(20)
                db.session.commit()
            except Exception as exc:  # reported by the assert below
                results[name] = exc

    first = threading.Thread(target=claim, args=("first", True))
    second = threading.Thread(target=claim, args=("second", False))
    try:
        first.start()
        assert first_claimed.wait(20)
        second.start()  # its UPDATE waits for the first transaction's lock ...
        second.join(0.3)
        let_first_commit.set()  # ... and finds the message taken once that commits
        first.join(20)
        second.join(20)
        assert results == {"first": True, "second": False}
    finally:
        let_first_commit.set()
        with own_app.app_context():
            db.session.execute(delete(OutboxMessage).where(OutboxMessage.id == message_id))
            db.session.commit()
            db.engine.dispose()


def test_a_failed_smtp_send_is_released_with_the_error_and_retried_until_it_goes_out_once(
        app, db, run_jobs, smtp_server, monkeypatch):
    user = factories.vendor()
    monkeypatch.setitem(app.config, "MAIL_URL", f"smtp://127.0.0.1:{free_port()}")  # nothing listens there
    reset_notice(user)
    db.session.commit()
    queue = get_queue(app)
    [job_id] = queue.job_ids

    run_jobs()

    row = outbox_row(db, user.email)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "ConnectionRefusedError" in row.last_error
    job = Job.fetch(job_id, connection=connection(app))
    assert job.get_status() == "scheduled"  # RQ retries it with backoff
    assert job.retries_left == RETRY.max - 1
    assert job_id in queue.scheduled_job_registry.get_job_ids()

    monkeypatch.setitem(app.config, "MAIL_URL", smtp_server.url)
    queue.scheduled_job_registry.requeue(job_id)  # the retry is due
    before = len(smtp_server.messages)
    run_jobs()
    mail_jobs.deliver(row.id)  # a late duplicate sends nothing

    received = [m for m in smtp_server.messages[before:] if m["To"] == user.email]
    assert [m["Subject"] for m in received] == [RESET_SUBJECT]
    row = outbox_row(db, user.email)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, "")


def test_the_periodic_sweep_tries_every_pending_message_even_when_one_fails(app, db, monkeypatch):
    first, second = factories.vendor(), factories.vendor()
    reset_notice(first, event_key="test:sweep:1")
    reset_notice(second, event_key="test:sweep:2")
    db.session.commit()
    monkeypatch.setitem(app.config, "MAIL_URL", f"smtp://127.0.0.1:{free_port()}")

    assert mail_jobs.deliver_pending() == 0

    for user in (first, second):
        row = outbox_row(db, user.email)
        assert (row.status, row.attempts) == ("pending", 1)
        assert row.last_error


def test_a_message_stuck_in_sending_for_over_ten_minutes_is_sent_by_the_sweep(app, db, run_jobs, outbox):
    crashed, busy = factories.vendor(), factories.vendor()
    reset_notice(crashed, event_key="test:stuck:1")
    reset_notice(busy, event_key="test:stuck:2")
    for user, claimed_ago in ((crashed, timedelta(minutes=11)), (busy, timedelta(minutes=2))):
        row = service.claim(outbox_row(db, user.email).id)
        row.sent_at = utcnow() - claimed_ago
    db.session.commit()
    get_queue(app).empty()  # the deliver jobs died with the worker

    get_queue(app).enqueue("jobs.mail.deliver_pending")
    run_jobs()

    assert [m["To"] for m in outbox()] == [crashed.email]
    assert outbox_row(db, crashed.email).status == "sent"
    assert outbox_row(db, crashed.email).attempts == 2
    assert outbox_row(db, busy.email).status == "sending"  # its worker may still be sending it


def test_redis_down_at_commit_time_the_sweep_sends_the_e_mail_later(app, db, run_jobs, outbox, monkeypatch):
    user = factories.vendor()
    dead = Redis(unix_socket_path="/nonexistent/redis.sock", socket_connect_timeout=1)
    with monkeypatch.context() as m:
        m.setitem(app.extensions, "portal_redis", dead)
        reset_notice(user)
        db.session.commit()  # the event is committed although its job could not be queued
    assert len(get_queue(app)) == 0

    get_queue(app).enqueue("jobs.mail.deliver_pending")
    run_jobs()

    assert [m["To"] for m in outbox()] == [user.email]


def test_the_password_reset_e_mail_arrives_over_smtp_and_its_link_works(app, db, client, run_jobs, smtp_server,
                                                                         monkeypatch, login):
    user = factories.vendor(locale="en")
    monkeypatch.setitem(app.config, "MAIL_URL", smtp_server.url)
    before = len(smtp_server.messages)

    response = client.post("/forgot", data={"email": user.email})
    assert response.status_code == 200
    run_jobs()

    [message] = [m for m in smtp_server.messages[before:] if m["To"] == user.email]
    assert message["Subject"] == RESET_SUBJECT
    text, html = parts(message)
    link = re.search(r"http://portal\.test(/reset/\S+)", text).group(1)
    assert f'href="http://portal.test{link}"' in html

    assert client.get(link).status_code == 200
    new_password = "a brand new passphrase"
    response = client.post(link, data={"password": new_password, "confirm": new_password})
    assert response.status_code == 303
    login(user, password=new_password)
    assert client.get(link).status_code == 404  # the link works once


def test_a_message_that_keeps_failing_is_marked_failed_and_no_longer_retried(app, db, monkeypatch, caplog):
    user = factories.vendor()
    reset_notice(user, event_key="test:giving-up")
    db.session.commit()
    monkeypatch.setitem(app.config, "MAIL_URL", f"smtp://127.0.0.1:{free_port()}")
    row = outbox_row(db, user.email)
    row.attempts = service.MAX_ATTEMPTS - 1
    db.session.commit()

    assert mail_jobs.deliver_pending() == 0  # the last allowed attempt fails too

    row = outbox_row(db, user.email)
    assert (row.status, row.attempts) == ("failed", service.MAX_ATTEMPTS)
    assert "ConnectionRefusedError" in row.last_error
    assert "giving up" in caplog.text
    assert row.id not in service.pending_message_ids()
    assert mail_jobs.deliver(row.id) is False  # a late retry of its job sends nothing either
    assert outbox_row(db, user.email).attempts == service.MAX_ATTEMPTS
