"""Deal registration jobs: the daily run (reminders, expiry, the conflict-rate KPI). Safe to run twice."""

from __future__ import annotations

from jobs.base import task
from portal.core.time import utcnow
from portal.deals import review


@task
def daily() -> dict:
    """Remind 14 and 7 days before protection ends (once each), expire deals past protection (each told
    once), store the conflict-rate KPI of today and yesterday."""
    now = utcnow()
    reminded = review.send_reminders(now)
    expired = review.expire_due(now)
    review.store_kpis(now.date())
    return {"reminded": reminded, "expired": expired}
