"""MDF jobs: unclaimed approvals lapse (daily)."""

from __future__ import annotations

from jobs.base import task
from portal.extensions import db
from portal.mdf import requests


@task
def lapse_unclaimed() -> int:
    """Daily: approvals not claimed by their claim date lapse; their amounts return to the budgets. Safe to run
    twice (a lapsed request is no longer approved)."""
    count = requests.lapse_unclaimed()
    db.session.commit()
    return count
