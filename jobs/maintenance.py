"""Periodic housekeeping."""

from __future__ import annotations

from jobs.base import task
from portal.accounts import service
from portal.catalogue import service as catalogue


@task
def purge_expired_tokens() -> int:
    """Delete expired or used password-reset and invitation links."""
    return service.purge_expired_tokens()


@task
def optimize_search_index() -> bool:
    """Keep the catalogue's search index in one piece (see ``catalogue.service.optimize_search_index``)."""
    return catalogue.optimize_search_index()
