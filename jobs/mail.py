"""Deliver e-mail from the outbox."""

from __future__ import annotations

from jobs.base import task
from portal.extensions import db
from portal.notifications import service


@task
def deliver(message_id: int) -> bool:
    """Send one outbox message; a second run (retry, duplicate enqueue) sends nothing."""
    message = service.claim(message_id)
    db.session.commit()  # make the claim visible to other workers before the slow send
    if message is None:
        return False
    try:
        service.send(message)
    except Exception as exc:
        service.release(message, exc)
        db.session.commit()
        raise
    return True


@task
def deliver_pending() -> int:
    """Periodic safety net: send what is still pending (Redis was down at commit time, every retry
    failed) or stuck in 'sending' (the worker died mid-send). One failure does not stop the rest."""
    sent = 0
    for message_id in service.pending_message_ids():
        try:
            sent += bool(deliver(message_id))
        except Exception:  # released with last_error; logged by deliver's wrapper
            continue
    return sent
