"""Periodic jobs, scheduled with RQ's own CronScheduler.

Every worker process runs a scheduler thread, but only the one holding a short Redis lease
enqueues, so several workers on several hosts do not enqueue a periodic job several times.
Later areas add their jobs to ``PERIODIC``.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid

from redis import Redis
from rq.cron import CronScheduler

from portal.core.queue import QUEUE_NAME

log = logging.getLogger(__name__)
LEASE_KEY = "portal:cron-leader"
LEASE_SECONDS = 30

# (dotted job function, every N seconds)
PERIODIC: list[tuple[str, int]] = [
    ("jobs.maintenance.purge_expired_tokens", 3600),
    ("jobs.mail.deliver_pending", 300),
    ("jobs.maintenance.optimize_search_index", 86400),
    ("jobs.partners.quarterly_tier_review", 86400),  # runs the review once, at the start of each quarter
    ("jobs.training.daily_certifications", 86400),  # marks expired certificates, e-mails 30-day reminders once
    ("jobs.deals.daily", 86400),  # deal reminders 14 / 7 days before expiry, expiry, the conflict-rate KPI
    ("jobs.mdf.lapse_unclaimed", 86400),  # unclaimed MDF approvals lapse after their claim date
]


def build_scheduler(connection: Redis) -> CronScheduler:
    from importlib import import_module

    scheduler = CronScheduler(connection=connection, logging_level=logging.WARNING)
    for dotted, seconds in PERIODIC:
        module, _, name = dotted.rpartition(".")
        scheduler.register(getattr(import_module(module), name), queue_name=QUEUE_NAME, interval=seconds)
    return scheduler


# Renew the lease only if this process still holds it (atomic: a lease that expired and went
# to another process between a GET and an EXPIRE must not be extended by the old holder).
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('expire', KEYS[1], ARGV[2]) end
return 0
"""


def hold_lease(connection: Redis, owner: str) -> bool:
    """Take or renew the leader lease; True while this process is the one that enqueues."""
    if connection.set(LEASE_KEY, owner, nx=True, ex=LEASE_SECONDS):
        return True
    return bool(connection.eval(_RENEW, 1, LEASE_KEY, owner, LEASE_SECONDS))


def tick(connection: Redis, scheduler: CronScheduler, owner: str) -> list:
    """One round: if this process holds the lease, enqueue the periodic jobs that are due."""
    if hold_lease(connection, owner):
        return scheduler.enqueue_jobs()
    return []


def run_forever(connection: Redis, stop: threading.Event) -> None:
    scheduler = build_scheduler(connection)
    owner = f"{scheduler.name}:{uuid.uuid4().hex[:6]}"
    while not stop.is_set():
        try:
            tick(connection, scheduler, owner)
        except Exception:  # a Redis hiccup must not kill the worker
            log.exception("periodic scheduling failed; retrying")
        stop.wait(min(max(scheduler.calculate_sleep_interval(), 1.0), 10.0))


def start_thread(connection: Redis) -> threading.Event:
    stop = threading.Event()
    threading.Thread(target=run_forever, args=(connection, stop), name="cron", daemon=True).start()
    time.sleep(0)
    return stop
