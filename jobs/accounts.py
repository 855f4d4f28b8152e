"""Accounts: what a request noticed but must not write itself."""

from __future__ import annotations

from datetime import datetime

from jobs.base import task
from portal.accounts import service


@task
def record_token_use(token_id: int, at: str) -> bool:
    """An API token was used at ``at`` (ISO 8601); safe to run twice (only ever moves the time forward)."""
    return service.record_token_use(token_id, datetime.fromisoformat(at))
