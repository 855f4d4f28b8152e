"""Enablement jobs: the daily certification run, and e-mailing an announcement to its audience."""

from __future__ import annotations

from jobs.base import task
from portal.core.time import utcnow
from portal.training import service


@task
def daily_certifications() -> dict[str, int]:
    """Daily: mark certificates past their expiry as expired and e-mail the 30-day reminders (each once).
    Safe to run twice: a second run finds nothing to mark and nobody left to remind."""
    at = utcnow()
    return {"expired": service.mark_expired(at), "reminded": service.send_reminders(at)}


@task
def send_announcement(announcement_id: int) -> int:
    """E-mail an announcement to every active person of its audience, once per recipient."""
    from portal.announcements import service as announcements

    return announcements.deliver(announcement_id)


@task
def count_download(resource_id: int) -> None:
    """One download of a library resource (counted outside the request: a GET writes nothing)."""
    from portal.resources import service as resources

    resources.count_download(resource_id)
