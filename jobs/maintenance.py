"""Periodic housekeeping."""

from __future__ import annotations

from jobs.base import task
from portal.accounts import service


@task
def purge_expired_tokens() -> int:
    """Delete expired or used password-reset and invitation links."""
    return service.purge_expired_tokens()
